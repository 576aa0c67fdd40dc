"""Test-only worker module (`--tasks-module tests.workers.paced_parse`): every parse in this worker
pauses `PACED_PARSE_SECONDS` after each progress report. The browser test uses a short pause so the
progress bar is seen moving; the kill test a long one, to kill the worker mid-parse (below the
parse's 30 s wall-clock limit). Never import this from a test module: the patch would pace the test
process's own parses too."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from backend.engines import resume_parser

PAUSE_SECONDS = float(os.environ["PACED_PARSE_SECONDS"])

_real_parse = resume_parser.parse_isolated_async


async def _paced_parse(data: bytes, *, progress: Any = None, **limits: Any) -> resume_parser.ParseResult:
    async def report(stage: str, percent: int) -> None:
        if progress is not None:
            await progress(stage, percent)
        await asyncio.sleep(PAUSE_SECONDS)

    return await _real_parse(data, progress=report, **limits)


resume_parser.parse_isolated_async = _paced_parse
