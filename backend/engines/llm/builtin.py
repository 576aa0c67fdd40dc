"""The built-in offline provider: no network, no model; `provider: "builtin"`.

It writes from the request's structured `brief` (`offline_writer`), never from the prompt text, so
a resume cannot instruct it. The answer streams a word at a time through the same path as a model's,
paced by `AISettings.builtin_token_delay_ms`. Usage is counted (completion tokens = stream tokens)
but costs nothing against the daily budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from backend.engines.llm import offline_writer
from backend.engines.llm.base import Chunk, GenerationRequest, ProviderError, Usage


class BuiltinProvider:
    name = "builtin"
    model = "builtin-writer-1"

    def __init__(self, token_delay_ms: float = 0.0) -> None:
        self.delay = max(0.0, token_delay_ms) / 1000

    async def aclose(self) -> None:
        return None

    def answer(self, request: GenerationRequest) -> str:
        if request.brief.kind == "cover_letter":
            return offline_writer.write_letter(request.brief)
        raise ProviderError("The built-in provider writes cover letters only; configure a model for narratives")

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        pieces = offline_writer.tokens(self.answer(request))
        for piece in pieces:
            if self.delay:
                await asyncio.sleep(self.delay)
            yield Chunk(text=piece)
        yield Chunk(usage=Usage(0, len(pieces)))
