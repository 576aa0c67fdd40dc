"""What every HTTP request goes through, routed or not, and the app's `Request` class.

`RequestContext` wraps the whole app (outside Litestar's CORS middleware and router, see `wrap`): every
request gets an id (client's `X-Request-ID` if sane), bound to the log context and echoed in the response
with the browser protections (`security_headers`), and one structured access line: `request_id`,
`method`, `route` (the route's template, never the raw path: `<unmatched>` when none matched), `status`,
`duration_ms` and, once the caller authenticated, `user_hash` (never the user's id or email); a request
that reached no route handler (404, 405, a CORS preflight, a rejected query) is also counted through
`on_unrouted` (app-level middleware only wraps matched routes). It refuses a NUL character in the path
or the query, which no Postgres text can hold.

`Request` is the app's request class: a JSON body that crashes the decoder (deep nesting, not
UTF-8) is malformed (400), one that is not sent as JSON is 415, and a NUL character in a JSON or a
text body (CSV) is a 422 before any handler code runs.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import structlog
from litestar import Litestar
from litestar import Request as LitestarRequest
from litestar.exceptions import SerializationException
from litestar.types import ASGIApp, Empty, Message, Receive, Scope, Send

from backend import errors
from backend.platform.db import replicas
from backend.platform.http import problems, security_headers
from backend.platform.http.auth import USER_HASH
from backend.platform.http.metrics import UNMATCHED
from backend.platform.http.security_headers import NO_HEADERS, SecurityHeaders

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_NUL_ESCAPE = b"\\u0000"  # the only way JSON can carry a NUL (a raw one is malformed JSON)
NUL_MESSAGE = "must not contain the NUL character (\\u0000)"
log = structlog.get_logger("career_copilot.http")
_stdlib_log = logging.getLogger("career_copilot.http")

UnroutedHook = Callable[[str, int, float], None]  # (method, status, seconds)


class RequestContext:
    """The outermost ASGI layer of the app (see the module docstring)."""

    def __init__(
        self, app: ASGIApp, on_unrouted: UnroutedHook | None = None, security: SecurityHeaders | None = None
    ) -> None:
        self.app = app
        self.on_unrouted = on_unrouted
        self.security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id").decode("latin-1")
        # 128 random bits as 32 hex digits (uuid4().hex costs 5x more: ~13 µs here, measured)
        request_id = incoming if _SAFE_ID.match(incoming) else os.urandom(16).hex()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        replicas.new_request()  # whose writes these are, once authenticated (backend/platform/db/replicas.py)
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}
        method: str = scope["method"]  # type: ignore[typeddict-item] # HTTP only (checked above)
        # the browser protections: one precomputed list, chosen by the request's path and credentials
        protections = (
            NO_HEADERS if self.security is None else self.security.for_request(scope["path"], scope["headers"])
        )

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = security_headers.with_headers(
                    message.get("headers", []), (b"x-request-id", request_id.encode()), protections
                )
            await send(message)

        try:
            # a NUL in a query arrives as %00 (uvicorn's httptools and h11 refuse a raw one, measured)
            query = scope["query_string"]
            if b"%00" in query or b"\x00" in query or "\x00" in scope["path"]:
                await _refuse_nul(scope, receive, send_with_id)
            elif method == "OPTIONS":  # a CORS preflight Litestar refuses is text/plain
                await self.app(scope, receive, problems.preflight_refusals_as_problems(scope, receive, send_with_id))
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            if self.on_unrouted is not None and "path_template" not in scope:  # the router sets it on a match
                self.on_unrouted(method, status["code"], time.perf_counter() - started)
            # a line dropped by the level filter still costs ~25 µs in structlog's chain: ask first
            if _stdlib_log.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    method=method,
                    route=scope.get("path_template", UNMATCHED),
                    status=status["code"],
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    user_hash=scope.get(USER_HASH),
                )


def wrap(app: Litestar, on_unrouted: UnroutedHook | None = None, security: SecurityHeaders | None = None) -> None:
    """Put `RequestContext` around everything the app does for a request: Litestar builds
    `app.asgi_handler` (CORS → exception handling → router) once, in its constructor."""
    app.asgi_handler = RequestContext(app.asgi_handler, on_unrouted, security)


async def _refuse_nul(scope: Scope, receive: Receive, send: Send) -> None:
    where = "path" if "\x00" in scope["path"] else "query"
    if where == "query":
        pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        where = next((key for key, value in pairs if "\x00" in key + value), "query")
    field_errors = [{"field": where, "message": NUL_MESSAGE}]
    await problems.asgi_problem(scope, 422, "validation-error", "Invalid input", NUL_MESSAGE, field_errors)(
        scope, receive, send
    )


def _nul_at(value: Any, path: str = "body") -> str | None:
    """Where a decoded JSON value holds a NUL (in a string or a key), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path != "body" else key
            found = path if "\x00" in key else _nul_at(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _nul_at(item, f"{path}[{index}]")) is not None:
                return found
    return None


def _nul_error(field: str) -> errors.Unprocessable:
    return errors.Unprocessable("Text " + NUL_MESSAGE, errors=[errors.FieldError(field, NUL_MESSAGE)])


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


class Request(LitestarRequest[Any, Any, Any]):
    """The app's request class (`Litestar(request_class=...)`); see the module docstring."""

    __slots__ = ()

    async def json(self) -> Any:
        # Litestar asks only for a body that is not empty (an empty one is "no data", its own 400)
        if not _is_json(self.content_type[0]) and await self.body():  # Litestar's parsed Content-Type
            raise errors.UnsupportedMediaType("Send the body as JSON with Content-Type: application/json")
        try:
            value = await super().json()
        except RecursionError:  # msgspec's decoder recurses once per nesting level
            raise SerializationException("JSON is malformed: nested too deeply") from None
        except UnicodeDecodeError:  # msgspec raises it, not DecodeError, for bytes that are not UTF-8
            raise SerializationException("JSON is malformed: not UTF-8") from None
        body = self._body  # read by super().json(), unless this scope's JSON was decoded (and checked) before
        if body is not Empty and _NUL_ESCAPE in body and (where := _nul_at(value)) is not None:
            raise _nul_error(where)  # the bytes are scanned first: a walk only when they hold the escape
        return value

    async def body(self) -> bytes:
        if self._body is not Empty:
            return self._body
        body = await super().body()
        # text bodies (a CSV import) never carry NUL; binary ones (files) may
        if b"\x00" in body and self.content_type[0].startswith("text/"):
            raise _nul_error("body")
        return body


def _header(scope: Scope, name: bytes) -> bytes:
    return next((value for key, value in scope["headers"] if key == name), b"")
