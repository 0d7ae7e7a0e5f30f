# Paydesk — two commands: `make run` (the demo) and `make test` (every test).
# Both create .venv and install what they need on a fresh machine with python3 >= 3.11.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ADDR   ?= 127.0.0.1:8000

.PHONY: setup run test test-sqlite test-postgres lint bench deploy-test clean

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

# What tests/test_static_checks.py checks in `make test`: ruff (lint and format), then mypy with django-stubs'
# plugin over src/paydesk ([tool.mypy] in pyproject.toml; incremental cache in .mypy_cache).
lint: setup
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

# Benchmarks (quality.md P1–P5): bench/run.py makes its own bench/.venv (Paydesk, the peers,
# Locust).
# `make bench BENCH_ARGS=--quick` for small N.
bench:
	$(PYTHON) bench/run.py $(BENCH_ARGS)

# The production deployment on this machine under load and faults (docs/deployment.md): its own
# PostgreSQL, Redis, an SMTP sink, 2 gunicorn behind HAProxy, 2 workers; ~4 minutes on 2 cores.
# Needs haproxy, redis-server and PostgreSQL's binaries (apt-get install haproxy redis-server
# postgresql); Locust goes into var/deploy/locust-venv. DEPLOY_ARGS=--no-save skips the result.
deploy-test: setup
	$(BIN)/python scripts/deploy_test.py $(DEPLOY_ARGS)

clean:
	rm -rf $(VENV) var tests/browser-tools/node_modules .pytest_cache .hypothesis .mypy_cache bench/.venv bench/var
