"""The api's SIGTERM sequence against a real uvicorn process (backend/platform/http/drain.py): unready at
once, still serving through the drain window, websockets closed with 1012, then the listener closed
and the process gone within its bound."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time

import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.plugins.processes import start_api, stop_api, wait_ready
from tests.plugins.realtime import connect, make_users
from tests.support import SessionServices

WINDOW = 2.0
BOUND = WINDOW + 3 + 10 + 5  # window, sockets' close, uvicorn's graceful timeout, lifespan shutdown


async def _closed(ws: ClientConnection, within: float) -> int | None:
    """Read until the server closes the socket; its close code."""
    async with asyncio.timeout(within):
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.recv()
    return ws.close_code


async def test_sigterm_turns_unready_serves_through_the_window_closes_sockets_with_1012_then_exits(
    services: SessionServices, db: None, redis: aioredis.Redis
) -> None:
    api = start_api(services, API_DRAIN_SECONDS=str(WINDOW))
    try:
        await wait_ready(api)
        (user,) = await make_users(1)
        sockets = [await connect(redis, api, user) for _ in range(3)]
        async with httpx.AsyncClient(base_url=api.url, timeout=5) as http:
            assert (await http.get("/health/ready")).status_code == 200
            api.signal(signal.SIGTERM)
            signalled = time.monotonic()
            ready = await http.get("/health/ready")
            assert ready.status_code == 503, ready.text
            assert ready.json()["status"] == "draining"
            # Through the window: new connections are accepted and served, sockets stay open.
            for _ in range(3):
                async with httpx.AsyncClient(base_url=api.url, timeout=5) as fresh:
                    assert (await fresh.get("/health/live")).status_code == 200
                await asyncio.sleep(0.3)
            assert time.monotonic() - signalled < WINDOW
            assert all(ws.close_code is None for ws in sockets)
            codes = [await _closed(ws, within=WINDOW + 5) for ws in sockets]
            closed_after = time.monotonic() - signalled
            assert codes == [1012, 1012, 1012]
            assert closed_after >= WINDOW - 0.1
        # The listener closes after the sockets; then the process exits (uvicorn re-raises SIGTERM).
        code = await asyncio.to_thread(api.popen.wait, BOUND)
        assert code == -signal.SIGTERM, api.output()
        async with httpx.AsyncClient(base_url=api.url, timeout=2) as http:
            with pytest.raises(httpx.ConnectError):
                await http.get("/health/live")
    finally:
        stop_api(api)
