# Two commands: `make run` serves the app and web map, `make test` runs the whole suite.
# Both set up what they need first (virtualenv, PostGIS, migrations, sample layers).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/restoration_map
export DATABASE_URL

.PHONY: setup run test lint bench postgis migrate samples web system-test-deps clean backup restore

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
	  echo "python3-venv missing: installing it"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get -o DPkg::Lock::Timeout=900 update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get -o DPkg::Lock::Timeout=900 install -y -qq python3-venv && \
	  $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

postgis:
	bash scripts/ensure_postgis.sh

migrate: $(VENV)/.installed postgis
	$(PY) -m app migrate

samples: migrate
	$(PY) -m app load-samples

# A consistent backup of the database and the photos, with a manifest (README: Operating it).
BACKUP_DIR ?= backups/$(shell date -u +%Y%m%dT%H%M%SZ)
backup: $(VENV)/.installed
	$(PY) -m app backup --out $(BACKUP_DIR)

# Into an empty database and photo directory: make restore FROM=backups/20261203T080000Z
restore: $(VENV)/.installed
	@test -n "$(FROM)" || { echo "usage: make restore FROM=<backup directory>"; exit 2; }
	$(PY) -m app restore --from $(FROM)

# MapLibre GL JS for the web map (vendored from the npm registry; no CDN).
web:
	@bash scripts/vendor_web.sh

setup: $(VENV)/.installed postgis migrate samples web

# The notification worker runs alongside the server and stops with it.
# Worker processes: RM_WORKERS (default: one per core). Replicas: DATABASE_READ_URLS.
run: setup
	$(PY) -m app notify run & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; \
	$(PY) -m app serve --host $(HOST) --port $(PORT)

# GDAL's ogrinfo (for the OAPIF client test) and Chromium (for the browser tests).
system-test-deps:
	@bash scripts/ensure_test_tools.sh

# The tests make throwaway databases of their own: they need PostGIS, not the dev database.
test: $(VENV)/.installed postgis web system-test-deps lint
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

# Style, formatting and the import contracts of ARCHITECTURE.md (pyproject: tool.importlinter).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) scripts/check_sizes.py

# Benchmarks (bench/README section in README.md): generate synthetic Xinjiang-scale layers,
# load them into their own database, serve them with this service and with tipg, run every
# benchmark side by side and print the table of ratios. BENCH_SCALE=0.02 is the quick mode.
BENCH_SCALE ?= 1.0
BENCH_SEED ?= 7
# One database per scale, so a quick run does not replace the large data set.
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/rm_bench_$(subst .,_,$(BENCH_SCALE))
BENCH_REPEATS ?= 7
BENCH_FULL_REPEATS ?= 3
BENCH_LOAD_SECONDS ?= 20
BENCH_ONLY ?= items,memory,tiles,overlaps,import,explain,overhead,load
BENCH_DATA := bench/data/$(BENCH_SCALE)
TIPG_VENV := bench/.tipg-venv

$(TIPG_VENV)/.installed:
	$(PYTHON) -m venv $(TIPG_VENV)
	$(TIPG_VENV)/bin/pip install -q --upgrade pip
	$(TIPG_VENV)/bin/pip install -q 'tipg==1.6.1' 'uvicorn[standard]'
	touch $@

bench: $(VENV)/.installed $(TIPG_VENV)/.installed
	DATABASE_URL=$(BENCH_DATABASE_URL) bash scripts/ensure_postgis.sh
	$(PY) -m bench.generate --scale $(BENCH_SCALE) --seed $(BENCH_SEED) --out $(BENCH_DATA)
	$(PY) -m bench.benchdb --database-url $(BENCH_DATABASE_URL) --data $(BENCH_DATA)
	$(PY) -m bench.run --database-url $(BENCH_DATABASE_URL) --data $(BENCH_DATA) \
	  --repeats $(BENCH_REPEATS) --full-repeats $(BENCH_FULL_REPEATS) --only $(BENCH_ONLY) \
	  --load-seconds $(BENCH_LOAD_SECONDS)

clean:
	rm -rf $(VENV) .pytest_cache
