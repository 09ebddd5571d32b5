# Two commands do all set-up on a fresh machine: `make run` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= eventyard.yaml
DATA_DIR ?= .eventyard
# Front-end files from npm (analytics.js, htmx), pinned in vendor/package-lock.json;
# installed again whenever the lock (or package.json) is newer than the last install.
VENDOR := vendor/node_modules/.installed

.PHONY: run test lint install dist

$(BIN)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(VENDOR): vendor/package.json vendor/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm is missing; install Node.js and npm (apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --prefix vendor --ignore-scripts --no-audit --no-fund
	touch $@

# The Node-based parts (Segment's Actions destinations for the actions runner), pinned in
# src/eventyard/ops/node/package-lock.json: `eventyard setup` (npm ci + the actions catalog)
# into the data dir, again whenever the lock changes. The tests use the same install.
NODE_PARTS := $(DATA_DIR)/node/.installed-lock

$(NODE_PARTS): src/eventyard/ops/node/package.json src/eventyard/ops/node/package-lock.json | $(BIN)/.installed
	@command -v npm >/dev/null || { echo "make: npm is missing; install Node.js and npm (apt-get install nodejs npm)" >&2; exit 1; }
	$(BIN)/eventyard setup --data-dir $(DATA_DIR)

install: $(BIN)/.installed $(VENDOR) $(NODE_PARTS) ## create .venv, install eventyard, its front-end files and Node-based parts, all pinned

run: $(BIN)/.installed $(VENDOR) $(NODE_PARTS) ## run eventyard on the embedded default (SQLite in .eventyard/)
	$(BIN)/eventyard serve --config $(CONFIG) --data-dir $(DATA_DIR)

dist: $(BIN)/.installed $(VENDOR) ## the wheel and sdist in dist/, with the browser files (setup.py)
	$(BIN)/python -m build --outdir dist

lint: $(BIN)/.installed ## ruff and mypy --strict
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint $(VENDOR) $(NODE_PARTS) ## the whole suite: lint, type check, services, pytest (the wheel check too)
	bash scripts/services.sh
	$(BIN)/pytest
