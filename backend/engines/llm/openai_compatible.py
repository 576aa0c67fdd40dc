"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, LM Studio) through the `openai` client.

Transient failures (connection errors, timeouts, 408/409/429/5xx) are retried by the client itself,
`AISettings.max_retries` times with its backoff (honouring `Retry-After`); what still fails becomes a
`ProviderError` naming the provider's own message. `timeout_seconds` bounds each request and every
silence inside a stream. Usage comes from the stream's last chunk (`stream_options.include_usage`),
or is estimated when the endpoint sends none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import openai

from backend.engines.llm.base import Chunk, GenerationRequest, ProviderError, Usage, estimate_tokens
from backend.settings import AISettings


class OpenAICompatibleProvider:
    name = "openai"

    def __init__(self, settings: AISettings) -> None:
        self.model = settings.model
        self.settings = settings
        self.client = openai.AsyncOpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or "not-needed",  # local servers (vLLM, Ollama) take any key
            timeout=settings.timeout_seconds,
            max_retries=max(0, settings.max_retries),
        )
        self.host = urlsplit(settings.base_url or "https://api.openai.com").netloc

    async def aclose(self) -> None:
        await self.client.close()

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        messages: Any = [{"role": m.role, "content": m.content} for m in request.messages]
        try:
            stream = await self.client.chat.completions.create(
                model=self.model,
                messages=messages,
                stream=True,
                stream_options={"include_usage": True},
                max_tokens=request.max_tokens,
                temperature=request.temperature,
            )
        except openai.APIError as exc:
            raise self._error(exc) from exc
        sent: list[str] = []
        usage: Usage | None = None
        try:
            async for event in stream:
                if event.usage is not None:
                    usage = Usage(event.usage.prompt_tokens or 0, event.usage.completion_tokens or 0)
                for choice in event.choices:
                    if choice.delta is not None and choice.delta.content:
                        sent.append(choice.delta.content)
                        yield Chunk(text=choice.delta.content)
        except openai.APIError as exc:
            raise self._error(exc) from exc
        except Exception as exc:
            if "httpx" in type(exc).__module__:  # ReadTimeout, RemoteProtocolError... mid-stream, unwrapped
                raise self._stream_error(exc) from exc
            raise
        finally:
            await stream.close()
        if usage is None:
            prompt = sum(estimate_tokens(m.content) for m in request.messages)
            usage = Usage(prompt, estimate_tokens("".join(sent)), estimated=True)
        yield Chunk(usage=usage)

    def _stream_error(self, exc: Exception) -> ProviderError:
        if "Timeout" in type(exc).__name__:
            return ProviderError(
                f"The AI provider at {self.host} went silent for more than "
                f"{self.settings.timeout_seconds:g} s mid-answer"
            )
        return ProviderError(f"The AI provider at {self.host} broke off the stream ({type(exc).__name__})")

    def _error(self, exc: openai.APIError) -> ProviderError:
        tries = 1 + max(0, self.settings.max_retries)
        if isinstance(exc, openai.APITimeoutError):
            return ProviderError(
                f"The AI provider at {self.host} did not answer within {self.settings.timeout_seconds:g} s "
                f"({tries} tries)"
            )
        if isinstance(exc, openai.APIConnectionError):
            return ProviderError(f"The AI provider at {self.host} could not be reached ({tries} tries)")
        if isinstance(exc, openai.APIStatusError):
            detail = _provider_message(exc)
            return ProviderError(
                f"The AI provider at {self.host} answered HTTP {exc.status_code}: {detail}", status=exc.status_code
            )
        return ProviderError(f"The AI provider at {self.host} failed: {exc.message[:300]}")


def _provider_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])[:300]
        if isinstance(inner, str):
            return inner[:300]
    return (exc.message or exc.response.reason_phrase or "error")[:300]
