# Tension monitor: the common paths. `make demo` and `make test` are the README's two commands.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KAFKA := deploy/kafka-local/kafka.sh

.PHONY: help install kafka-up kafka-down demo test test-unit test-integration lint format typecheck check \
        train evaluate bench dashboards clean

help:
	@echo "make install | kafka-up | kafka-down | demo | test | check | lint | typecheck | train | bench | dashboards | clean"

install: $(STAMP)

$(STAMP): pyproject.toml
	@bash scripts/bootstrap.sh "$(PYTHON)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

kafka-up: install
	bash $(KAFKA) up

kafka-down:
	bash $(KAFKA) down

demo: install
	$(BIN)/tension demo

# Unit tests, then the integration tests against a real local broker (started here, stopped afterwards
# if this run started it).
test: install
	bash scripts/with-kafka.sh $(BIN)/python -m pytest

test-unit: install
	$(BIN)/python -m pytest tests/unit

test-integration: install
	bash scripts/with-kafka.sh $(BIN)/python -m pytest tests/integration

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy streams models scripts/model_compare.py scripts/gold_agreement.py

check: lint typecheck test

train: install
	$(BIN)/tension train

evaluate: install
	$(BIN)/tension evaluate

bench: install
	$(BIN)/python bench/classifier.py
	bash scripts/with-kafka.sh $(BIN)/python bench/pipeline.py

# Rebuild the Grafana dashboards' JSON (deploy/grafana/dashboards/) from deploy/grafana/dashboards.py.
dashboards: install
	$(BIN)/python deploy/grafana/dashboards.py

clean:
	-bash $(KAFKA) down
	rm -rf .cache .mypy_cache .ruff_cache .pytest_cache
