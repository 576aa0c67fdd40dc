"""Erasing an account with the object store down: `DELETE /me` still succeeds at once (the row, every
row of the user and the record of what is left go in one transaction), and once the store is back the
worker's task deletes the files and the realtime history: nothing of the user is left anywhere."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
import redis.asyncio as aioredis

from backend.devtools.embedded_services import free_port
from backend.entrypoints.api import create_app
from backend.platform.db.tables import ALL_TABLES, AccountErasure, IdempotencyRecord
from backend.settings import Settings
from tests import factories, support
from tests.plugins.processes import WORKER_ARGS, Spawn
from tests.plugins.services import served
from tests.plugins.storage import BUCKET, raw_client, s3_env
from tests.support import eventually, settings_env


class Switch:
    """A TCP proxy in front of the S3 server that can refuse connections (S3 down) and come back."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port, self.port = upstream_port, free_port()
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port, reuse_address=True)

    async def down(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.links):  # open keep-alive connections die too
            writer.close()
        await self.server.wait_closed()
        self.server = None

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        self.links |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.links -= {writer, up_writer}


@pytest_asyncio.fixture
async def s3_switch(s3_endpoint: str) -> AsyncIterator[Switch]:
    switch = Switch(int(s3_endpoint.rsplit(":", 1)[1]))
    await switch.up()
    yield switch
    if switch.server is not None:
        await switch.down()


def _pdf_bytes(line: str = "Ada Lovelace, ada@example.com") -> bytes:
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), line)
    data: bytes = doc.tobytes()
    doc.close()
    return data


async def _rows_of(user_id: str) -> dict[str, int]:
    """Rows of every table that name the user (its own row, or a `user`/`user_id` column)."""
    found: dict[str, int] = {}
    for table in ALL_TABLES:
        columns = {column._meta.db_column_name for column in table._meta.columns}
        for column in ("id", "user", "user_id") if table._meta.tablename == "users" else ("user", "user_id"):
            if column in columns and (column != "id" or table._meta.tablename == "users"):
                rows = await table.raw(
                    f'SELECT count(*) AS n FROM "{table._meta.tablename}" WHERE "{column}" = {{}}', user_id
                )
                if rows[0]["n"]:
                    found[f"{table._meta.tablename}.{column}"] = rows[0]["n"]
    return found


async def test_erasure_with_the_object_store_down_succeeds_and_finishes_once_it_is_back(
    services: support.SessionServices,
    s3_endpoint: str,
    s3_switch: Switch,
    redis: aioredis.Redis,
    spawn: Spawn,
    db: None,
) -> None:
    prefix = f"erase-{uuid.uuid4().hex[:12]}"
    env = settings_env(services, **s3_env(s3_switch.url, prefix), S3_MAX_ATTEMPTS="1", S3_CONNECT_TIMEOUT_SECONDS="1")
    bucket = raw_client(s3_endpoint)  # around the switch (a blocking client: not through this loop)

    def stored(user_id: str) -> list[str]:
        listed = bucket.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/users/{user_id}/")
        return [item["Key"] for item in listed.get("Contents", [])]

    async with served(create_app(Settings.from_env(env))) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        account = await factories.account(client)
        for name in ("a.pdf", "b.pdf"):
            files = {"file": (name, _pdf_bytes(f"Ada Lovelace, ada@example.com ({name})"), "application/pdf")}
            uploaded = await client.post("/api/v1/resumes", files=files, headers=account.headers)
            assert uploaded.status_code in (201, 202), uploaded.text
        kept = {**account.headers, "Idempotency-Key": "erase-me"}
        created = await client.post("/api/v1/applications", json={"company": "Acme", "role": "Dev"}, headers=kept)
        assert created.status_code == 201, created.text
        assert len(stored(account.user_id)) == 2
        assert await IdempotencyRecord.count() == 1

        await s3_switch.down()
        erased = await client.request(
            "DELETE", "/api/v1/me", json={"password": account.password}, headers=account.headers
        )
        assert erased.status_code == 204, erased.text
        assert (await client.get("/api/v1/me", headers=account.headers)).status_code == 401
        pending = await AccountErasure.select().where(AccountErasure.user_id == account.user_id).first()
        assert pending is not None and pending["attempts"] >= 1  # the api's own attempt failed

    # A worker starts while the store is still down: its attempts fail and are retried.
    worker = spawn("backend.entrypoints.worker", env, *WORKER_ARGS)

    async def retried() -> bool:
        row = await AccountErasure.select().where(AccountErasure.user_id == account.user_id).first()
        return row is not None and row["attempts"] >= 2

    await eventually(retried, 60, "the worker to try the erasure while the store is down")
    await s3_switch.up()
    gone = lambda: AccountErasure.count().where(AccountErasure.user_id == account.user_id)  # noqa: E731

    async def finished() -> bool:
        return await gone() == 0

    await eventually(finished, 60, "the erasure to finish once the store is back")
    assert stored(account.user_id) == []
    assert await _rows_of(account.user_id) == {}
    assert await IdempotencyRecord.count() == 0
    keys = [key.decode() async for key in redis.scan_iter(match=f"*{account.user_id}*")]
    assert keys == []
    assert worker.terminate(timeout=30) == 0


async def test_an_erasure_left_unfinished_is_enqueued_again_by_the_sweep(db: None) -> None:
    from datetime import UTC, datetime, timedelta

    from backend.features.accounts import erasure
    from backend.platform.db.tables import TaskOutbox

    now = datetime.now(UTC)
    stale, fresh = uuid.uuid4(), uuid.uuid4()
    await AccountErasure(
        user_id=stale, requested_at=now - timedelta(hours=2), last_attempt_at=now - timedelta(hours=1)
    ).save()
    await AccountErasure(user_id=fresh, requested_at=now - timedelta(hours=2), last_attempt_at=now).save()
    assert await erasure.sweep(now) == 1
    rows = await TaskOutbox.select(TaskOutbox.task_name, TaskOutbox.kwargs)
    kwargs = [row["kwargs"] if isinstance(row["kwargs"], dict) else json.loads(row["kwargs"]) for row in rows]
    assert [row["task_name"] for row in rows] == [erasure.FINISH_TASK] and kwargs == [{"user_id": str(stale)}]
    assert await erasure.sweep(now) == 0  # marked attempted: not again until RETRY_AFTER has passed
    assert await erasure.sweep(now + erasure.RETRY_AFTER + timedelta(seconds=1)) == 2
