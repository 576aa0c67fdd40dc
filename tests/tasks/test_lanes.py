"""Lanes: resume parses run in the worker's `parser` lane, at most PARSER_CHILDREN parser children per
worker process, beside the slots other tasks run in. A real worker is flooded with parse jobs of a real
PDF, then an email is queued behind them: the email is sent while most of the flood still waits, and
the worker never runs more parser children than its lane allows. Ordering and counts only, no timing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backend.devtools.mail.catcher import Catcher
from backend.features.notifications import emails
from backend.platform.db.engine import DB
from backend.platform.db.tables import ResumeVersion
from backend.platform.storage import ObjectStore
from tests import support
from tests.plugins.mail import mail_env, to
from tests.plugins.processes import WORKER_ARGS, Spawn
from tests.plugins.resumes import GOOD_PDF, upload
from tests.support import eventually

FLOOD = 30
COMMON_SLOTS = "10"  # --max-async-tasks: the flood is three times what the common slots hold


def _descendants(root: int) -> set[int]:
    """Every live process below `root` (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _parser_children(worker_pid: int) -> int:
    count = 0
    for pid in _descendants(worker_pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        count += b"resume_parser._child" in command
    return count


async def _settled() -> int:
    return int(await ResumeVersion.count().where(ResumeVersion.status.is_in(["parsed", "failed"])))


async def test_an_email_behind_a_parse_flood_is_sent_before_the_flood_drains(
    spawn: Spawn, services: support.SessionServices, smtp: Catcher, store: ObjectStore
) -> None:
    pdf = GOOD_PDF.read_bytes()
    versions = [(await upload(store, pdf)).version_id for _ in range(FLOOD)]
    address = f"lane-{uuid.uuid4().hex[:8]}@example.com"
    async with DB.transaction():  # queued after the whole flood: its job is the last in the stream
        await emails.queue(
            None, address, "password_reset",
            {"full_name": "Ada", "token": "t", "link": "http://127.0.0.1/reset-password?token=t",
             "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
        )  # fmt: skip

    env = mail_env(services, smtp.port, PARSER_CHILDREN="1")
    worker = spawn("backend.entrypoints.worker", env, *WORKER_ARGS, "--max-async-tasks", COMMON_SLOTS)
    most_children = 0

    async def watch() -> None:
        nonlocal most_children
        while True:
            most_children = max(most_children, _parser_children(worker.pid))
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch())
    try:
        await eventually(lambda: _async(bool(to(smtp.messages, address))), 120, "the email behind the flood")
        settled_when_mailed = await _settled()
        await eventually(lambda: _all_settled(versions), 600, "the parse flood to drain")
    except BaseException:
        print(worker.output())
        raise
    finally:
        watcher.cancel()
    print(f"settled when the email was sent: {settled_when_mailed}/{FLOOD}; most parser children: {most_children}")
    # Without the lane the email could only start once 21 parses had freed a common slot.
    assert settled_when_mailed < FLOOD // 2, settled_when_mailed
    assert most_children == 1  # one parser child at a time in this worker process (PARSER_CHILDREN=1)
    statuses = {row["status"] for row in await ResumeVersion.select(ResumeVersion.status)}
    assert statuses == {"parsed"}


async def _async(value: bool) -> bool:
    return value


async def _all_settled(versions: list[uuid.UUID]) -> bool:
    return await _settled() == len(versions)
