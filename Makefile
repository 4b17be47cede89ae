# WatchNext — every entry point a developer or CI needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
SAM_VENV := .venv-sam
BIN := $(VENV)/bin
SAM := $(SAM_VENV)/bin/sam
# sam build needs the Lambda runtime's Python (3.12) on PATH; pyenv provides it here.
SAM_PYTHONS ?= 3.11.7:3.12.1
SAM_CLI_VERSION ?= 1.170.0
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: help install install-sam lint typecheck unit sam-validate sam-build test bench demo clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/watchnext: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_QUIET) -e '.[dev]' 2>&1 | grep -v 'is ignored' ; test $${PIPESTATUS[0]} -eq 0
	touch $@

$(SAM):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install $(PIP_QUIET) aws-sam-cli==$(SAM_CLI_VERSION) 2>&1 | grep -v 'is ignored' ; test $${PIPESTATUS[0]} -eq 0

install: $(BIN)/watchnext ## Create .venv with WatchNext and its development tools.

install-sam: $(SAM) ## Create .venv-sam with aws-sam-cli (it pins old boto3/pydantic, so it lives apart).

lint: install ## ruff lint and format check.
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install ## mypy --strict over src, tests and benchmarks.
	$(BIN)/mypy

unit: install ## The pytest suite (unit and functional tiers).
	$(BIN)/pytest

sam-validate: install install-sam ## sam validate --lint and cfn-lint on template.yaml.
	$(SAM) validate --lint
	$(BIN)/cfn-lint template.yaml

sam-build: install-sam ## sam build (no Docker): the Lambda bundle in .aws-sam/build.
	PYENV_VERSION=$(SAM_PYTHONS) $(SAM) build

test: lint typecheck unit sam-validate sam-build ## Everything CI runs.

bench: install ## Benchmarks: bench/results.json and bench/SUMMARY.md.
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m benchmarks.run --out bench/results.json --summary bench/SUMMARY.md

demo: ## The whole product on this machine (arrives with the local stack, issue #6).
	@echo "make demo: the local stack (issue #6) is not built yet; see README, Status." >&2; exit 1

clean: ## Remove environments and build output.
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .mypy_cache .ruff_cache .pytest_cache
