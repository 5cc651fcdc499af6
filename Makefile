# One front door: make install | demo | test | lint | bench.
# `make install` builds .venv/ with everything the project needs on a fresh machine;
# the other targets run it first (it does nothing when pyproject.toml has not changed).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps demo test lint bench clean

NPM_STAMP := node_modules/.installed

install: system-deps $(STAMP) $(NPM_STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The web COP's libraries (Leaflet, milsymbol, supercluster), served from node_modules/*/dist.
$(NPM_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund
	touch $(NPM_STAMP)

# System packages (Debian's chromium for the browser tests, gdal-bin for the OGC and export
# tests, PostGIS for the PostgreSQL store tests, npm if absent): the script installs only what
# is missing, and checks in milliseconds when nothing is.
system-deps:
	sh tools/install-system-deps.sh

demo: install
	$(BIN)/ceasefire demo --scenario paris-2026 --serve

lint: install
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy
	@# each test folder is checked on its own: their flat helper modules and conftest.py
	@# files share names across folders, as pytest's rootdir imports allow.
	@set -e; for dir in tests $$(ls -d tests/*/ | grep -v tests/data/); do $(BIN)/mypy --no-error-summary $$dir/*.py; done
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

bench: install
	@set -e; for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) demo .mypy_cache .pytest_cache .ruff_cache
