# Two commands for a newcomer (README): `make run` and `make test`. Both create .venv/ here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run serve test lint bench clean-var

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt requirements-local.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-local.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-local.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## Set up and run the service: web on http://127.0.0.1:$${PORT:-8000}, a Celery worker and beat.
run: $(VENV)/.runtime
	$(BIN)/python -m melmastoon_ai.devstack

## The production web server alone (gunicorn, melmastoon_ai/gunicorn_conf.py) on $${HOST:-127.0.0.1}:$${PORT:-8000},
## against DATABASE_URL and REDIS_URL, exactly as a production instance starts it.
serve: $(VENV)/.runtime
	$(BIN)/python -m melmastoon_ai.serve

## Set up and run the tests (lint first: a lint failure fails the run).
test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python scripts/mypy_baseline.py
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The habits CI holds (also .pre-commit-config.yaml): ruff check and ruff format, the layer contracts of pyproject.toml,
## mypy against its shrinking baseline (mypy-baseline.txt);
## the missing-migration check and the tenant-scoping lint are tests (tests/test_migrations_complete.py,
## tests/tenancy/test_tenant_scoping_lint.py).
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python scripts/mypy_baseline.py

bench: $(VENV)/.dev
	$(BIN)/python -m bench

clean-var:
	rm -rf var/
