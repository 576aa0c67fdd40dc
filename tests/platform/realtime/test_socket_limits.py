"""How long a socket lives and how many a user holds: a socket is closed with 4002 after one
access-token lifetime, and a client that re-tickets (refreshing its access token) and reconnects
with its last event id misses nothing; past the per-user cap the oldest socket closes with 4003,
whichever api process holds it; past the ticket cap the oldest unspent ticket is void."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import websockets

from tests import factories
from tests.plugins.processes import Api, start_api, stop_api, wait_ready
from tests.plugins.realtime import Socket, next_event
from tests.support import SessionServices

ACCESS_TTL = 10  # seconds: the smallest the setting allows
LIMITS = {
    "ACCESS_TOKEN_TTL_SECONDS": str(ACCESS_TTL),
    "REALTIME_MAX_SOCKETS_PER_USER": "2",
    "REALTIME_MAX_TICKETS_PER_USER": "2",
}


@pytest_asyncio.fixture(scope="module")
async def limited(services: SessionServices, db: None) -> AsyncIterator[tuple[Api, Api]]:
    """Two api processes with a 10 s access-token lifetime, 2 sockets and 2 tickets per user."""
    pair = (start_api(services, **LIMITS), start_api(services, **LIMITS))
    try:
        await asyncio.gather(*(wait_ready(api) for api in pair))
        yield pair
    finally:
        for api in pair:
            stop_api(api)


class Client:
    """What the dashboard's client does: bearer requests that refresh the access token once on a 401,
    a new ticket for every connection, and `last_event_id` to resume."""

    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, Any]) -> None:
        self.http, self.tokens = http, tokens

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {self.tokens['access_token']}"}
            response = await self.http.request(method, path, headers=headers, **kwargs)
            if response.status_code != 401 or attempt:
                return response
            refreshed = await self.http.post(
                "/api/v1/auth/refresh", json={"refresh_token": self.tokens["refresh_token"]}
            )
            assert refreshed.status_code == 200, refreshed.text
            self.tokens = refreshed.json()
        raise AssertionError("unreachable")

    async def ticket(self) -> str:
        response = await self.request("POST", "/api/v1/realtime/tickets")
        assert response.status_code == 201, response.text
        return str(response.json()["ticket"])

    async def connect(self, api: Api, last_event_id: str | None = None) -> websockets.ClientConnection:
        url = f"{api.ws_url}?ticket={await self.ticket()}" + (
            f"&last_event_id={last_event_id}" if last_event_id else ""
        )
        return await websockets.connect(url, open_timeout=10)

    async def create_application(self) -> str:
        response = await self.request("POST", "/api/v1/applications", json={"company": "Acme", "role": "Dev"})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


async def signed_in(http: httpx.AsyncClient) -> Client:
    account = await factories.account(http)
    return Client(http, {"access_token": account.access_token, "refresh_token": account.refresh_token})


async def read_until_closed(ws: websockets.ClientConnection) -> None:
    with contextlib.suppress(websockets.ConnectionClosed):
        while True:
            await ws.recv()


async def open_socket(client: Client, api: Api) -> Socket:
    socket = Socket(await client.connect(api))
    await socket.alive()
    return socket


async def test_a_socket_lives_one_access_token_lifetime_and_the_client_resumes(limited: tuple[Api, Api]) -> None:
    async with httpx.AsyncClient(base_url=limited[0].url) as http:
        client = await signed_in(http)
        opened = time.monotonic()
        ws = await client.connect(limited[0])
        first = await client.create_application()
        seen = await next_event(ws)
        assert seen["data"]["application_id"] == first
        await asyncio.wait_for(read_until_closed(ws), ACCESS_TTL + 5)
        lived = time.monotonic() - opened
        assert ws.close_code == 4002 and ws.close_reason == "re-ticket"
        assert ACCESS_TTL - 1 <= lived <= ACCESS_TTL + 2, lived
        # While no socket is open, the access token expires too: the client refreshes it for the
        # request and the ticket, then resumes after the last event it saw.
        second = await client.create_application()
        async with await client.connect(limited[1], last_event_id=seen["id"]) as resumed:
            replayed = await next_event(resumed)
            assert replayed["type"] == "application.changed" and replayed["data"]["application_id"] == second
            third = await client.create_application()
            assert (await next_event(resumed))["data"]["application_id"] == third


async def test_past_the_socket_cap_the_oldest_socket_closes_on_any_process(limited: tuple[Api, Api]) -> None:
    async with httpx.AsyncClient(base_url=limited[0].url) as http:
        client = await signed_in(http)
        oldest = await open_socket(client, limited[0])
        middle = await open_socket(client, limited[1])
        newest = await open_socket(client, limited[0])
        await asyncio.wait_for(asyncio.shield(oldest.reader), 1)
        assert oldest.ws.close_code == 4003 and oldest.ws.close_reason == "too many sockets"
        latest = await open_socket(client, limited[0])  # now the oldest is on the other process
        await asyncio.wait_for(asyncio.shield(middle.reader), 1)
        assert middle.ws.close_code == 4003
        app_id = await client.create_application()
        for socket in (newest, latest):
            await socket.until(lambda events: any(e["data"].get("application_id") == app_id for e in events), 5)
            await socket.ws.close()


async def test_past_the_ticket_cap_the_oldest_ticket_is_void(limited: tuple[Api, Api]) -> None:
    async with httpx.AsyncClient(base_url=limited[0].url) as http:
        client = await signed_in(http)
        first, second, third = [await client.ticket() for _ in range(3)]
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"{limited[0].ws_url}?ticket={first}", open_timeout=5)
    assert refused.value.response.status_code == 403
    for ticket in (second, third):
        async with await websockets.connect(f"{limited[1].ws_url}?ticket={ticket}", open_timeout=5) as ws:
            await ws.send('{"type":"ping"}')
            assert (await next_event(ws))["type"] == "pong"
