"""`make backup` (`python -m backend.devtools.backup.cli [--incremental] [--list]`): a base backup of
`make dev`'s embedded PostgreSQL, which archives its WAL into `DATA_DIR/backups` when started with
`DEV_BACKUPS=1` (and to `BACKUP_S3_URL` too when set)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from backend.devtools.backup.repository import Repository, S3Target
from backend.devtools.embedded_services import EmbeddedPostgres


def dev_repository(data_dir: Path, env: Mapping[str, str]) -> Repository:
    s3_url = env.get("BACKUP_S3_URL", "").strip()
    endpoint = env.get("BACKUP_S3_ENDPOINT_URL", "").strip() or None
    return Repository(data_dir / "backups", S3Target(s3_url, endpoint=endpoint) if s3_url else None)


def main(argv: list[str] | None = None) -> int:
    from backend.devtools.devserver.config import DevConfig

    parser = argparse.ArgumentParser(prog="make backup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--incremental", action="store_true", help="only what changed since the newest backup")
    parser.add_argument("--list", action="store_true", help="list the local base backups and stop")
    args = parser.parse_args(argv)
    config = DevConfig.from_env(os.environ)
    repository = dev_repository(config.data_dir, os.environ)
    if args.list:
        for backup in repository.backups():
            print(f"{backup.ended_at:%Y-%m-%d %H:%M:%S}Z  {backup.kind:<11}  {backup.path}")
        return 0
    pg = EmbeddedPostgres(config.data_dir / "postgres", config.postgres_port)
    try:
        archive_mode = pg.sql("SHOW archive_mode")
    except subprocess.CalledProcessError:
        print(f"make backup: no PostgreSQL answers on port {pg.port}: start `make dev` first", file=sys.stderr)
        return 1
    if archive_mode != "on":
        print(
            "make backup: the server does not archive its WAL: restart `make dev` with DEV_BACKUPS=1", file=sys.stderr
        )
        return 1
    backup = repository.base_backup(pg, incremental=args.incremental)
    print(f"backup done: {backup.kind} {backup.path}" + (f" and {repository.s3.url}" if repository.s3 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
