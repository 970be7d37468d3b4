# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
# sam build looks for the function runtime's interpreter (python3.12) on PATH: the venv has it.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export AWS_DEFAULT_REGION ?= us-east-1

IMAGES ?=

.PHONY: help venv run test lint typecheck unit sam-validate sam-build bench clean

help:
	@echo "make run [IMAGES=dir]   process sample (or your) images through the local pipeline"
	@echo "make test               the whole test suite (what CI runs)"
	@echo "make bench              recognizer benchmark (figures to bench/results/)"

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $$(scripts/find-python.sh) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(SAM_VENV)/.installed:
	@test -x $(SAM_VENV)/bin/python || $$(scripts/find-python.sh) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli==1.170.0
	@touch $@

venv: $(VENV)/.installed $(SAM_VENV)/.installed

run: $(VENV)/.installed
	$(VENV)/bin/cnic-local run $(if $(IMAGES),--images "$(IMAGES)") $(if $(SERVE),--serve)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

unit: $(VENV)/.installed
	$(VENV)/bin/pytest -n 2

sam-validate: $(SAM_VENV)/.installed
	SAM_CLI_TELEMETRY=0 $(SAM) validate --lint

sam-build: $(SAM_VENV)/.installed
	SAM_CLI_TELEMETRY=0 $(SAM) build UploadFunction --build-dir .aws-sam/build

test: lint typecheck sam-validate sam-build unit

bench: $(VENV)/.installed
	$(PY) bench/recognizer_bench.py $(BENCH_ARGS)

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
