"""`Idempotency-Key` for create endpoints (SPEC §4), as one reusable middleware.

A create handler opts in with `**idempotent()` in its route decorator: the middleware on that route
and the header in its OpenAPI operation, never one without the other.
For a POST that carries the header:
same caller + key + same body → the stored answer (`Idempotent-Replayed: true`); same key + other
body → 422; the first request still running → 409 with Retry-After. Answers below 500 are stored
(24 h, purged by the maintenance task); a 5xx or a crash releases the key so a retry runs again.
The caller is the user of a valid session token, the personal access token itself (by its hash),
otherwise the client address.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, cast

from asyncpg.exceptions import UniqueViolationError
from litestar.enums import ParamType, ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.openapi.spec import OpenAPIType, Operation, Parameter, Schema
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from backend.db.tables import IdempotencyRecord
from backend.domain.accounts import personal_tokens
from backend.lib import errors, tokens
from backend.web.problems import PROBLEM_JSON, TYPE_PREFIX

HEADER = b"idempotency-key"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_REPLAYED_HEADERS = {b"content-type", b"location", b"etag"}


IDEMPOTENCY_KEY = Parameter(
    name="Idempotency-Key",
    param_in=ParamType.HEADER,
    required=False,
    description=(
        "Makes the create safe to retry (SPEC §4): one key per user action, 1-200 visible ASCII characters "
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


def idempotent(**opt: Any) -> dict[str, Any]:
    """Route decorator arguments of a create endpoint that honours `Idempotency-Key`, e.g.
    `@post("/", **idempotent())` or `**idempotent(session_only=True)` with other handler opts:
    the middleware on that route only (other requests never pass through it), the header in its
    OpenAPI operation, and the opt `idempotent` that marks it."""
    return {
        "opt": {**opt, "idempotent": True},
        "operation_class": IdempotentOperation,
        "middleware": [IdempotencyMiddleware()],
    }


def _caller(scope: Scope) -> str:
    headers = dict(scope["headers"])
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        if personal_tokens.is_personal_token(token):  # an integration: its own scope, never its IP's
            return "token:" + hashlib.sha256(token.encode()).hexdigest()
        try:
            return "user:" + str(tokens.decode_access_token(scope["app"].state.settings.auth, token).user_id)
        except errors.Unauthorized:
            pass  # the handler refuses the token itself
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_problem(send: Send, status: int, slug: str, title: str, detail: str, retry: bool = False) -> None:
    body = json.dumps({"type": TYPE_PREFIX + slug, "title": title, "status": status, "detail": detail}).encode()
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
    if retry:
        headers.append((b"retry-after", b"1"))
    await send(cast(Message, {"type": "http.response.start", "status": status, "headers": headers}))
    await send(cast(Message, {"type": "http.response.body", "body": body}))


async def _replay(send: Send, record: dict[str, Any]) -> None:
    body = bytes(record["response_body"])
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
        key = raw_key.decode("latin-1")
        if not _KEY.match(key):
            detail = "Idempotency-Key must be 1-200 visible ASCII characters"
            await _send_problem(send, 400, "invalid-idempotency-key", "Invalid Idempotency-Key", detail)
            return
        body = await _read_body(receive)
        scoped_key = f"{_caller(scope)}:POST {scope['path']}:{key}"
        request_hash = hashlib.sha256(body).hexdigest()
        try:
            record = IdempotencyRecord(scoped_key=scoped_key, request_hash=request_hash)
            await record.save()
        except UniqueViolationError:
            await self._answer_existing(send, scoped_key, request_hash)
            return

        replayed = False

        async def replay_body() -> ReceiveMessage:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return cast(ReceiveMessage, {"type": "http.request", "body": body, "more_body": False})

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": [], "settled": False}

        async def settle() -> None:
            """Store the answer (below 500) or release the key (5xx), once. Settled only when
            that write succeeded: if it fails, the crash path below releases the key."""
            if captured["settled"]:
                return
            if captured["status"] >= 500:
                await IdempotencyRecord.delete().where(IdempotencyRecord.id == record.id)
                captured["settled"] = True
                return
            await IdempotencyRecord.update(
                {
                    IdempotencyRecord.status_code: captured["status"],
                    IdempotencyRecord.response_headers: captured["headers"],
                    IdempotencyRecord.response_body: b"".join(captured["body"]),
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
            await next_app(scope, replay_body, capture)
        except BaseException:
            if not captured["settled"]:
                await IdempotencyRecord.delete().where(IdempotencyRecord.id == record.id)
            raise
        await settle()  # an app that sent no final body part

    async def _answer_existing(self, send: Send, scoped_key: str, request_hash: str) -> None:
        rows = await IdempotencyRecord.select().where(IdempotencyRecord.scoped_key == scoped_key).output(load_json=True)
        if not rows:  # released by a failed first attempt in between: ask the client to retry
            await _send_problem(send, 409, "idempotency-conflict", "Retry the request", "Please retry", retry=True)
        elif rows[0]["request_hash"] != request_hash:
            detail = "This Idempotency-Key was used with a different request body"
            await _send_problem(send, 422, "idempotency-key-reused", "Idempotency-Key reused", detail)
        elif rows[0]["status_code"] is None:
            detail = "The first request with this Idempotency-Key is still being processed"
            await _send_problem(send, 409, "idempotency-in-progress", "Request in progress", detail, retry=True)
        else:
            await _replay(send, rows[0])
