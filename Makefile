# Every target does its own set-up from a fresh clone: .venv is created and filled on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip install --quiet --constraint constraints.txt
# where `make run` listens: `make run PORT=8080`, or `HOST=0.0.0.0` to be reached from the network
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-dates lint bench bench-quick ingest clean

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
	$(BIN)/policyqa serve --host $(HOST) --port $(PORT)

ingest: $(VENV)/.run-deps
	$(BIN)/policyqa ingest

test: $(VENV)/.test-deps
	$(BIN)/python -m pytest -n auto

# The suite at awkward dates (month and year ends, Shanghai vs UTC midnight, the National Day eve):
# no test may read the machine's calendar. Debian's libfaketime moves the wall clock of the suite
# and every process it starts by one offset; the monotonic clock stays real
# (tests/dates/monotonic_sleep.c works around libfaketime's clock_nanosleep bug under Python 3.11).
FAKETIME_DATES := "2026-11-29 10:00:00" "2026-12-31 23:30:00" "2026-12-31 16:30:00" \
	"2027-02-28 12:00:00" "2026-09-30 18:00:00"
FAKETIME_LIB = /usr/lib/$(shell gcc -dumpmachine)/faketime/libfaketimeMT.so.1

$(VENV)/monotonic_sleep.so: tests/dates/monotonic_sleep.c $(BIN)/python
	gcc -shared -fPIC -O2 -o $@ $< -ldl

test-dates: $(VENV)/.test-deps $(VENV)/monotonic_sleep.so
	@test -e $(FAKETIME_LIB) || { echo "libfaketime 未安装：apt-get install faketime"; exit 1; }
	@for d in $(FAKETIME_DATES); do \
		offset=$$(( $$(date -u -d "$$d" +%s) - $$(date +%s) )); echo "== $$d UTC"; \
		case $$offset in -*) ;; *) offset="+$$offset";; esac; \
		LD_PRELOAD="$(CURDIR)/$(VENV)/monotonic_sleep.so $(FAKETIME_LIB)" FAKETIME="$$offset" \
		FAKETIME_DONT_FAKE_MONOTONIC=1 $(BIN)/python -m pytest -n auto -q -p no:cacheprovider || exit 1; \
	done

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
