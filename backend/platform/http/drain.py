"""The api's SIGTERM sequence: turn unready, keep serving for a drain window, close the sockets with
1012, then let uvicorn stop (docs/rollouts.md).

What uvicorn 0.54 does on SIGTERM by itself: the next tick (0.1 s) closes its listening sockets at
once (no window in which a balancer polling `/health/ready` can notice), asks every connection to
shut down (an idle keep-alive connection is closed, a request in flight gets `Connection: close`
after its answer, a websocket is sent 1012 and its transport closed right away, whatever its
mailbox still holds), waits up to `--timeout-graceful-shutdown` for the connections and their
tasks, cancels what is left, runs the lifespan's shutdown, then re-raises the signal (exit status
-15).

`Drain.hook()`, called by the lifespan once uvicorn has installed its signal handlers, wraps
uvicorn's SIGTERM handler:
1. at once: `draining` is set, so `/health/ready` answers 503 and the balancer stops sending;
2. for `API_DRAIN_SECONDS` the process keeps accepting and serving (requests that were already
   routed here, a balancer that polls its probe every few seconds);
3. then every websocket is closed with 1012 after what its mailbox holds, and a socket opened from
   now on is closed with 1012 right after its replay (clients reconnect elsewhere with their last
   event id and replay what they missed); up to `SOCKETS_CLOSE_SECONDS` for them to go;
4. then uvicorn's own handler runs: the listener closes, requests in flight finish within
   `--timeout-graceful-shutdown`, the lifespan closes the pools.
A second SIGTERM skips what is left of the window. SIGINT (Ctrl-C on `make api`) is uvicorn's alone.
Outside uvicorn (tests serving the app in a thread, another server) nothing is hooked.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

import structlog
import uvicorn

log = structlog.get_logger("career_copilot.drain")

SOCKETS_CLOSE_SECONDS = 3.0  # how long the sockets get to send their close frames before uvicorn stops

Handler = Callable[[int, FrameType | None], Any]


class Drain:
    """The drain state of one api process and the sequence above."""

    def __init__(self, window: float, close_sockets: Callable[[float], Awaitable[int]]) -> None:
        self.window = window
        self.close_sockets = close_sockets  # closes every socket with 1012, waits up to n s; how many were open
        self.draining = False
        self._previous: Handler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._skip_window = asyncio.Event()

    def hook(self) -> bool:
        """Wrap uvicorn's SIGTERM handler (call from the lifespan); False when not served by uvicorn."""
        previous = signal.getsignal(signal.SIGTERM)
        if threading.current_thread() is not threading.main_thread():
            return False
        if not isinstance(getattr(previous, "__self__", None), uvicorn.Server) or not callable(previous):
            return False
        self._previous = previous
        self._loop = asyncio.get_running_loop()
        signal.signal(signal.SIGTERM, self._on_sigterm)
        return True

    def _on_sigterm(self, sig: int, frame: FrameType | None) -> None:
        assert self._loop is not None
        if self.draining:
            self._loop.call_soon_threadsafe(self._skip_window.set)
            return
        self.draining = True
        self._loop.call_soon_threadsafe(self._start)

    def _start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run(), name="api-drain")

    async def run(self) -> None:
        """Steps 2-4 (step 1, `draining`, is set by the signal handler or the caller)."""
        self.draining = True
        loop = asyncio.get_running_loop()
        started = loop.time()
        log.info("api_draining", window_seconds=self.window)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._skip_window.wait(), self.window)
        closed = await self.close_sockets(SOCKETS_CLOSE_SECONDS)
        log.info("api_drained", sockets_closed=closed, seconds=round(loop.time() - started, 2))
        if self._previous is not None:
            self._previous(signal.SIGTERM, None)  # uvicorn: stop accepting, finish in-flight, lifespan
