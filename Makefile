# Two commands on a fresh machine: `make demo` and `make test`. Both bootstrap .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: install demo sql test test-fast clients lint lint-fix serve bench clean

# .[test] the test and lint tools; .[analyst] the DuckDB CLI (`make sql`)
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,analyst]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/chibo demo

# the published warehouse, read-only, in the DuckDB CLI of .venv (CHIBO_WAREHOUSE picks another)
sql: $(STAMP)
	$(BIN)/chibo sql

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

# no slow test, no Prefect server: a minute or two while working
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m "not slow and not server"

# the analysts' clients on a warehouse the pipeline built: DuckDB CLI and JDBC (DBeaver)
clients: $(STAMP)
	$(BIN)/python -m pytest -q -m clients tests/clients

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

lint-fix: $(STAMP)
	$(BIN)/ruff check --fix .

serve: $(STAMP)
	bash scripts/serve.sh

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) warehouse/*.duckdb warehouse/exports .prefect
