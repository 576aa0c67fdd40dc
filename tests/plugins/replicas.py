"""A real streaming replica (a plugin of the root conftest): `replicated` (module) starts an embedded
primary with a migrated database and a replica of it (`EmbeddedReplica`: pg_basebackup -R), apart from
the session's database, whose tables other tests truncate. `replica_api` starts apis on them."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from backend.devtools.embedded_services import EmbeddedPostgres, EmbeddedReplica, free_port
from tests import support
from tests.plugins.processes import Api, start_api, wait_ready
from tests.support import SessionServices

DATABASE = "career_copilot"
POSITION = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint"
REPLAYED = "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint"


@dataclass
class Replicated:
    primary: EmbeddedPostgres
    replica: EmbeddedReplica

    @property
    def primary_url(self) -> str:
        return self.primary.url(DATABASE)

    @property
    def replica_url(self) -> str:
        return self.replica.url(DATABASE)

    async def _on_replica(self, sql: str) -> object:
        connection = await asyncpg.connect(self.replica_url)
        try:
            return await connection.fetchval(sql)
        finally:
            await connection.close()

    async def pause(self) -> None:
        await self._on_replica("SELECT pg_wal_replay_pause()")

    async def resume(self) -> None:
        await self._on_replica("SELECT pg_wal_replay_resume()")

    async def caught_up(self, within: float = 20) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        connection = await asyncpg.connect(self.primary_url)
        try:
            target = await connection.fetchval(POSITION)
        finally:
            await connection.close()

        async def replayed() -> bool:
            return bool(await self._on_replica(REPLAYED) >= target)

        await support.eventually(replayed, within, "the replica to replay the primary's WAL")

    async def on_replica(self, sql: str, *args: object) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.replica_url)
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()


@pytest.fixture(scope="module")
def replicated(services: SessionServices) -> Iterator[Replicated]:
    # Not pytest's tmp_path: pytest makes /tmp/pytest-of-<user> private again when it numbers a new
    # directory, which locks the unprivileged postgres user (root runs) out of its data directory.
    tmp = Path(tempfile.mkdtemp(prefix="cc-replicated-"))
    primary = EmbeddedPostgres(tmp / "primary", free_port())
    replica = EmbeddedReplica(primary, tmp / "replica", free_port())
    try:
        primary.start()
        primary.create_database(DATABASE)
        support.run_migrations(primary.url(DATABASE))
        replica.start()
        yield Replicated(primary, replica)
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(tmp, ignore_errors=True)


async def replica_api(services: SessionServices, replicated: Replicated, **env: str) -> Api:
    """An api on the replicated primary, routing to its replica; ready."""
    api = start_api(services, DATABASE_URL=replicated.primary_url, DATABASE_REPLICA_URLS=replicated.replica_url, **env)
    await wait_ready(api)
    return api


async def routed_reads(api: Api) -> dict[str, float]:
    """`career_copilot_db_reads_total` of `api` by target."""
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(f"{api.url}/metrics")).text
    found = re.findall(r'^career_copilot_db_reads_total\{target="(\w+)"\} (\S+)$', text, re.MULTILINE)
    counts = {"primary": 0.0, "replica": 0.0}
    counts.update({target: float(value) for target, value in found})
    return counts


async def replica_states(api: Api) -> list[dict[str, object]]:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(f"{api.url}/health/ready")
    assert response.status_code == 200, response.text
    states: list[dict[str, object]] = response.json()["replicas"]
    return states
