#!/usr/bin/env bash
# Prints the path of a Python 3.12 interpreter (the Lambda runtime's version), preferring one on
# PATH, then pyenv's; falls back to 3.13. Exits 1 with a message when none is found.
set -euo pipefail
for minor in 3.12 3.13; do
  if command -v "python$minor" >/dev/null 2>&1 && "python$minor" -c 'pass' >/dev/null 2>&1; then
    "python$minor" -c 'import sys; print(sys.executable)'
    exit 0
  fi
  root="${PYENV_ROOT:-$HOME/.pyenv}"
  for dir in $(ls -d "$root"/versions/"$minor".* 2>/dev/null | sort -V -r); do
    if [ -x "$dir/bin/python$minor" ]; then
      echo "$dir/bin/python$minor"
      exit 0
    fi
  done
done
echo "find-python: no Python 3.12 or 3.13 found (install one, e.g. 'pyenv install 3.12')" >&2
exit 1
