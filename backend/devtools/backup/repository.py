"""Where backups go and how a server is archived, backed up and restored.

    repo = Repository(Path(".data/backups"), s3=S3Target("s3://bucket/pg", "career-copilot"))
    pg = EmbeddedPostgres(data_dir, port, settings=repo.server_settings())   # archives every segment
    repo.base_backup(pg, incremental=True)     # pg_basebackup (+ barman-cloud-backup when s3 is set)
    repo.restore(new_dir, target=when, source="local" | "s3")   # then start it: it replays to `when`

Local base backups are plain directories (`pg_basebackup -X none`: the archive holds the WAL), each with
a `backup.json` (its kind, when it ended); an incremental one needs every backup since the last full,
which `pg_combinebackup` joins back into one data directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from backend.devtools.embedded_services import EmbeddedPostgres, _pg_bin

ARCHIVE_SCRIPT = Path(__file__).with_name("archive_wal.py")


@dataclass(frozen=True)
class S3Target:
    """A barman-cloud repository: `url` (s3://bucket/prefix), the server's name in it, and an S3-compatible
    endpoint (None: AWS). Credentials come from the environment (AWS_ACCESS_KEY_ID, ...)."""

    url: str
    server: str = "career-copilot"
    endpoint: str | None = None

    def args(self) -> list[str]:
        return ["--endpoint-url", self.endpoint] if self.endpoint else []


@dataclass(frozen=True)
class BaseBackup:
    path: Path
    kind: str  # "full" | "incremental"
    ended_at: datetime


def _tool(name: str) -> str:
    """A barman-cloud command installed beside this interpreter (the `backup` extra)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise RuntimeError(f"{name} is missing: install the backup extra (uv sync --extra backup)")
    return str(path)


def _run(args: list[str], timeout: float = 600) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


@dataclass(frozen=True)
class Repository:
    root: Path
    s3: S3Target | None = None
    archive_timeout_seconds: int = 5  # the most WAL a quiet server keeps unarchived (the RPO bound)

    @property
    def wal(self) -> Path:
        return self.root / "wal"

    @property
    def base(self) -> Path:
        return self.root / "base"

    def server_settings(self) -> dict[str, str]:
        """Settings that make a server archive every WAL segment here and summarise WAL (incrementals)."""
        command = f"{sys.executable} {ARCHIVE_SCRIPT} {self.wal} %p %f"
        if self.s3 is not None:
            command += f" {self.s3.url} {self.s3.server}" + (f" {self.s3.endpoint}" if self.s3.endpoint else "")
        return {
            "wal_level": "replica",
            "archive_mode": "on",
            "archive_command": command,
            "archive_timeout": str(self.archive_timeout_seconds),
            "summarize_wal": "on",
        }

    def prepare(self, pg: EmbeddedPostgres) -> None:
        """Create the repository directories, writable by the user the server runs as."""
        if self.s3 is not None:
            _tool("barman-cloud-wal-archive")  # fail now, not in the archiver where it only logs
        self.wal.mkdir(parents=True, exist_ok=True)
        self.base.mkdir(parents=True, exist_ok=True)
        pg.grant(self.wal)
        if os.geteuid() == 0:  # the archiver runs this interpreter as the server's user: let it reach it
            for parent in Path(sys.executable).resolve().parents:
                parent.chmod(parent.stat().st_mode | stat.S_IXGRP | stat.S_IXOTH)

    def backups(self) -> list[BaseBackup]:
        found = []
        for meta in sorted(self.base.glob("*/backup.json")):
            data = json.loads(meta.read_text())
            found.append(BaseBackup(meta.parent, data["kind"], datetime.fromisoformat(data["ended_at"])))
        return found

    def base_backup(self, pg: EmbeddedPostgres, *, incremental: bool = False) -> BaseBackup:
        """A verified base backup on local disk (incremental against the newest one when asked and one
        exists), and a full one on S3 when configured."""
        previous = self.backups()[-1] if incremental and self.backups() else None
        kind = "incremental" if previous else "full"
        target = self.base / f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{kind}"
        args = [str(_pg_bin() / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres"]
        args += ["-D", str(target), "-X", "none", "--checkpoint=fast"]
        if previous is not None:
            args += ["--incremental", str(previous.path / "backup_manifest")]
        _run(args)
        _run([str(_pg_bin() / "pg_verifybackup"), "--no-parse-wal", str(target)])
        if self.s3 is not None:
            connection = ["-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", "postgres"]
            _run([_tool("barman-cloud-backup"), "--gzip", *self.s3.args(), *connection, "--immediate-checkpoint",
                  self.s3.url, self.s3.server])  # fmt: skip
        backup = BaseBackup(target, kind, datetime.now(UTC))
        (target / "backup.json").write_text(json.dumps({"kind": kind, "ended_at": backup.ended_at.isoformat()}))
        return backup

    def chain_before(self, when: datetime) -> list[BaseBackup]:
        """The last full backup that ended before `when` and the incrementals after it up to `when`."""
        usable = [backup for backup in self.backups() if backup.ended_at < when]
        fulls = [index for index, backup in enumerate(usable) if backup.kind == "full"]
        if not fulls:
            raise RuntimeError(f"no full base backup ended before {when.isoformat()}")
        return usable[fulls[-1] :]

    def restore(self, pg: EmbeddedPostgres, *, target: datetime | None, source: str = "local") -> None:
        """Fill `pg.data_dir` (absent or empty) from a base backup and set it to replay the archive up
        to `target` (None: to the end of the archive), then promote. Start `pg` afterwards."""
        destination = pg.data_dir
        if destination.exists() and any(destination.iterdir()):
            raise RuntimeError(f"{destination} is not empty")
        destination.parent.mkdir(parents=True, exist_ok=True)
        when = target or datetime.now(UTC)
        if source == "s3":
            if self.s3 is None:
                raise RuntimeError("no S3 repository configured")
            time_args = ["--target-time", when.isoformat()] if target else []
            _run([_tool("barman-cloud-restore"), *self.s3.args(), *time_args, self.s3.url, self.s3.server,
                  "latest", str(destination)])  # fmt: skip
            endpoint = f" --endpoint-url {self.s3.endpoint}" if self.s3.endpoint else ""
            restore = f"{_tool('barman-cloud-wal-restore')}{endpoint} {self.s3.url} {self.s3.server} %f %p"
        else:
            chain = self.chain_before(when)
            if len(chain) == 1:
                shutil.copytree(chain[0].path, destination)
            else:
                _run([str(_pg_bin() / "pg_combinebackup"), *(str(b.path) for b in chain), "-o", str(destination)])
            restore = f"cp {self.wal}/%f %p"
        for leftover in ("backup.json", "postmaster.pid", "postmaster.opts"):
            (destination / leftover).unlink(missing_ok=True)
        recovery = {"restore_command": restore, "recovery_target_action": "promote"}
        if target is not None:
            recovery["recovery_target_time"] = target.isoformat()
        with (destination / "postgresql.auto.conf").open("a") as conf:
            for name, value in recovery.items():
                conf.write(f"{name} = '{value}'\n")
        (destination / "recovery.signal").touch()
        destination.chmod(0o700)
        pg.grant(destination, recursive=True)


def wait_promoted(pg: EmbeddedPostgres, timeout: float = 300) -> None:
    """Block until the restored server has replayed to its target and left recovery."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(subprocess.CalledProcessError):  # not accepting connections yet
            if pg.sql("SELECT pg_is_in_recovery()") == "f":
                return
        time.sleep(0.2)
    raise TimeoutError(f"the restored server on port {pg.port} was still recovering after {timeout:.0f} s")


def wait_archived(pg: EmbeddedPostgres, segment: str, timeout: float = 60) -> float:
    """Seconds until WAL segment `segment` (and so everything before it) is archived."""
    started = time.monotonic()
    while pg.sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")[:24] < segment:
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"WAL segment {segment} was not archived within {timeout:.0f} s")
        time.sleep(0.05)
    return time.monotonic() - started
