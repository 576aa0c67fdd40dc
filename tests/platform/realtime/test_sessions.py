"""A socket lives exactly as long as the sign-in session (or personal access token) whose ticket
opened it: every way a session ends closes its sockets with 4001 on every api process within a
second, while the user's other sessions keep theirs; a ticket of an ended session opens nothing.

Black box: real api processes, real websocket clients, tickets from the ticket route. Each socket
is opened on the first api and the session is ended through the second, so the close crosses
processes (Redis pub/sub) every time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
import pytest_asyncio
import websockets

from tests import factories
from tests.plugins.processes import Api
from tests.plugins.realtime import Socket

NEW_PASSWORD = "an entirely new passphrase"
CLOSE_WITHIN = 1.0  # seconds from the answer of the request that ended the session


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def ticket(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await http.post("/api/v1/realtime/tickets", headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["ticket"])


class Sockets:
    """Open sockets for a test, closed at its end."""

    def __init__(self, stack: AsyncExitStack) -> None:
        self.stack = stack

    async def open(self, api: Api, http: httpx.AsyncClient, headers: dict[str, str]) -> Socket:
        ws = await self.stack.enter_async_context(
            await websockets.connect(f"{api.ws_url}?ticket={await ticket(http, headers)}", open_timeout=10)
        )
        socket = Socket(ws)
        await socket.alive()
        return socket


@pytest_asyncio.fixture
async def sockets() -> AsyncIterator[Sockets]:
    async with AsyncExitStack() as stack:
        yield Sockets(stack)


async def assert_session_ended(socket: Socket) -> None:
    """The server closed the socket with 4001 "session ended" within a second."""
    await asyncio.wait_for(asyncio.shield(socket.reader), CLOSE_WITHIN)
    assert socket.ws.close_code == 4001, (socket.ws.close_code, socket.ws.close_reason)
    assert socket.ws.close_reason == "session ended"


async def assert_live(http: httpx.AsyncClient, headers: dict[str, str], *live: Socket) -> None:
    """A new application (created with `headers`) reaches every socket of `live`."""
    created = await http.post("/api/v1/applications", json={"company": "Acme", "role": "Dev"}, headers=headers)
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]

    def seen(events: list[dict[str, object]]) -> bool:
        return any(e["type"] == "application.changed" and e["data"]["application_id"] == app_id for e in events)  # type: ignore[index]

    for socket in live:
        await socket.until(seen, within=5)


async def test_logout_closes_the_sessions_sockets_only(apis: tuple[Api, Api], sockets: Sockets) -> None:
    async with httpx.AsyncClient(base_url=apis[0].url) as one, httpx.AsyncClient(base_url=apis[1].url) as two:
        first = await factories.account(one)
        second = bearer((await factories.login(one, first.email))["access_token"])
        doomed = await sockets.open(apis[0], one, first.headers)
        kept = await sockets.open(apis[0], one, second)
        elsewhere = await sockets.open(apis[1], one, second)
        assert (await two.post("/api/v1/auth/logout", json={"refresh_token": first.refresh_token})).status_code == 204
        await assert_session_ended(doomed)
        assert (await two.get("/api/v1/me", headers=first.headers)).status_code == 401
        await assert_live(two, second, kept, elsewhere)


async def test_a_ticket_of_an_ended_session_opens_nothing(apis: tuple[Api, Api]) -> None:
    async with httpx.AsyncClient(base_url=apis[0].url) as http:
        account = await factories.account(http)
        unspent = await ticket(http, account.headers)
        assert (
            await http.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token})
        ).status_code == 204
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"{apis[1].ws_url}?ticket={unspent}", open_timeout=5)
    assert refused.value.response.status_code == 403


async def test_refresh_token_reuse_closes_the_familys_sockets(apis: tuple[Api, Api], sockets: Sockets) -> None:
    async with httpx.AsyncClient(base_url=apis[0].url) as one, httpx.AsyncClient(base_url=apis[1].url) as two:
        first = await factories.account(one)
        second = bearer((await factories.login(one, first.email))["access_token"])
        doomed = await sockets.open(apis[0], one, first.headers)
        kept = await sockets.open(apis[0], one, second)
        rotated = await two.post("/api/v1/auth/refresh", json={"refresh_token": first.refresh_token})
        assert rotated.status_code == 200
        await asyncio.sleep(0.3)
        assert doomed.ws.close_code is None  # a rotation does not end the session
        reused = await two.post("/api/v1/auth/refresh", json={"refresh_token": first.refresh_token})
        assert reused.status_code == 401 and reused.json()["type"].endswith(":token-reused")
        await assert_session_ended(doomed)
        await assert_live(two, second, kept)


async def test_a_password_change_closes_every_other_sessions_sockets(apis: tuple[Api, Api], sockets: Sockets) -> None:
    async with httpx.AsyncClient(base_url=apis[0].url) as one, httpx.AsyncClient(base_url=apis[1].url) as two:
        first = await factories.account(one)
        second = bearer((await factories.login(one, first.email))["access_token"])
        made = await one.post("/api/v1/me/tokens", json={"name": "sheet", "scopes": ["read"]}, headers=second)
        token = bearer(made.json()["token"])
        doomed = await sockets.open(apis[0], one, first.headers)
        kept = await sockets.open(apis[0], one, second)  # the session that changes the password
        integration = await sockets.open(apis[0], one, token)  # personal tokens survive a change
        change = await two.post(
            "/api/v1/me/password",
            json={"current_password": first.password, "new_password": NEW_PASSWORD},
            headers=second,
        )
        assert change.status_code == 204, change.text
        await assert_session_ended(doomed)
        await assert_live(two, second, kept, integration)


async def test_a_password_reset_closes_every_socket_of_the_account(apis: tuple[Api, Api], sockets: Sockets) -> None:
    async with httpx.AsyncClient(base_url=apis[0].url) as one, httpx.AsyncClient(base_url=apis[1].url) as two:
        first = await factories.account(one)
        second = bearer((await factories.login(one, first.email))["access_token"])
        made = await one.post("/api/v1/me/tokens", json={"name": "sheet", "scopes": ["read"]}, headers=second)
        doomed = [
            await sockets.open(apis[0], one, first.headers),
            await sockets.open(apis[1], one, second),
            await sockets.open(apis[0], one, bearer(made.json()["token"])),
        ]
        assert (await two.post("/api/v1/auth/password-reset", json={"email": first.email})).status_code == 202
        token = await factories.mailed_token(first.email, "password_reset")
        confirm = await two.post(
            "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
        )
        assert confirm.status_code == 204
        await asyncio.gather(*(assert_session_ended(socket) for socket in doomed))
        fresh = bearer((await factories.login(two, first.email, NEW_PASSWORD))["access_token"])
        await assert_live(two, fresh, await sockets.open(apis[0], one, fresh))


async def test_revoking_a_personal_token_closes_its_sockets_only(apis: tuple[Api, Api], sockets: Sockets) -> None:
    async with httpx.AsyncClient(base_url=apis[0].url) as one, httpx.AsyncClient(base_url=apis[1].url) as two:
        account = await factories.account(one)
        made = [
            (
                await one.post("/api/v1/me/tokens", json={"name": name, "scopes": ["read"]}, headers=account.headers)
            ).json()
            for name in ("doomed", "kept")
        ]
        doomed = await sockets.open(apis[0], one, bearer(made[0]["token"]))
        kept = await sockets.open(apis[0], one, bearer(made[1]["token"]))
        session = await sockets.open(apis[0], one, account.headers)
        revoked = await two.delete(f"/api/v1/me/tokens/{made[0]['id']}", headers=account.headers)
        assert revoked.status_code == 204
        await assert_session_ended(doomed)
        await assert_live(two, account.headers, kept, session)
