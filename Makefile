# Two commands do all set-up on a fresh machine: `make run` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= eventyard.yaml
DATA_DIR ?= .eventyard

.PHONY: run test lint install

$(BIN)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed ## create .venv and install eventyard with its pinned dependencies

run: $(BIN)/.installed ## run eventyard on the embedded default (SQLite in .eventyard/)
	$(BIN)/eventyard serve --config $(CONFIG) --data-dir $(DATA_DIR)

lint: $(BIN)/.installed ## ruff and mypy --strict
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint ## the whole suite: lint, type check, services, pytest
	bash scripts/services.sh
	$(BIN)/pytest
