"""`python -m backend.entrypoints.dead_letters`: an operator lists dead letters, replays one (it runs again with a
fresh retry budget, its record gone) and drops others."""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import cast

import redis.asyncio as aioredis
from taskiq import AsyncBroker

from backend.entrypoints.dead_letters import Entries
from backend.settings import Settings
from tests import support
from tests.plugins.processes import Spawn
from tests.plugins.tasks import PROBE_ARGS, queue_spec
from tests.support import eventually, settings_env
from tests.workers import probe_tasks


async def _cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "backend.entrypoints.dead_letters", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_dead_letter_is_listed_replayed_with_a_fresh_budget_and_runs(
    services: support.SessionServices, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis, spawn: Spawn
) -> None:
    env = settings_env(services, TASK_MAX_RETRIES="1")
    spawn("backend.entrypoints.worker", env, *PROBE_ARGS)
    dead = queue_spec(settings).dead
    key = uuid.uuid4().hex
    await probe_tasks.flaky.kicker().with_broker(sender).kiq(key, 3)  # fails 3 times, then succeeds

    async def dead_lettered() -> Entries:
        return cast(Entries, await redis.xrange(dead))

    [(entry_id, record)] = cast(Entries, await eventually(dead_lettered, 30, "the task to run out of retries"))
    assert record[b"reason"] == b"retries_exhausted" and record[b"attempts"] == b"2"

    code, out, _ = await _cli(env, "list")
    assert code == 0 and out.startswith(entry_id.decode()) and "retries_exhausted  probe.flaky  attempts=2" in out

    code, out, err = await _cli(env, "replay", entry_id.decode())
    assert (code, out.strip(), err) == (0, "replayed 1 of 1 record(s)", "")
    # attempt 3 fails, and with a fresh budget its retry (attempt 4) succeeds instead of dying again
    await eventually(lambda: redis.get(f"probe:{key}:done"), 30, "the replayed task to succeed")
    assert int(await redis.get(f"probe:{key}:attempts") or 0) == 4
    assert await redis.xlen(dead) == 0


async def test_what_cannot_be_replayed_is_kept_and_drop_removes_records(
    services: support.SessionServices, settings: Settings, redis: aioredis.Redis
) -> None:
    env = settings_env(services)
    dead = queue_spec(settings).dead
    empty = cast(bytes, await redis.xadd(dead, {"reason": "unparseable", "detail": "empty entry"})).decode()
    garbled = cast(bytes, await redis.xadd(dead, {"reason": "unparseable", "data": b"\xff not json"})).decode()

    code, _, err = await _cli(env, "replay", empty, garbled, "1-1")
    assert code == 1
    assert f"{empty}: the record holds no message" in err
    assert f"{garbled}: the message cannot be parsed" in err
    assert "1-1: no such record" in err
    assert await redis.xlen(dead) == 2 and await redis.xlen(queue_spec(settings).stream) == 0

    code, out, _ = await _cli(env, "drop", empty, garbled)
    assert (code, out.strip()) == (0, "dropped 2 of 2 record(s)")
    assert (await _cli(env, "list"))[1].strip() == "no dead letters"
