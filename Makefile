# kyluat: `make demo` sets everything up and runs the pipeline on the bundled sample;
# `make test` runs the test suite. Both work on a fresh machine that has only python3.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE := warehouse/samples/quang_nam_2021_2023
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml dbt_project/profiles.yml

export DAGSTER_HOME ?= $(CURDIR)
export KYLUAT_DAGSTER_STORAGE ?= $(CURDIR)/.dagster
export UV_COMPILE_BYTECODE := 1
export GX_ANALYTICS_ENABLED := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

# uv comes from the package index when the machine does not have it.
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(PYTHON) -m uv
endif

.PHONY: help setup demo test lint docs ui sample clean bench reliability

help:
	@echo "make demo    set up, run the whole pipeline on the bundled sample, print a summary"
	@echo "make test    run the test suite (unit and integration)"
	@echo "make lint    ruff on Python, sqlfluff on the dbt models"
	@echo "make docs    build the dbt documentation site (dbt_project/target/docs/index.html)"
	@echo "make ui      Dagster webserver and daemon on this instance"
	@echo "make sample  regenerate the bundled synthetic sample"
	@echo "make reliability  kill-and-rerun suite and input fuzzer at full size, with figures"

# A line at least every few seconds from the long quiet steps (tools/heartbeat.py).
HEARTBEAT := $(PYTHON) $(CURDIR)/tools/heartbeat.py

$(BIN)/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(HEARTBEAT) "installing uv" $(PYTHON) -m pip install --quiet uv
	$(HEARTBEAT) "installing the dependencies" $(UV) sync --locked --all-groups
	@touch $@

$(MANIFEST): $(BIN)/.installed $(DBT_SOURCES)
	cd dbt_project && $(HEARTBEAT) "parsing the dbt project" ../$(BIN)/dbt parse --quiet
	$(BIN)/python -m orchestration.dbt_specs
	@touch $@

# The project's own modules compiled too (the dependencies are, at install): with
# PYTHONDONTWRITEBYTECODE set, every process of a run would compile them again.
setup: $(BIN)/.installed $(MANIFEST)
	@mkdir -p $(KYLUAT_DAGSTER_STORAGE)
	@$(BIN)/python -m compileall -q kyluat orchestration data_quality

demo: setup
	$(BIN)/kyluat run --landing $(SAMPLE)/landing
	$(BIN)/kyluat sql "select figure_id, published_value, computed_value, status \
	  from marts.rpt_published_reconciliation where figure_origin = 'published' order by 1"
	@echo "report: $(CURDIR)/warehouse/report/index.html (English: index.en.html)"

# Two workers: most of a pipeline run is single-threaded Python (Dagster, dbt), so the two
# cores each take one.
test: setup
	$(BIN)/pytest -n 2 --dist worksteal

lint: setup
	$(BIN)/ruff check .
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros dbt_project/tests

# Column statistics come from the working warehouse: run `make demo` first for a full catalog.
docs: setup
	cd dbt_project && KYLUAT_WAREHOUSE_DIR=$(CURDIR)/warehouse ../$(BIN)/dbt docs generate \
	  --target-path target/docs --quiet
	@echo "dbt docs: dbt_project/target/docs/index.html (serve: cd dbt_project && ../$(BIN)/dbt docs serve --target-path target/docs)"

# Webserver and daemon (schedules, sensors, run queue) on this instance (DAGSTER_HOME); the
# daemon's sensors and runs read the same KYLUAT_* variables as `kyluat run`.
UI_HOST ?= 127.0.0.1
UI_PORT ?= 3000
# Through tools/interruptible.py: Ctrl-C and SIGTERM stop it even when started in the
# background of a script (which leaves SIGINT ignored, and dagster dev maps SIGTERM to SIGINT).
ui: setup
	$(BIN)/python tools/interruptible.py $(BIN)/dagster dev -w workspace.yaml \
	  --host $(UI_HOST) --port $(UI_PORT)

sample: setup
	$(BIN)/python -m synthetic.quang_nam

# Kills of `kyluat run` in every stage and fuzzed submissions (docs/hostile_input.md); about
# 25 minutes with the defaults. KILLS=12 FUZZ=60 is the bounded run of CI.
KILLS ?= 52
FUZZ ?= 220
reliability: setup
	$(BIN)/python -m tests.reliability.run --kills $(KILLS) --fuzz $(FUZZ)

# National-scale SYNTHETIC data against plain DuckDB; long (scale 10): never part of `make test`.
bench: setup
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf .dagster dbt_project/target dbt_project/logs warehouse/discipline.duckdb* \
	  warehouse/analytics.duckdb warehouse/logs
