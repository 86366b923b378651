# healthlake: `make demo` runs the pipeline on synthetic data, `make test` runs every check.
# Both set up what they need first (idempotent; a second set-up is a quick no-op).

VENV := .venv
BIN := $(VENV)/bin
RESIDENTS ?= 10000

.PHONY: setup demo test lint unit ui lock clean bench bench-bronze bench-silver bench-gold bench-duckdb

setup:
	@scripts/setup.sh

demo: setup
	$(BIN)/healthlake generate --residents $(RESIDENTS)
	$(BIN)/healthlake run

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt/models dbt/macros dbt/tests

test: lint
	$(BIN)/pytest

# The whole pipeline, full build then an incremental day, at each scale (2 cores: 10k 12-16 min, 1M 50-65); see
# benchmarks/pipeline.py. Reports: benchmarks/results/pipeline-<N>.json and pipeline.md.
SCALES ?= 10000 100000 1000000
bench: setup
	@for n in $(SCALES); do \
	  memory=4g; [ $$n -ge 1000000 ] && memory=5g; \
	  HEALTHLAKE_SPARK_DRIVER_MEMORY=$${HEALTHLAKE_SPARK_DRIVER_MEMORY:-$$memory} $(BIN)/python benchmarks/pipeline.py --residents $$n || exit 1; \
	done

# Generation and bronze ingest rates at 100k and 1M residents (about 40 minutes); see benchmarks/.
bench-bronze: setup
	$(BIN)/python benchmarks/bronze.py --residents 100000
	$(BIN)/python benchmarks/bronze.py --residents 1000000

# Silver throughput and record-linkage precision/recall at 100k and 1M residents (reuses bench-bronze's lakes).
bench-silver: setup
	$(BIN)/python benchmarks/silver.py --residents 100000
	HEALTHLAKE_SPARK_DRIVER_MEMORY=6g $(BIN)/python benchmarks/silver.py --residents 1000000

# dbt build time of every gold mart at 100k and 1M residents (reuses bench-silver's lakes).
bench-gold: setup
	$(BIN)/python benchmarks/gold.py --residents 100000
	HEALTHLAKE_SPARK_DRIVER_MEMORY=6g $(BIN)/python benchmarks/gold.py --residents 1000000

# One mart built by local Spark and by DuckDB from the same silver data (reuses bench-silver's lakes).
bench-duckdb: setup
	$(BIN)/python benchmarks/duckdb_ratio.py --residents 100000
	HEALTHLAKE_SPARK_DRIVER_MEMORY=6g $(BIN)/python benchmarks/duckdb_ratio.py --residents 1000000

ui: setup
	$(BIN)/healthlake ui

# Re-resolve requirements.lock after changing pyproject.toml (needs uv from `make setup`).
lock: setup
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -o requirements.lock

clean:
	-scripts/postgres.sh destroy
	rm -rf .healthlake
