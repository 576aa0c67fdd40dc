"""HTTP and websocket routes of the realtime channel: tickets, and the per-user socket."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import datetime
from typing import Any

import msgspec
import structlog
from litestar import Controller, WebSocket, post, websocket
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import WebSocketDisconnect
from litestar.status_codes import HTTP_201_CREATED
from redis.exceptions import RedisError

from backend.platform.db.tables import PersonalAccessToken, Session
from backend.platform.http import auth, problems
from backend.platform.http.identity import Principal
from backend.platform.realtime import roster, session, tickets, wire
from backend.platform.realtime.hub import (
    CLOSE_ACCOUNT,
    CLOSE_RESTART,
    CLOSE_RETICKET,
    CLOSE_SESSION_ENDED,
    CLOSE_TOO_MANY,
    CLOSE_TOO_SLOW,
    Hub,
)
from backend.settings import Settings

CLOSE_POLICY = 1008  # before accept(): the handshake answers 403
CLOSE_REASONS = {
    CLOSE_RESTART: "restart",
    CLOSE_SESSION_ENDED: "session ended",
    CLOSE_RETICKET: "re-ticket",
    CLOSE_TOO_MANY: "too many sockets",
    CLOSE_TOO_SLOW: "too slow",
    CLOSE_ACCOUNT: "account closed",
}
log = structlog.get_logger("career_copilot.realtime")


class TicketOut(msgspec.Struct, kw_only=True):
    ticket: str
    expires_in: int


class TicketController(Controller):
    path = "/api/v1/realtime/tickets"
    tags = ["realtime"]
    security = auth.BEARER_SECURITY
    dependencies = {"principal": Provide(auth.provide_principal)}

    @post(
        "/",
        operation_id="createRealtimeTicket",
        status_code=HTTP_201_CREATED,
        responses=problems.problem_responses(401),
        opt={"read_scope_ok": True},
    )
    async def create_ticket(self, principal: NamedDependency[Principal], state: State) -> TicketOut:
        """A single-use ticket (~30 s) to open `/api/v1/realtime?ticket=…` as this user. The socket is
        bound to the sign-in session (or personal access token) that asked for the ticket: it closes
        with 4001 when that ends, and with 4002 after one access-token lifetime (ask for a new ticket
        and reconnect with `last_event_id`). Asking for more than a few tickets without spending them
        voids the oldest."""
        settings: Settings = state.settings
        ttl = settings.realtime.ticket_ttl_seconds
        cap = settings.realtime.max_tickets_per_user
        ticket = await tickets.issue(state.redis, principal.user.id, principal.credential, ttl, cap)
        return TicketOut(ticket=ticket, expires_in=ttl)


class _Socket:
    """Adapts Litestar's WebSocket to `session.Transport`."""

    def __init__(self, socket: WebSocket[Any, Any, Any]) -> None:
        self.socket = socket

    async def send(self, frame: bytes) -> None:
        await self.socket.send_data(frame.decode())

    async def receive(self) -> str | None:
        try:
            return await self.socket.receive_text()
        except WebSocketDisconnect:
            return None

    async def close(self, code: int) -> None:
        await self.socket.close(code, CLOSE_REASONS.get(code, ""))


@websocket("/api/v1/realtime")
async def realtime_socket(socket: WebSocket[Any, Any, Any]) -> None:
    """The user's live events. Query: `ticket` (required), `last_event_id` (optional)."""
    state = socket.app.state
    settings: Settings = state.settings
    origin = socket.headers.get("origin")
    last_event_id = socket.query_params.get("last_event_id") or None
    if (origin is not None and origin not in settings.app.allowed_origins) or not _valid_id(last_event_id):
        await socket.close(CLOSE_POLICY)  # CORS does not cover websockets: checked here
        return
    holder = await tickets.redeem(state.redis, socket.query_params.get("ticket", ""))
    if holder is None:
        await socket.close(CLOSE_POLICY)
        return
    user_id = str(holder.user_id)
    rt = settings.realtime
    hub: Hub = state.realtime_hub
    try:
        # Subscribed before the handshake completes: once the client's connect returns, every event
        # published from then on reaches it (an event published in between would otherwise be lost
        # to a client without a last_event_id). Subscribed before the credential is checked, too:
        # a session that ends after the check publishes its `!end` after its commit, which this
        # socket then receives; one that ended before fails the check.
        client = await hub.attach(user_id, holder.credential, settings.auth.access_ttl_seconds)
    except (TimeoutError, RedisError, OSError):  # Redis unreachable: try again (maybe elsewhere)
        await socket.accept()
        await socket.close(CLOSE_RESTART)
        return
    try:
        left = await _seconds_left(holder)
    except BaseException:
        await hub.detach(client)
        raise
    if left is None:  # the session or token ended (logout, revoked, expired) or the user was disabled
        await hub.detach(client)
        await socket.close(CLOSE_POLICY)
        return
    if client.deadline is not None and left < settings.auth.access_ttl_seconds:
        client.deadline.cancel()  # the credential expires first: the socket goes with it
        client.deadline = asyncio.get_running_loop().call_later(max(left, 0.0), hub.expire, client)
    transport = _Socket(socket)
    code = session.CLOSE_NORMAL
    try:
        await roster.join(state.redis, user_id, client.id, rt.max_sockets_per_user, settings.auth.access_ttl_seconds)
        await socket.accept()
        after = (0, 0)
        if last_event_id is not None:
            after = await session.replay(state.redis, transport, user_id, last_event_id)
        await session.pump(transport, client, after, rt.send_timeout_seconds, rt.ping_interval_seconds)
    except WebSocketDisconnect:
        pass
    except (RedisError, OSError) as exc:
        log.warning("realtime_socket_redis_error", error=type(exc).__name__)
        code = CLOSE_RESTART  # the client reconnects with its last_event_id and replays
    finally:
        await hub.detach(client)
        await roster.leave(state.redis, user_id, client.id)
        with contextlib.suppress(Exception):
            if socket.connection_state != "disconnect":
                await socket.close(code, CLOSE_REASONS.get(code, ""))


async def _seconds_left(holder: tickets.Holder) -> float | None:
    """How long the credential the ticket was made with stays valid (None: it is not valid now, or
    its user is disabled or gone)."""
    now = datetime.now().astimezone()
    kind, _, raw_id = holder.credential.partition(":")
    try:
        credential_id = uuid.UUID(raw_id)
    except ValueError:
        return None
    found: dict[str, Any] | None
    if kind == "s":  # one query each: the credential joined with its user
        found = await (
            Session.select(Session.expires_at)
            .where(
                (Session.id == credential_id)
                & (Session.user == holder.user_id)
                & Session.revoked_at.is_null()
                & Session.user._.is_active.eq(True)
            )
            .first()
        )
    elif kind == "p":
        found = await (
            PersonalAccessToken.select(PersonalAccessToken.expires_at)
            .where(
                (PersonalAccessToken.id == credential_id)
                & (PersonalAccessToken.user == holder.user_id)
                & PersonalAccessToken.revoked_at.is_null()
                & PersonalAccessToken.user._.is_active.eq(True)
            )
            .first()
        )
    else:
        return None
    if found is None:
        return None
    expires: datetime | None = found["expires_at"]
    if expires is None:
        return float("inf")
    left = (expires - now).total_seconds()
    return left if left > 0 else None


def _valid_id(event_id: str | None) -> bool:
    if event_id is None:
        return True
    try:
        wire.stream_id(event_id)
    except ValueError:
        return False
    return True
