"""`Idempotency-Key` for create endpoints, as one reusable middleware.

A create handler opts in with `**idempotent()` in its route decorator: the middleware on that route
and the header in its OpenAPI operation, never one without the other.
For a POST that carries the header:
same caller + key + same body → the stored answer (`Idempotent-Replayed: true`); same key + other
body → 422; the first request still running → 409 with Retry-After.

- The caller: the user of a live session or the personal access token itself (by its hash),
  authenticated by `auth.provide_principal` before anything is looked up (whether or not the handler
  takes `principal` itself), so a missing token, an ended session or a revoked token gets the
  route's own 401/403 and never a stored answer. Only a route declared `idempotent(anonymous=True)`
  (register) is keyed by the client address instead; it names the owner of what it created with
  `owned_by`, so erasing that account erases the stored answer too.
- The body is compared by its SHA-256, a multipart body with its boundary replaced by a fixed token
  (every client picks a new random boundary per request, so a retried upload is the same request).
- The body is read up to the route's `request_max_body_size` (a larger `Content-Length` is refused
  unread): past it, Litestar's own 413 and nothing stored.
- Only the answers of creates that went through (below 400) are stored (24 h, purged by the
  maintenance task), the body encrypted with the app's envelope (it may hold a token secret
  or PII) and tied to the user, so erasing the account erases them. A refusal (4xx: bad input
  changes nothing, a 429 only means "not now"), a 5xx or a crash releases the key, so the corrected
  request or the retry runs again (a stored 422 made the corrected body a "key reused" 422, a
  stored 429 refused every retry for a day).
- A stored answer that cannot be decrypted (written in clear by an older pod, or under a master key
  since removed from ENCRYPTION_KEYS) is dropped with a warning and answered like a key released in
  between (409 with Retry-After): the retry runs the request, instead of a 500 for 24 h.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any, cast

import structlog
from asyncpg.exceptions import UniqueViolationError
from litestar import Request
from litestar.enums import ParamType, ScopeType
from litestar.exceptions import InternalServerException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.openapi.spec import OpenAPIType, Operation, Parameter, Schema
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.platform.crypto.envelope import DecryptionError, Envelope
from backend.platform.db.tables import IdempotencyRecord
from backend.platform.http import auth, problems

HEADER = b"idempotency-key"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_REPLAYED_HEADERS = {b"content-type", b"location", b"etag"}
_OWNER = "career_copilot.idempotency_owner"  # scope key: the user an anonymous create made (`owned_by`)
_BOUNDARY = b"idempotency-boundary"  # what a multipart boundary is replaced with before hashing

log = structlog.get_logger("career_copilot.idempotency")


IDEMPOTENCY_KEY = Parameter(
    name="Idempotency-Key",
    param_in=ParamType.HEADER,
    required=False,
    description=(
        "Makes the create safe to retry: one key per user action, 1-200 visible ASCII characters "
        "(a UUID; else `400`). The same key with the same body answers the stored response again "
        "(`Idempotent-Replayed: true`); with another body `422`; while the first request runs `409` with "
        "`Retry-After`. Keys are kept 24 hours."
    ),
    schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=200, pattern="^[\\x21-\\x7e]+$"),
)


@dataclass
class IdempotentOperation(Operation):
    """An operation whose parameters include the optional `Idempotency-Key` request header."""

    def __post_init__(self) -> None:
        if IDEMPOTENCY_KEY not in (self.parameters or []):
            self.parameters = [*(self.parameters or []), IDEMPOTENCY_KEY]


def idempotent(*, anonymous: bool = False, **opt: Any) -> dict[str, Any]:
    """Route decorator arguments of a create endpoint that honours `Idempotency-Key`, e.g.
    `@post("/", **idempotent())` or `**idempotent(session_only=True)` with other handler opts:
    the middleware on that route only (other requests never pass through it), the header in its
    OpenAPI operation, and the opt `idempotent` that marks it. The caller is authenticated with
    `auth.provide_principal` unless the route is `anonymous=True` (register, which has no bearer
    security): then keys belong to the client address (opt `idempotent_anonymous`)."""
    return {
        "opt": {**opt, "idempotent": True, "idempotent_anonymous": anonymous},
        "operation_class": IdempotentOperation,
        "middleware": [IdempotencyMiddleware()],
    }


def body_aad(record_id: uuid.UUID) -> str:
    """What a stored response body is bound to: a blob copied to another record fails to decrypt."""
    return f"idempotency_records.response_body:{record_id}"


def owned_by(request: Request[Any, Any, Any], user_id: uuid.UUID) -> None:
    """Called by an anonymous create (register) with the user it made: the stored answer belongs to
    that user, so erasing the account erases it. No effect on a request without a key."""
    cast(dict[str, Any], request.scope)[_OWNER] = user_id


def request_hash(request: Request[Any, Any, Any], body: bytes) -> str:
    """What makes two requests the same: the body's SHA-256, a multipart body with its boundary
    (random per request) replaced by a fixed token, so a retried upload matches its first try."""
    media_type, options = request.content_type
    boundary = options.get("boundary", "")
    if media_type == "multipart/form-data" and boundary:
        body = body.replace(boundary.encode("latin-1"), _BOUNDARY)
    return hashlib.sha256(body).hexdigest()


async def _caller(request: Request[Any, Any, Any]) -> tuple[str, uuid.UUID | None]:
    """Whose key it is, and the user who owns the record (None for an anonymous caller). Raises
    the route's own Unauthorized/Forbidden: the exception handlers answer it as for the handler."""
    if request.route_handler.opt.get("idempotent_anonymous"):
        return "ip:" + auth.client_ip(request), None
    principal = await auth.provide_principal(request)  # stashed in the scope: the handler reuses it
    if principal.session_id is None:  # an integration: its own scope, never its IP's or its user's
        token = request.headers["authorization"].partition(" ")[2].strip()
        return "token:" + hashlib.sha256(token.encode()).hexdigest(), principal.user.id
    return "user:" + str(principal.user.id), principal.user.id


async def _send_problem(
    request: Request[Any, Any, Any], send: Send, status: int, slug: str, title: str, detail: str, retry: bool = False
) -> None:
    headers = {"Retry-After": "1"} if retry else None
    response = problems.problem_response(request, status, slug, title, detail, headers=headers)
    type_encoders = request.route_handler.resolve_type_encoders()
    await response.to_asgi_response(app=None, request=request, type_encoders=type_encoders)(
        request.scope, request.receive, send
    )


async def _retry(request: Request[Any, Any, Any], send: Send) -> None:
    """The key is free again (its first attempt failed, or its answer was unreadable): retry."""
    await _send_problem(request, send, 409, "idempotency-conflict", "Retry the request", "Please retry", True)


async def _replay(send: Send, record: dict[str, Any], body: bytes) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in record["response_headers"]]
    headers += [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
    await send(cast(Message, {"type": "http.response.start", "status": record["status_code"], "headers": headers}))
    await send(cast(Message, {"type": "http.response.body", "body": body}))


class IdempotencyMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        raw_key = dict(scope["headers"]).get(HEADER) if scope.get("method") == "POST" else None
        if raw_key is None:
            await next_app(scope, receive, send)
            return
        # the app's request class: its body checks (NUL in text bodies) run on the body read here
        handler = cast(HTTPRouteHandler, scope["route_handler"])  # HTTP scopes only (`scopes`)
        request: Request[Any, Any, Any] = handler.resolve_request_class()(scope, receive)
        key = raw_key.decode("latin-1")
        if not _KEY.match(key):
            detail = "Idempotency-Key must be 1-200 visible ASCII characters"
            await _send_problem(request, send, 400, "invalid-idempotency-key", "Invalid Idempotency-Key", detail)
            return
        caller, owner = await _caller(request)
        try:
            # Litestar's own read: capped at the route's limit (413 before or while reading), and
            # kept in the connection state, where the handler's request finds it
            body = await request.body()
        except InternalServerException:  # "client disconnected prematurely": nothing to run or keep
            return
        scoped_key = f"{caller}:POST {scope['path']}:{key}"
        same = request_hash(request, body)
        envelope: Envelope = request.app.state.envelope
        try:
            record = IdempotencyRecord(scoped_key=scoped_key, request_hash=same, user=owner)
            await record.save()
        except UniqueViolationError:
            await self._answer_existing(request, send, scoped_key, same, envelope)
            return

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": [], "settled": False}

        async def settle() -> None:
            """Store the answer of a create that went through, or release the key (4xx, 5xx), once.
            Settled only when that write succeeded: if it fails, the crash path below releases it."""
            if captured["settled"]:
                return
            if captured["status"] >= 400:
                await IdempotencyRecord.delete().where(IdempotencyRecord.id == record.id)
                captured["settled"] = True
                return
            stored = envelope.encrypt(b"".join(captured["body"]), body_aad(record.id))
            await IdempotencyRecord.update(
                {
                    IdempotencyRecord.status_code: captured["status"],
                    IdempotencyRecord.response_headers: captured["headers"],
                    IdempotencyRecord.response_body: stored,
                    IdempotencyRecord.user: owner or cast(dict[str, Any], scope).get(_OWNER),
                }
            ).where(IdempotencyRecord.id == record.id)
            captured["settled"] = True

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                    if k.lower() in _REPLAYED_HEADERS
                ]
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
                if not message.get("more_body", False):
                    # stored BEFORE the client has the whole answer: a retry sent the moment it
                    # arrives is replayed, never told that the first request is still running
                    await settle()
            await send(message)

        try:
            await next_app(scope, receive, capture)
        except BaseException:
            if not captured["settled"]:
                await IdempotencyRecord.delete().where(IdempotencyRecord.id == record.id)
            raise
        await settle()  # an app that sent no final body part

    async def _answer_existing(
        self, request: Request[Any, Any, Any], send: Send, scoped_key: str, same: str, envelope: Envelope
    ) -> None:
        rows = (
            await IdempotencyRecord.select(
                IdempotencyRecord.id,
                IdempotencyRecord.request_hash,
                IdempotencyRecord.status_code,
                IdempotencyRecord.response_headers,
                IdempotencyRecord.response_body,
            )
            .where(IdempotencyRecord.scoped_key == scoped_key)
            .output(load_json=True)
        )
        if not rows:  # released by a failed first attempt in between: ask the client to retry
            await _retry(request, send)
        elif rows[0]["request_hash"] != same:
            detail = "This Idempotency-Key was used with a different request body"
            await _send_problem(request, send, 422, "idempotency-key-reused", "Idempotency-Key reused", detail)
        elif rows[0]["status_code"] is None:
            detail = "The first request with this Idempotency-Key is still being processed"
            await _send_problem(request, send, 409, "idempotency-in-progress", "Request in progress", detail, True)
        else:
            record = rows[0]
            try:
                body = envelope.decrypt(bytes(record["response_body"]), body_aad(record["id"]))
            except DecryptionError as exc:  # in clear from an older pod, or under a removed key
                await IdempotencyRecord.delete().where(IdempotencyRecord.id == record["id"])
                log.warning("idempotency_record_unreadable", record_id=str(record["id"]), error=str(exc))
                await _retry(request, send)  # as if released in between: the retry runs the request
                return
            await _replay(send, record, body)
