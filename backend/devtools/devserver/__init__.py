"""`make dev`: one command that runs the whole system locally (embedded default).

The supervisor provisions a real PostgreSQL and Redis under DATA_DIR when DATABASE_URL / REDIS_URL are
not given, runs the migrations, then keeps api, worker and scheduler running as child processes with
line-prefixed output, and stops everything in order on Ctrl-C / SIGTERM.

Modules: `config` (the environment it reads) · `output` (prefixed log lines) · `process` (one
supervised child, restart with backoff) · `services` (embedded Postgres/Redis, migrations) ·
`supervisor` (the start/stop sequence). Run it with `python -m backend.devtools.devserver`.
"""
