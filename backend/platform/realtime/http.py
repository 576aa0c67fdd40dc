"""HTTP and websocket routes of the realtime channel: tickets, and the per-user socket."""

from __future__ import annotations

import contextlib
from typing import Any

import msgspec
import structlog
from litestar import Controller, WebSocket, post, websocket
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import WebSocketDisconnect
from litestar.status_codes import HTTP_201_CREATED
from redis.exceptions import RedisError

from backend.platform.db.tables import User
from backend.platform.http import auth, problems
from backend.platform.http.identity import Principal
from backend.platform.realtime import session, tickets, wire
from backend.platform.realtime.hub import CLOSE_RESTART, Hub
from backend.settings import Settings

CLOSE_POLICY = 1008  # before accept(): the handshake answers 403
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
        """A single-use ticket (~30 s) to open `/api/v1/realtime?ticket=…` as this user."""
        settings: Settings = state.settings
        ttl = settings.realtime.ticket_ttl_seconds
        return TicketOut(ticket=await tickets.issue(state.redis, principal.user.id, ttl), expires_in=ttl)


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
        await self.socket.close(code)


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
    user_id = await tickets.redeem(state.redis, socket.query_params.get("ticket", ""))
    user = await User.objects().where(User.id == user_id).first() if user_id is not None else None
    if user is None or not user.is_active:
        await socket.close(CLOSE_POLICY)
        return
    hub: Hub = state.realtime_hub
    try:
        # Subscribed before the handshake completes: once the client's connect returns, every event
        # published from then on reaches it (an event published in between would otherwise be lost
        # to a client without a last_event_id).
        client = await hub.attach(str(user.id))
    except (TimeoutError, RedisError, OSError):  # Redis unreachable: try again (maybe elsewhere)
        await socket.accept()
        await socket.close(CLOSE_RESTART)
        return
    transport = _Socket(socket)
    code = session.CLOSE_NORMAL
    try:
        await socket.accept()
        after = (0, 0)
        if last_event_id is not None:
            after = await session.replay(state.redis, transport, str(user.id), last_event_id)
        rt = settings.realtime
        await session.pump(transport, client, after, rt.send_timeout_seconds, rt.ping_interval_seconds)
    except WebSocketDisconnect:
        pass
    except (RedisError, OSError) as exc:
        log.warning("realtime_socket_redis_error", error=type(exc).__name__)
        code = CLOSE_RESTART  # the client reconnects with its last_event_id and replays
    finally:
        await hub.detach(client)
        with contextlib.suppress(Exception):
            if socket.connection_state != "disconnect":
                await socket.close(code)


def _valid_id(event_id: str | None) -> bool:
    if event_id is None:
        return True
    try:
        wire.stream_id(event_id)
    except ValueError:
        return False
    return True
