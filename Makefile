# Everything a fresh machine needs is installed by these targets; nothing by hand.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
ARGS ?=

.PHONY: install test lint typecheck pytest serve migrate clean

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

pytest: install
	$(PY) -m pytest $(ARGS)

test: lint typecheck pytest

migrate: install
	$(PY) -m service migrate $(ARGS)

serve: install
	$(PY) -m service serve --host $(HOST) --port $(PORT) $(ARGS)

clean:
	rm -rf $(VENV) .pgdata .pytest_cache .mypy_cache .ruff_cache
