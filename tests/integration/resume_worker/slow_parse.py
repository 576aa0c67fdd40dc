"""Test-only worker module (`--tasks-module tests.integration.resume_worker.slow_parse`): every parse
in this worker holds at its first progress report, so a test can kill the worker mid-parse.

The parse child is running when the hold starts; the test kills the worker as soon as it sees the
first parser stage. Never import this from a test module: the patch would hold the test process's
own parses too."""

from __future__ import annotations

import asyncio
from typing import Any

from backend.lib import resume_parser

HOLD_SECONDS = 25.0  # below the parse's wall-clock limit (30 s), far above what the test needs

_real_parse = resume_parser.parse_isolated_async


async def _held_parse(data: bytes, *, progress: Any = None, **limits: Any) -> resume_parser.ParseResult:
    async def report(stage: str, percent: int) -> None:
        if progress is not None:
            await progress(stage, percent)
        await asyncio.sleep(HOLD_SECONDS)

    return await _real_parse(data, progress=report, **limits)


resume_parser.parse_isolated_async = _held_parse
