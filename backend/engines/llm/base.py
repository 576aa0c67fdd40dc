"""The provider interface every model call goes through, and its one error type.

A provider streams `Chunk`s for a `GenerationRequest`: text pieces in order, and at most one chunk
carrying `usage` (the last). The request carries both forms of the same task: `messages` (the
prompt, with resume and job text in delimited data blocks, see `prompts`) for a model, and
`brief` (the same facts, structured) for the offline writer. Callers never know which one serves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal, Protocol

import msgspec


class Message(msgspec.Struct, frozen=True):
    role: Literal["system", "user", "assistant"]
    content: str


class Usage(msgspec.Struct, frozen=True):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False  # the endpoint reported none: counted as ~4 characters a token

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Brief(msgspec.Struct, frozen=True, kw_only=True):
    """The structured facts of a task, for providers that do not read prompts."""

    kind: Literal["cover_letter", "analysis_narrative"]
    resume: dict[str, Any]  # JSON Resume
    company: str = ""
    role: str = ""
    job_description: str = ""
    tone: str = "professional"
    analysis: dict[str, Any] = msgspec.field(default_factory=dict)


class GenerationRequest(msgspec.Struct, frozen=True, kw_only=True):
    messages: list[Message]
    brief: Brief
    max_tokens: int = 900
    temperature: float = 0.4


class Chunk(msgspec.Struct, frozen=True):
    text: str = ""
    usage: Usage | None = None


class ProviderError(Exception):
    """A model call failed; `reason` is safe to show the user (it names the provider's own error)."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason[:450]
        self.status = status


class Provider(Protocol):
    name: str  # "builtin" or "openai" (any OpenAI-compatible endpoint)
    model: str

    def stream(self, request: GenerationRequest) -> AsyncIterator[Chunk]: ...

    async def aclose(self) -> None: ...


async def complete(provider: Provider, request: GenerationRequest) -> tuple[str, Usage]:
    """The whole answer of a streamed call, and what it cost."""
    parts: list[str] = []
    usage = Usage()
    async for chunk in provider.stream(request):
        parts.append(chunk.text)
        usage = chunk.usage or usage
    return "".join(parts), usage


def estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0
