# Everything a fresh machine needs is installed by these targets; nothing by hand.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
ARGS ?=

.PHONY: install chromium pgbouncer node web-install web-build web-check web mux-clients test lint typecheck pytest demo bench soak serve worker migrate clean

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

# The browser tests drive Debian's chromium (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null || { \
		echo "installing Debian's chromium for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The web app (web/): Node.js 20+ from the machine image; packages exactly as package-lock.json
# pins them; built once and rebuilt only when its sources change.
WEB_STAMP := web/node_modules/.installed
WEB_BUILD := web/.next/BUILD_ID
WEB_SOURCES := $(shell find web/app web/components web/lib -type f 2>/dev/null) \
	web/next.config.ts web/proxy.ts web/tsconfig.json web/package.json
export NEXT_TELEMETRY_DISABLED := 1

node:
	@command -v node >/dev/null || { echo "Node.js 20 or newer is needed for web/ (not found)"; exit 1; }
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<9)) { console.error("Node.js >= 20.9 is needed for web/, found "+process.version); process.exit(1) }'

$(WEB_STAMP): web/package.json web/package-lock.json | node
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web-install: $(WEB_STAMP)

$(WEB_BUILD): $(WEB_STAMP) $(WEB_SOURCES)
	cd web && npx next build

web-build: $(WEB_BUILD)

# Type-check and lint the web app (the build writes next-env.d.ts, which tsc reads).
web-check: $(WEB_BUILD)
	cd web && npx tsc --noEmit
	cd web && npx eslint --max-warnings 0 .

# Mux's own clients, pinned to exact versions, for the tests that run them against the
# emulator: the Node SDK (@mux/mux-node) and the Mux CLI (@mux/cli, which installs a prebuilt
# binary for this platform as an optional dependency). `npm install --no-save` rather than
# `npm ci`: the lock file can only list the platform binaries the registry it was made from
# serves, and `npm ci` refuses a lock without every platform's; versions and integrity still
# come from package-lock.json, which is left unchanged.
CLIENTS_STAMP := tools/mux-clients/node_modules/.installed

$(CLIENTS_STAMP): tools/mux-clients/package.json tools/mux-clients/package-lock.json | node
	cd tools/mux-clients && npm install --no-save --no-audit --no-fund --loglevel=error
	touch $@

mux-clients: $(CLIENTS_STAMP)

# The Next.js lesson editor against the whole local stack, signed in as the demo author.
web: install $(WEB_BUILD)
	$(PY) -m demo.web $(ARGS)

# Tests marked `pooler` (and `make demo ARGS=--pooler`) go through Debian's PgBouncer in
# transaction mode, as behind Supabase's transaction pooler.
pgbouncer:
	@command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || { \
		echo "installing Debian's pgbouncer for the pooled tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

# Each checkout keeps its own pytest temp dir (the default /tmp/pytest-of-USER is shared by
# every checkout on the machine, and one run's cleanup would pull files from under another).
PYTEST_TMP := $(CURDIR)/.pytest-tmp

# Two workers (pytest-xdist), a test file each at a time (module fixtures such as the web
# stack start once): most tests wait on servers, subprocesses and the database, so two
# workers on two cores finish in about 60% of the time of one.
PYTEST_WORKERS ?= 2

pytest: install chromium pgbouncer $(WEB_BUILD) $(CLIENTS_STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --basetemp=$(PYTEST_TMP) $(ARGS)

test: lint typecheck web-check pytest

demo: install $(if $(findstring --pooler,$(ARGS)),pgbouncer)
	$(PY) -m demo $(ARGS)

# Benchmarks print ratios measured within one run; results are kept in docs/benchmarks.md.
bench: install
	$(PY) -m bench.ingest $(ARGS)
	$(PY) -m bench.time_to_published
	$(PY) -m bench.mux_calls
	$(PY) -m bench.mux_calls --lifecycle
	$(PY) -m bench.burst
	$(PY) -m bench.live_streams

# The reliability suite's long versions: 5 minutes of steady load at half the measured peak,
# and many more generated orderings and fuzz cases.
soak: install
	SOAK_SECONDS=300 SOAK_RATE=1100 RELIABILITY_EXAMPLES=1000 SOAK_STREAMS=5000 $(PY) -m pytest --basetemp=$(PYTEST_TMP) tests/reliability -s $(ARGS)

migrate: install
	$(PY) -m devstack migrate $(ARGS)

serve: install
	$(PY) -m devstack serve --with-worker --host $(HOST) --port $(PORT) $(ARGS)

worker: install
	$(PY) -m devstack worker $(ARGS)

clean:
	rm -rf $(VENV) .pgdata .pytest-tmp .pytest_cache .mypy_cache .ruff_cache web/node_modules web/.next \
		tools/mux-clients/node_modules
