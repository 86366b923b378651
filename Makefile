# healthlake: `make demo` runs the pipeline on synthetic data, `make test` runs every check.
# Both set up what they need first (idempotent; a second set-up is a quick no-op).

VENV := .venv
BIN := $(VENV)/bin
RESIDENTS ?= 10000

.PHONY: setup demo test lint unit ui lock clean

setup:
	@scripts/setup.sh

demo: setup
	$(BIN)/healthlake generate --residents $(RESIDENTS)
	$(BIN)/healthlake run

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt/models dbt/macros

test: lint
	$(BIN)/pytest

ui: setup
	$(BIN)/healthlake ui

# Re-resolve requirements.lock after changing pyproject.toml (needs uv from `make setup`).
lock: setup
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -o requirements.lock

clean:
	rm -rf .healthlake
