"""parse_isolated: a child process with CPU, memory and wall-clock limits; the parent always survives.

These start real child interpreters (~0.3 s each) on real hostile PDFs: a decompression bomb that
burns CPU, a glyph flood that exhausts memory.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from backend.engines.resume_parser import STAGES, ResumeParseError, parse_isolated, parse_isolated_async, parse_pdf
from tests.engines.resume_parser.samples import pdf


def _children() -> set[int]:
    """Live child processes of this test process (Linux /proc)."""
    tasks = Path(f"/proc/{os.getpid()}/task")
    if not tasks.exists():
        pytest.skip("needs /proc")
    found: set[int] = set()
    for task in tasks.iterdir():
        try:
            found.update(int(pid) for pid in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def test_isolated_parse_equals_in_process_parse_and_relays_progress() -> None:
    data = pdf("reactive-resume-onyx.pdf")
    seen: list[tuple[str, int]] = []
    isolated = parse_isolated(data, progress=lambda stage, percent: seen.append((stage, percent)))
    assert isolated == parse_pdf(data)
    assert seen == list(STAGES)


def test_child_errors_come_back_as_the_same_codes() -> None:
    with pytest.raises(ResumeParseError) as caught:
        parse_isolated(pdf("scanned.pdf"))
    assert caught.value.code == "no_text"
    with pytest.raises(ResumeParseError) as caught:
        parse_isolated(pdf("encrypted.pdf"))
    assert caught.value.code == "encrypted"


def test_cpu_limit_stops_a_runaway_parse() -> None:
    started = time.perf_counter()
    with pytest.raises(ResumeParseError) as caught:
        parse_isolated(pdf("text-bomb.pdf"), cpu_seconds=1, wall_seconds=20)
    assert caught.value.code == "timeout"
    assert "processing" in caught.value.reason
    assert time.perf_counter() - started < 5


def test_wall_clock_limit_kills_the_child() -> None:
    before = _children()
    started = time.perf_counter()
    with pytest.raises(ResumeParseError) as caught:
        parse_isolated(pdf("text-bomb.pdf"), cpu_seconds=60, wall_seconds=1)
    assert caught.value.code == "timeout"
    assert time.perf_counter() - started < 3
    assert _children() <= before  # killed and reaped, not left running


def test_memory_limit_turns_exhaustion_into_too_complex() -> None:
    with pytest.raises(ResumeParseError) as caught:
        parse_isolated(pdf("glyph-flood.pdf"), memory_mb=300, wall_seconds=20)
    assert caught.value.code == "too_complex"


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="memory_mb"):
        parse_isolated(pdf("gen-01-classic-helvetica.pdf"), memory_mb=64)


async def test_async_variant_keeps_the_event_loop_free() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    stages: list[str] = []

    async def progress(stage: str, percent: int) -> None:
        stages.append(stage)

    task = asyncio.create_task(ticker())
    try:
        result = await parse_isolated_async(pdf("gen-09-html-two-columns.pdf"), progress=progress)
        with pytest.raises(ResumeParseError) as caught:
            await parse_isolated_async(pdf("text-bomb.pdf"), cpu_seconds=60, wall_seconds=1)
    finally:
        task.cancel()
    assert result.resume["basics"]["name"] == "Chen Wei"
    assert stages == [stage for stage, _ in STAGES]
    assert caught.value.code == "timeout"
    assert ticks > 50  # the loop kept running while two children worked for over a second


async def test_cancelling_the_awaiting_task_kills_the_child() -> None:
    before = _children()
    task = asyncio.create_task(parse_isolated_async(pdf("text-bomb.pdf"), cpu_seconds=60, wall_seconds=60))
    await asyncio.sleep(0.5)
    assert _children() - before  # the child is working
    started = time.perf_counter()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.perf_counter() - started < 2
    assert _children() <= before


async def test_an_exception_from_the_progress_callback_stops_the_child() -> None:
    """The worker's callback raises when its run was overtaken by a redelivery: the parse must stop."""

    class Overtaken(Exception):
        pass

    async def progress(stage: str, percent: int) -> None:
        if stage == "layout":
            raise Overtaken

    before = _children()
    with pytest.raises(Overtaken):
        await parse_isolated_async(pdf("gen-01-classic-helvetica.pdf"), progress=progress)
    assert _children() <= before
