"""Handshake checks, account kicks, slow consumers and graceful shutdown."""

import asyncio
import base64
import json
import os
import signal
import socket
import struct
import uuid

import httpx
import pytest
import redis.asyncio as aioredis
import websockets

from backend.platform.crypto.tokens import hash_opaque_token
from backend.platform.db.tables import User
from backend.platform.realtime import channels, events
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings
from tests import factories
from tests.plugins.processes import Api, wait_ready
from tests.plugins.realtime import connect, make_users, next_event, ticket_for


async def _refused(url: str, **kwargs: object) -> int:
    with pytest.raises(websockets.InvalidStatus) as caught:
        await websockets.connect(url, open_timeout=5, **kwargs)  # type: ignore[arg-type]
    return int(caught.value.response.status_code)


async def test_ticket_endpoint_needs_auth_and_tickets_are_single_use(
    apis: tuple[Api, Api], redis: aioredis.Redis
) -> None:
    async with httpx.AsyncClient(base_url=apis[0].url) as http:
        assert (await http.post("/api/v1/realtime/tickets")).status_code == 401
        account = await factories.account(http)
        response = await http.post("/api/v1/realtime/tickets", headers=account.headers)
        assert response.status_code == 201
        body = response.json()
        assert body["expires_in"] == 30 and len(body["ticket"]) >= 43
        pat = await http.post("/api/v1/me/tokens", json={"name": "n", "scopes": ["read"]}, headers=account.headers)
        with_pat = await http.post(
            "/api/v1/realtime/tickets", headers={"Authorization": f"Bearer {pat.json()['token']}"}
        )
        assert with_pat.status_code == 201
    url = f"{apis[0].ws_url}?ticket={body['ticket']}"
    async with await websockets.connect(url, open_timeout=5):
        pass
    assert await _refused(url) == 403


@pytest.mark.parametrize("ticket", ["forged-ticket-value", "", "x" * 500])
async def test_forged_or_missing_tickets_are_refused_at_the_handshake(apis: tuple[Api, Api], ticket: str) -> None:
    assert await _refused(f"{apis[0].ws_url}?ticket={ticket}") == 403


async def test_an_expired_ticket_is_refused(apis: tuple[Api, Api], redis: aioredis.Redis) -> None:
    (user,) = await make_users(1)
    ticket = await ticket_for(redis, user, 1)
    await asyncio.sleep(1.2)
    assert await _refused(f"{apis[0].ws_url}?ticket={ticket}") == 403


async def test_cross_origin_handshakes_are_refused(
    apis: tuple[Api, Api], redis: aioredis.Redis, settings: Settings
) -> None:
    (user,) = await make_users(1)
    evil = await ticket_for(redis, user, 30)
    assert await _refused(f"{apis[0].ws_url}?ticket={evil}", origin="https://evil.example") == 403
    good = await ticket_for(redis, user, 30)
    origin = settings.app.allowed_origins[0]
    async with await websockets.connect(f"{apis[0].ws_url}?ticket={good}", origin=origin, open_timeout=5):  # type: ignore[arg-type]
        pass
    # the origin is checked before the ticket is redeemed: the refused handshake spent nothing
    assert await redis.exists(channels.ticket_key(hash_opaque_token(evil), user)) == 1


async def test_a_malformed_last_event_id_is_refused(apis: tuple[Api, Api], redis: aioredis.Redis) -> None:
    (user,) = await make_users(1)
    ticket = await ticket_for(redis, user, 30)
    assert await _refused(f"{apis[0].ws_url}?ticket={ticket}&last_event_id=yesterday") == 403


async def test_disabling_an_account_closes_its_sockets_on_every_replica(
    apis: tuple[Api, Api], redis: aioredis.Redis
) -> None:
    async with httpx.AsyncClient(base_url=apis[0].url) as http:
        admin = await factories.account(http)
        await User.update({User.role: "admin"}).where(User.id == admin.user_id)
        victim = await factories.account(http)
        sockets = [await connect(redis, api, victim.user_id) for api in apis]
        response = await http.patch(
            f"/api/v1/admin/users/{victim.user_id}", json={"is_active": False}, headers=admin.headers
        )
        assert response.status_code == 200
        for ws in sockets:
            await asyncio.wait_for(ws.wait_closed(), 5)
            assert ws.close_code == 4401
        assert await _refused(f"{apis[1].ws_url}?ticket={await ticket_for(redis, victim.user_id, 30)}") == 403


async def test_a_slow_consumer_is_closed_without_hurting_a_fast_one(
    apis: tuple[Api, Api], redis: aioredis.Redis, publisher: Publisher
) -> None:
    (user,) = await make_users(1)
    big = "x" * 16_000
    ticket = await ticket_for(redis, user, 30)
    slow = await RawSocket.open(apis[0], ticket)  # a tiny receive buffer, and it stops reading
    fast = await connect(redis, apis[0], user)
    async with fast:
        received: list[int] = []

        async def drain() -> None:
            while len(received) < 1500:
                received.append((await next_event(fast, 15))["data"]["seq"])

        reader = asyncio.create_task(drain())
        for seq in range(1500):  # ~1,000 events/s: a fast reader keeps up, a stalled one cannot
            data = events.CoverLetterDeltaData(uuid.UUID(int=2), seq, big)
            await publisher.publish(user, events.CoverLetterDelta(data=data))
            await asyncio.sleep(0.001)
        await asyncio.wait_for(reader, 30)
        assert received == list(range(1500))
    await asyncio.sleep(2.5)  # past the api's send timeout (2 s in these tests)
    texts, close_code = await slow.read_to_end(timeout=30)
    seqs = [json.loads(text)["data"]["seq"] for text in texts if '"cover_letter.delta"' in text]
    assert close_code == 4008
    assert 0 < len(seqs) < 1500 and seqs == list(range(len(seqs)))  # an in-order prefix: replay resumes it


class RawSocket:
    """A websocket client on a raw TCP socket whose reads the test controls (no client buffering)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    @classmethod
    async def open(cls, api: Api, ticket: str) -> "RawSocket":
        host, port = api.url.removeprefix("http://").split(":")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, (host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET /api/v1/realtime?ticket={ticket} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        await loop.sock_sendall(sock, request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += await loop.sock_recv(sock, 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(sock)

    async def read_to_end(self, timeout: float) -> tuple[list[str], int | None]:
        """Every text frame until the server closes, and the close code."""
        loop = asyncio.get_running_loop()
        data = bytearray()
        async with asyncio.timeout(timeout):
            while chunk := await loop.sock_recv(self.sock, 1 << 16):
                data += chunk
                texts, code = _frames(bytes(data))
                if code is not None:
                    self.sock.close()
                    return texts, code
        self.sock.close()
        return _frames(bytes(data))


def _frames(data: bytes) -> tuple[list[str], int | None]:
    texts, offset = [], 0
    while offset + 2 <= len(data):
        opcode, length, offset_payload = data[offset] & 0x0F, data[offset + 1] & 0x7F, offset + 2
        if length == 126:
            length, offset_payload = struct.unpack(">H", data[offset + 2 : offset + 4])[0], offset + 4
        elif length == 127:
            length, offset_payload = struct.unpack(">Q", data[offset + 2 : offset + 10])[0], offset + 10
        if offset_payload + length > len(data):
            break
        payload = data[offset_payload : offset_payload + length]
        if opcode == 0x1:
            texts.append(payload.decode())
        elif opcode == 0x8:
            return texts, struct.unpack(">H", payload[:2])[0]
        offset = offset_payload + length
    return texts, None


async def _drain_until_closed(ws: websockets.ClientConnection) -> int:
    """Read until the server closes; the number of frames read."""
    count = 0
    try:
        while True:
            await ws.recv()
            count += 1
    except websockets.ConnectionClosed:
        return count


async def test_graceful_shutdown_tells_clients_to_reconnect(fresh_api: Api, redis: aioredis.Redis) -> None:
    (user,) = await make_users(1)
    await wait_ready(fresh_api)
    ws = await connect(redis, fresh_api, user)
    fresh_api.popen.send_signal(signal.SIGTERM)
    await asyncio.wait_for(_drain_until_closed(ws), 15)
    assert ws.close_code == 1012
    assert fresh_api.popen.wait(15) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled


async def test_deleting_an_account_closes_its_sockets_and_erases_its_history(
    apis: tuple[Api, Api], redis: aioredis.Redis, publisher: Publisher
) -> None:
    async with httpx.AsyncClient(base_url=apis[1].url) as http:
        account = await factories.account(http)
        await publisher.publish(
            account.user_id, events.CoverLetterCancelled(data=events.CoverLetterRef(uuid.UUID(int=9)))
        )
        assert await redis.exists(channels.history_key(account.user_id)) == 1
        ws = await connect(redis, apis[0], account.user_id)
        response = await http.request(
            "DELETE", "/api/v1/me", json={"password": account.password}, headers=account.headers
        )
        assert response.status_code == 204
        await asyncio.wait_for(ws.wait_closed(), 5)
        assert ws.close_code == 4401
        assert await redis.exists(channels.history_key(account.user_id)) == 0


async def test_realtime_metrics_are_exported(
    apis: tuple[Api, Api], redis: aioredis.Redis, publisher: Publisher
) -> None:
    (user,) = await make_users(1)
    async with await connect(redis, apis[0], user) as ws:
        await publisher.publish(user, events.CoverLetterCancelled(data=events.CoverLetterRef(uuid.UUID(int=9))))
        await next_event(ws)
        async with httpx.AsyncClient(base_url=apis[0].url) as http:
            text = (await http.get("/metrics")).text
    values = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line.startswith("career_copilot_realtime_") and " " in line and "{" not in line.split(" ")[0]
    }
    assert values["career_copilot_realtime_sockets_open"] >= 1
    assert values["career_copilot_realtime_events_delivered_total"] >= 1
    assert values["career_copilot_realtime_publish_to_send_seconds_count"] >= 1
