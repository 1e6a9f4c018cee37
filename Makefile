# medcoder — two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
export HF_HUB_OFFLINE := 1

.PHONY: demo test lint bench kb clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PIP) install -q -e .
	touch $@

$(DEVSTAMP): $(PY) pyproject.toml
	$(PIP) install -q -e '.[dev]'
	touch $@ $(STAMP)

# The command-line tour (knowledge base, look-ups, coding the sample notes), then the service on a
# throwaway SQLite database with demo users and coded notes; Ctrl-C stops it.
demo: $(STAMP)
	$(VENV)/bin/medcoder demo
	$(VENV)/bin/medcoder serve --demo

kb: $(STAMP)
	$(VENV)/bin/medcoder kb build

test: $(DEVSTAMP)
	$(PY) -m pytest

lint: $(DEVSTAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) benchmarks/kb_bench.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
