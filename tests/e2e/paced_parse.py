"""Test-only worker module (`--tasks-module tests.e2e.paced_parse`): every parse in this worker
pauses after each progress report, so the browser test sees the progress bar move (a real parse
of a one-page PDF is over in a blink). Never import this from a test module: the patch would pace
the test process's own parses too."""

from __future__ import annotations

import asyncio
from typing import Any

from backend.lib import resume_parser

PAUSE_SECONDS = 0.4

_real_parse = resume_parser.parse_isolated_async


async def _paced_parse(data: bytes, *, progress: Any = None, **limits: Any) -> resume_parser.ParseResult:
    async def report(stage: str, percent: int) -> None:
        if progress is not None:
            await progress(stage, percent)
        await asyncio.sleep(PAUSE_SECONDS)

    return await _real_parse(data, progress=report, **limits)


resume_parser.parse_isolated_async = _paced_parse
