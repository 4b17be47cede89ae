# WatchNext — every entry point a developer or CI needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
SAM_VENV := .venv-sam
SCAN_VENV := .venv-scan
CHECKOV_VERSION ?= 3.3.30
BIN := $(VENV)/bin
SAM := $(SAM_VENV)/bin/sam
# sam build needs the Lambda runtime's Python (3.12) on PATH; pyenv provides it here.
SAM_PYTHONS ?= 3.11.7:3.12.1
SAM_CLI_VERSION ?= 1.170.0
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
PIP_QUIET := --quiet --disable-pip-version-check

DATA := data
DATASET := $(DATA)/ml100k
ARTIFACT := artifacts/als

# `make demo API_PORT=3001 WEB_PORT=8081 SMTP_PORT=1026` runs a second demo beside the first,
# with its own state (database, key, outbox) in data/demo-3001: client commands take
# `--data-dir data/demo-3001` to reach it. Without them, the demo's own defaults
# (watchnext.settings) and data/.
DEMO_PORTS = $(if $(API_PORT),--api-port $(API_PORT)) $(if $(WEB_PORT),--web-port $(WEB_PORT)) \
  $(if $(SMTP_PORT),--smtp-port $(SMTP_PORT))
DEMO_DATA ?= $(if $(API_PORT),$(DATA)/demo-$(API_PORT),$(DATA))

ASL_VALIDATOR := tools/asl-validator/node_modules/.bin/asl-validator

.PHONY: help install install-sam install-scan install-linters security browser lint typecheck check fmt unit sam-validate sam-build demo-check test bench demo clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/watchnext: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_QUIET) -e '.[dev]' 2>&1 | grep -v 'is ignored' ; test $${PIPESTATUS[0]} -eq 0
	touch $@

$(SAM):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install $(PIP_QUIET) aws-sam-cli==$(SAM_CLI_VERSION) 2>&1 | grep -v 'is ignored' ; test $${PIPESTATUS[0]} -eq 0

$(SCAN_VENV)/bin/checkov:
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install $(PIP_QUIET) checkov==$(CHECKOV_VERSION) 2>&1 | grep -v 'is ignored' ; test $${PIPESTATUS[0]} -eq 0

install: $(BIN)/watchnext ## Create .venv with WatchNext and its development tools.

install-sam: $(SAM) ## Create .venv-sam with aws-sam-cli (it pins old boto3/pydantic, so it lives apart).

install-scan: $(SCAN_VENV)/bin/checkov ## Create .venv-scan with checkov (it pins its own boto3 and friends).

$(ASL_VALIDATOR): tools/asl-validator/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for asl-validator (Debian: apt-get install npm)" >&2; exit 1; }
	npm ci --prefix tools/asl-validator --no-audit --no-fund --loglevel=error
	touch $@

install-linters: $(ASL_VALIDATOR) ## asl-validator (npm) for the state machine definitions.

security: install install-scan ## checkov on template.yaml (suppressions need reasons) and pip-audit.
	$(BIN)/python security/scan.py --checkov $(SCAN_VENV)/bin/checkov --pip-audit $(BIN)/pip-audit

lint: install ## ruff lint and format check, and the import contracts (pyproject.toml).
	$(BIN)/ruff check src tests benchmarks security .ci
	$(BIN)/ruff format --check src tests benchmarks security .ci
	$(BIN)/lint-imports --no-cache

typecheck: install ## mypy --strict over src, tests, benchmarks and security.
	$(BIN)/mypy

check: lint typecheck ## The inner loop, nothing to install past .venv: lint, contracts, mypy, unit tier.
	$(BIN)/pytest -q tests/unit

fmt: install ## Format the code and apply ruff's safe fixes.
	$(BIN)/ruff check --fix --quiet src tests benchmarks security .ci
	$(BIN)/ruff format --quiet src tests benchmarks security .ci

browser: ## Debian's Chromium for the browser test (Playwright cannot download its own here).
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  { [ -n "$$CI" ] && echo "CI is set and chromium cannot be installed (not root): the browser tier must run" >&2 && exit 1; } || \
	  echo "chromium is not installed and this is not root: the browser test will be skipped" >&2

unit: install install-linters install-sam browser ## The pytest suite: unit, functional and e2e (browser) tiers.
	$(BIN)/pytest

sam-validate: install install-sam ## sam validate --lint and cfn-lint (with the serverless rules) on template.yaml.
	$(SAM) validate --lint
	$(BIN)/cfn-lint template.yaml --append-rules cfn_lint_serverless.rules

sam-build: install-sam ## sam build (no Docker): the Lambda bundle in .aws-sam/build.
	PYENV_VERSION=$(SAM_PYTHONS) $(SAM) build

$(DATASET)/manifest.json: | $(BIN)/watchnext
	$(BIN)/watchnext data fetch movielens-100k --data-dir $(DATA)
	$(BIN)/watchnext prepare $(DATA)/movielens-100k --source movielens --out $(DATASET)

# Retrained when the dataset, the artifact format or the model code changes.
$(ARTIFACT)/meta.json: $(DATASET)/manifest.json src/watchnext/recommender/artifact.py src/watchnext/recommender/models.py $(wildcard src/watchnext/recommender/algorithms/*.py)
	$(BIN)/watchnext train --data $(DATASET) --model als --out $(ARTIFACT)

demo-check: install $(ARTIFACT)/meta.json ## One scripted review end to end over HTTP (watchnext demo --check).
	rm -rf $(DATA)/demo-check
	$(BIN)/watchnext demo --check --data-dir $(DATA)/demo-check --artifact $(ARTIFACT) --api-port 0 --smtp-port 0

test: lint typecheck unit sam-validate security sam-build demo-check ## Everything CI runs.

bench: install $(ARTIFACT)/meta.json ## Benchmarks: bench/results.json and bench/SUMMARY.md.
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m benchmarks.run --out bench/results.json --summary bench/SUMMARY.md

demo: install $(ARTIFACT)/meta.json ## Install, fetch MovieLens, train, and run the local stack (Ctrl-C stops).
	$(BIN)/watchnext demo --data-dir $(DEMO_DATA) --artifact $(ARTIFACT) --dataset $(DATASET) $(DEMO_PORTS)

clean: ## Remove environments and build output.
	rm -rf $(VENV) $(SAM_VENV) $(SCAN_VENV) .aws-sam .mypy_cache .ruff_cache .pytest_cache tools/asl-validator/node_modules
