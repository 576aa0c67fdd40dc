"""A small OpenAI-compatible chat server on loopback, scripted per request (real HTTP, real SSE).

Speaks `POST /v1/chat/completions` with `stream: true`: `data: {chat.completion.chunk}\\n\\n` events,
then a usage chunk and `data: [DONE]`. Each request takes the next `Reply` of `script` (the last one
repeats); `requests` keeps every request body, to assert on what the client sent. The `fake_openai`
fixture is one started with an empty script, stopped after the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio


@dataclass
class Reply:
    pieces: list[str] = field(default_factory=list)  # streamed as deltas
    delay: float = 0.0  # before each piece
    status: int = 200
    error: str = ""  # message of an error body (status != 200)
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0  # silence after the headers, before the first piece
    usage: tuple[int, int] | None = (120, 40)


@dataclass
class FakeOpenAI:
    script: list[Reply]
    requests: list[dict[str, Any]] = field(default_factory=list)
    emitted: list[tuple[str, float]] = field(default_factory=list)  # (piece, monotonic time written)
    url: str = ""
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/v1"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def _next(self) -> Reply:
        index = min(len(self.requests) - 1, len(self.script) - 1)
        return self.script[index]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(json.loads(body or b"{}"))
            await self._reply(self._next(), writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
                await writer.wait_closed()

    async def _reply(self, reply: Reply, writer: asyncio.StreamWriter) -> None:
        if reply.status != 200:
            payload = json.dumps({"error": {"message": reply.error, "type": "server_error", "code": None}}).encode()
            extra = "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
            writer.write(
                f"HTTP/1.1 {reply.status} Error\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                f"{extra}Connection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
            return
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n"
        )
        await writer.drain()
        if reply.stall:
            await asyncio.sleep(reply.stall)
        for index, piece in enumerate(reply.pieces):
            if reply.delay:
                await asyncio.sleep(reply.delay)
            delta: dict[str, Any] = {"content": piece}
            if index == 0:
                delta["role"] = "assistant"
            await self._event(writer, _chunk([{"index": 0, "delta": delta, "finish_reason": None}]))
            self.emitted.append((piece, time.monotonic()))
        await self._event(writer, _chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
        if reply.usage is not None:
            prompt, completion = reply.usage
            usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
            await self._event(writer, _chunk([], usage=usage))
        writer.write(b"data: [DONE]\n\n")
        await writer.drain()

    async def _event(self, writer: asyncio.StreamWriter, data: dict[str, Any]) -> None:
        writer.write(b"data: " + json.dumps(data).encode() + b"\n\n")
        await writer.drain()


def _chunk(choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": "test-model",
        "choices": choices,
    }  # fmt: skip
    if usage is not None:
        chunk["usage"] = usage
    return chunk


def words(text: str) -> list[str]:
    """`text` as stream pieces that join back exactly."""
    import re

    return re.findall(r"\s*\S+|\s+$", text)


@pytest_asyncio.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI(script=[])
    await server.start()
    yield server
    await server.stop()
