"""Model calls: one provider interface, an OpenAI-compatible provider and the offline one.

    provider = llm.build_provider(settings.ai)   # builtin unless OPENAI_BASE_URL/OPENAI_API_KEY is set
    async for chunk in provider.stream(request): ...

Framework-free: the worker builds the provider in its startup hook.
"""

from __future__ import annotations

from backend.engines.llm.base import (
    Brief,
    Chunk,
    GenerationRequest,
    Message,
    Provider,
    ProviderError,
    Usage,
    complete,
    estimate_tokens,
)
from backend.engines.llm.builtin import BuiltinProvider
from backend.engines.llm.openai_compatible import OpenAICompatibleProvider
from backend.settings import AISettings


def build_provider(settings: AISettings) -> Provider:
    """The configured OpenAI-compatible endpoint, else the builtin offline provider."""
    if settings.configured:
        return OpenAICompatibleProvider(settings)
    return BuiltinProvider(settings.builtin_token_delay_ms)


__all__ = [
    "Brief",
    "BuiltinProvider",
    "Chunk",
    "GenerationRequest",
    "Message",
    "OpenAICompatibleProvider",
    "Provider",
    "ProviderError",
    "Usage",
    "build_provider",
    "complete",
    "estimate_tokens",
]
