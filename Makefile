# Paydesk — two commands: `make run` (the demo) and `make test` (every test).
# Both create .venv and install what they need on a fresh machine with python3 >= 3.11.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ADDR   ?= 127.0.0.1:8000

.PHONY: setup run test test-sqlite test-postgres lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# axe-core, injected into pages by the browser tests' accessibility checks (npm, pinned by the lockfile).
AXE := tests/browser-tools/node_modules/axe-core/axe.min.js
$(AXE): tests/browser-tools/package.json tests/browser-tools/package-lock.json
	npm ci --prefix tests/browser-tools --silent --no-audit --no-fund
	touch $(AXE)

run: setup
	$(BIN)/paydesk demo --addr $(ADDR)

test: setup $(AXE)
	$(BIN)/python scripts/run_tests.py

test-sqlite: setup $(AXE)
	$(BIN)/python scripts/run_tests.py --only sqlite

test-postgres: setup
	$(BIN)/python scripts/run_tests.py --only postgres

lint: setup
	$(BIN)/ruff check src tests bench scripts

# Benchmarks (quality.md P1–P5): bench/run.py makes its own bench/.venv (Paydesk, the peers,
# Locust).
# `make bench BENCH_ARGS=--quick` for small N.
bench:
	$(PYTHON) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var tests/browser-tools/node_modules .pytest_cache .hypothesis bench/.venv bench/var
