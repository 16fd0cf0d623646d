# Everything a fresh machine needs is installed by these targets; nothing by hand.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
ARGS ?=

.PHONY: install chromium test lint typecheck pytest demo bench soak serve worker migrate clean

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

# The status-page browser test drives Debian's chromium (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null || { \
		echo "installing Debian's chromium for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

pytest: install chromium
	$(PY) -m pytest $(ARGS)

test: lint typecheck pytest

demo: install
	$(PY) -m demo $(ARGS)

# Benchmarks print ratios measured within one run; results are kept in docs/benchmarks.md.
bench: install
	$(PY) -m bench.ingest $(ARGS)
	$(PY) -m bench.time_to_published
	$(PY) -m bench.mux_calls
	$(PY) -m bench.burst

# The reliability suite's long versions: 5 minutes of steady load at half the measured peak,
# and many more generated orderings and fuzz cases.
soak: install
	SOAK_SECONDS=300 SOAK_RATE=1100 RELIABILITY_EXAMPLES=1000 $(PY) -m pytest tests/reliability -s $(ARGS)

migrate: install
	$(PY) -m service migrate $(ARGS)

serve: install
	$(PY) -m service serve --with-worker --host $(HOST) --port $(PORT) $(ARGS)

worker: install
	$(PY) -m service worker $(ARGS)

clean:
	rm -rf $(VENV) .pgdata .pytest_cache .mypy_cache .ruff_cache
