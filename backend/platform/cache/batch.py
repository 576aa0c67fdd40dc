"""Commands issued together go to Redis together: every command issued during one turn of the event
loop is sent at the end of that turn as one redis-py pipeline (no MULTI), on one pooled connection,
in one write, and each caller gets its own reply.

redis-py sends each command on its own: a pool checkout, a write system call, a wait, a read and a
release per command, ~67 µs of the api's CPU for a cache lookup (docs/benchmarks.md). Under load
the requests that arrive in one turn of the loop (dozens at 50 connections) now share all of that
but the parsing of their own reply. An idle api pays one task more per command.

Errors: an error reply (`ResponseError`, `NoScriptError`) fails its own command only; anything
that fails the pipeline (connection lost, timeout) fails every command of the batch with it.
A Batcher belongs to the event loop that uses it (the api's, built in the lifespan). No Litestar
import.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis


class Batcher:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._queued: list[tuple[tuple[Any, ...], asyncio.Future[Any]]] = []
        self._sending: set[asyncio.Task[None]] = set()  # referenced until done

    async def execute(self, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if not self._queued:  # the first of a batch: its sender starts when this turn ends
            task = loop.create_task(self._send())
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        self._queued.append((args, future))
        return await future

    async def _send(self) -> None:
        batch, self._queued = self._queued, []
        try:
            async with self.redis.pipeline(transaction=False) as pipeline:
                for args, _ in batch:
                    pipeline.execute_command(*args)
                replies = await pipeline.execute(raise_on_error=False)
            for (_, future), reply in zip(batch, replies, strict=True):
                if future.done():  # its caller was cancelled
                    continue
                if isinstance(reply, Exception):
                    future.set_exception(reply)
                else:
                    future.set_result(reply)
        except BaseException as exc:  # handed to every caller of the batch still waiting
            for _, future in batch:
                if future.done():
                    continue
                if isinstance(exc, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise

    async def aclose(self) -> None:
        """Wait until the commands issued so far have their replies (their callers wait for them)."""
        while self._sending:  # a queued batch has its sender among them
            await asyncio.gather(*self._sending, return_exceptions=True)
