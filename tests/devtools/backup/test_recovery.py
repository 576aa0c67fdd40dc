"""Backups restore: the primary's data directory is destroyed after a base backup, and the server
recovered from the archive holds every transaction acknowledged before the last archived WAL; the whole
restore drill passes on embedded services (as `make restore-drill` runs it)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from backend.devtools.backup.repository import Repository, wait_archived, wait_promoted
from backend.devtools.embedded_services import EmbeddedPostgres, free_port

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Repository, EmbeddedPostgres, EmbeddedPostgres]]:
    """(a repository, a primary archiving into it and running, a server to restore into, not created)."""
    workdir = tmp_path_factory.mktemp("backup")
    repo = Repository(workdir / "repo", archive_timeout_seconds=60)
    primary = EmbeddedPostgres(workdir / "primary", free_port(), settings=repo.server_settings())
    repo.prepare(primary)
    primary.start()
    restored = EmbeddedPostgres(workdir / "restored", free_port(), settings={"archive_mode": "off"})
    yield repo, primary, restored
    restored.stop()
    primary.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def test_a_destroyed_primary_is_recovered_from_the_archive_with_every_archived_commit(
    servers: tuple[Repository, EmbeddedPostgres, EmbeddedPostgres],
) -> None:
    repo, primary, restored = servers
    primary.sql("CREATE TABLE ledger (id int PRIMARY KEY, note text NOT NULL)")
    for i in range(100):  # before the base backup
        primary.sql(f"INSERT INTO ledger VALUES ({i}, 'before')")
    repo.base_backup(primary)
    for i in range(100, 200):  # after it: only in the archive
        primary.sql(f"INSERT INTO ledger VALUES ({i}, 'after')")
    primary.sql("UPDATE ledger SET note = 'edited' WHERE id % 10 = 0")
    primary.sql("DELETE FROM ledger WHERE id % 25 = 1")
    segment = primary.sql("SELECT pg_walfile_name(pg_switch_wal())")
    wait_archived(primary, segment)
    acknowledged = primary.sql("SELECT string_agg(id || ':' || note, ',' ORDER BY id) FROM ledger")
    for i in range(200, 210):  # acknowledged but still in an unarchived segment: may be lost
        primary.sql(f"INSERT INTO ledger VALUES ({i}, 'unarchived')")

    pid = int((primary.data_dir / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)  # the host dies...
    shutil.rmtree(primary.data_dir)  # ...and its disk with it

    repo.restore(restored, target=None, source="local")
    restored.start()
    wait_promoted(restored)
    recovered = restored.sql("SELECT string_agg(id || ':' || note, ',' ORDER BY id) FROM ledger WHERE id < 200")
    assert recovered == acknowledged
    assert restored.sql("SELECT count(*) FROM ledger WHERE note = 'edited'") == "20"
    restored.sql("INSERT INTO ledger VALUES (1000, 'after the restore')")  # promoted: it takes writes


def test_an_incremental_backup_restores_to_a_point_in_time_between_writes(
    servers: tuple[Repository, EmbeddedPostgres, EmbeddedPostgres],
) -> None:
    repo, primary, restored = servers
    primary.sql("CREATE TABLE ledger (id int PRIMARY KEY)")
    primary.sql("INSERT INTO ledger SELECT generate_series(1, 1000)")
    repo.base_backup(primary)
    primary.sql("INSERT INTO ledger SELECT generate_series(1001, 2000)")
    incremental = repo.base_backup(primary, incremental=True)
    assert incremental.kind == "incremental"
    primary.sql("INSERT INTO ledger SELECT generate_series(2001, 2500)")
    time.sleep(0.05)
    target = primary.sql("SELECT now()")
    time.sleep(0.05)
    primary.sql("INSERT INTO ledger SELECT generate_series(2501, 3000)")  # after the target
    wait_archived(primary, primary.sql("SELECT pg_walfile_name(pg_switch_wal())"))

    repo.restore(restored, target=datetime.fromisoformat(target), source="local")
    restored.start()
    wait_promoted(restored)
    assert restored.sql("SELECT count(*), max(id) FROM ledger") == "2500|2500"


def test_the_restore_drill_passes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "backend.devtools.backup.drill", "--seconds", "8", "--writers", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("restore verified: "), line
    tables, rows, objects = (int(part.split()[0]) for part in line.removeprefix("restore verified: ").split(", ")[:3])
    assert tables >= 15 and rows > 0 and objects > 0
