# Every target does its own set-up from a fresh clone: .venv is created and filled on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip install --quiet --constraint constraints.txt

.PHONY: run test lint bench bench-quick ingest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) --editable .
	touch $@

$(VENV)/.test-deps: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) --editable '.[st,dev]'
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps
	$(BIN)/policyqa ingest
	$(BIN)/policyqa serve --host 127.0.0.1 --port 8000

ingest: $(VENV)/.run-deps
	$(BIN)/policyqa ingest

test: $(VENV)/.test-deps
	$(BIN)/python -m pytest

lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: $(VENV)/.test-deps
	$(BIN)/python -m bench

bench-quick: $(VENV)/.test-deps
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) data
