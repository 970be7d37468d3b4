"""``python -m cnic_ocr.synth --out DIR --count N --condition C [--family F] [--seed S]``.

Writes ``<condition>-<seed>.jpg|png`` (``<family>-<condition>-<seed>`` for a family other than
classic; seeds S .. S+N-1) and one ``truth.jsonl`` line per image: file, seed, family, condition,
kind, truth (null for a negative or a legacy front), expected (the API body) and meta.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from cnic_ocr.synth import CONDITIONS, FAMILIES, generate_set


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cnic_ocr.synth", description="Generate synthetic CNIC images."
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="directory to write into (created if missing)"
    )
    parser.add_argument("--count", type=int, default=10, help="images per condition (default 10)")
    parser.add_argument("--condition", choices=(*CONDITIONS, "all"), default="all", help="default: all")
    parser.add_argument(
        "--family", choices=(*FAMILIES, "all"), default="classic", help="drawing (default classic)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the first image (default 0)")
    args = parser.parse_args(argv)
    if args.count < 0 or args.seed < 0:
        parser.error("--count and --seed must be >= 0")
    conditions = CONDITIONS if args.condition == "all" else (args.condition,)
    families = FAMILIES if args.family == "all" else (args.family,)
    args.out.mkdir(parents=True, exist_ok=True)
    written = 0
    with (args.out / "truth.jsonl").open("w", encoding="utf-8") as truth_file:
        for family in families:
            prefix = "" if family == "classic" else f"{family}-"
            for condition in conditions:
                for sample in generate_set(args.count, condition, args.seed, family):
                    name = f"{prefix}{condition}-{sample.seed}.{sample.extension}"
                    (args.out / name).write_bytes(sample.image)
                    record = {
                        "file": name,
                        "seed": sample.seed,
                        "family": sample.family,
                        "condition": sample.condition,
                        "kind": sample.kind,
                        "truth": sample.truth,
                        "expected": sample.expected,
                        "meta": sample.meta,
                    }
                    truth_file.write(json.dumps(record, ensure_ascii=False) + "\n")
                    written += 1
    print(f"wrote {written} images and truth.jsonl to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
