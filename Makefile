# clustr-etl developer targets. `make help` lists them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
RUNTIME_STAMP := $(VENV)/.runtime-stamp
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast lint format bench db-up db-down clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUNTIME_STAMP)

install: $(STAMP) ## create .venv and install clustr-etl with its dev tools

run: $(RUNTIME_STAMP) ## install the runtime only and run the whole pipeline (run-all) on embedded SQLite
	$(BIN)/clustr-etl run-all

test: $(STAMP) ## run the test suite (PostgreSQL tests need CLUSTR_TEST_DATABASE_URL)
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, ruff format --check, mypy and the import-linter layer contracts
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP) ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: $(STAMP) ## run the benchmarks (minutes; needs PostgreSQL for the loader figures)
	$(BIN)/python bench/bench_generate.py
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_miner.py
	$(BIN)/python bench/bench_bundles.py
	$(BIN)/python bench/bench_report.py
	$(BIN)/python bench/bench_cli.py
	$(BIN)/python bench/bench_append.py

db-up: ## start PostgreSQL 16 with docker compose (see compose.yaml)
	docker compose up -d --wait

db-down: ## stop the compose PostgreSQL
	docker compose down

clean: ## remove generated data and caches (keeps .venv)
	rm -rf data .pytest_cache .mypy_cache .ruff_cache
