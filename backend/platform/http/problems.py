"""Every error leaves as RFC 9457 problem details (`application/problem+json`), with a stable `type`.

Maps the project's exception tree (backend.errors), Litestar's HTTP exceptions and anything
unexpected (500, logged with its traceback server-side, never sent to the client).
"""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from asyncpg.exceptions import CharacterNotInRepertoireError, PostgresConnectionError, UntranslatableCharacterError
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.response.base import ASGIResponse
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Message, Receive, Scope, Send
from redis.exceptions import ClusterDownError, RedisClusterException
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from backend import errors

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:career-copilot:problem:"
log = structlog.get_logger("career_copilot.errors")

_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "Invalid input"),
    429: ("too-many-requests", "Too many requests"),
    503: ("service-unavailable", "Service unavailable"),
}


class Problem(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, str]] | None = None
    url: str | None = None  # extension: the page an import could not read (`job-page-unreadable`)


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries documenting problem+json answers (400 and 422 always, plus `statuses`)."""
    return {
        status: ResponseSpec(
            data_container=Problem, media_type=PROBLEM_JSON, description=_SLUGS[status][1], generate_examples=False
        )
        for status in sorted({400, 422, *statuses})
    }


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    field_errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    url: str | None = None,
) -> Response[Problem]:
    body = Problem(
        type=TYPE_PREFIX + slug,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=field_errors or None,
        url=url,
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def asgi_problem(
    scope: Scope,
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    field_errors: list[dict[str, str]] | None = None,
) -> ASGIResponse:
    """The same answer as `problem_response`, for ASGI code that runs before Litestar routes."""
    body = Problem(TYPE_PREFIX + slug, title, status, detail, scope["path"], field_errors or None)
    return ASGIResponse(body=_encoder.encode(body), status_code=status, media_type=PROBLEM_JSON)


_encoder = msgspec.json.Encoder()


def preflight_refusals_as_problems(scope: Scope, receive: Receive, send: Send) -> Send:
    """`send` for an OPTIONS request: Litestar's CORS middleware refuses a preflight (origin,
    method or headers not allowed) with a text/plain 400; that answer leaves as problem details."""
    held: list[Message] = []

    async def send_problems(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 400:
            content_type = dict(message.get("headers", [])).get(b"content-type", b"")
            if content_type.startswith(b"text/plain"):
                held.append(message)  # rewritten once the body (the reason) is known
                return
        if held and message["type"] == "http.response.body":
            reason = bytes(message.get("body", b"")).decode("utf-8", "replace")  # "Disallowed CORS Origin"
            problem = asgi_problem(scope, 400, "cors-refused", "CORS preflight refused", reason)
            await problem(scope, receive, send)
            return
        await send(message)

    return send_problems


def _validation_errors(exc: ValidationException) -> list[dict[str, str]]:
    out = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            field = str(item.get("key") or item.get("source") or "body")
            out.append({"field": field, "message": str(item.get("message", "is invalid"))})
    return out


def handle_app_error(request: Request[Any, Any, Any], exc: errors.AppError) -> Response[Problem]:
    retry_after = getattr(exc, "retry_after", None)  # 429, or a 503 of a capacity limit (not a fault)
    if exc.status >= 500 and retry_after is None:  # a server-side fault (storage, decryption...): log it, say little
        log.error("server_error", path=request.url.path, error=type(exc).__name__, exc_info=exc)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    if exc.status == 401:
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    field_errors = [{"field": e.field, "message": e.message} for e in exc.errors]
    url = exc.url if isinstance(exc, errors.UnreadablePage) else None
    return problem_response(request, exc.status, exc.slug, exc.title, exc.detail, field_errors, headers, url)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    if status >= 500:
        return handle_unexpected(request, exc)
    if isinstance(exc, ValidationException):
        field_errors = _validation_errors(exc)
        if not field_errors or any("malformed" in e["message"].lower() for e in field_errors):
            return problem_response(request, 400, "malformed-body", "Malformed request body", _detail(exc))
        return problem_response(request, 422, "validation-error", "Invalid input", exc.detail, field_errors)
    slug, title = _SLUGS.get(status, ("client-error", "Client error"))
    if status == 400 and "malformed" in str(exc.detail).lower():
        slug, title = "malformed-body", "Malformed request body"
    return problem_response(request, status, slug, title, _detail(exc), headers=exc.headers)


def _detail(exc: HTTPException) -> str | None:
    return exc.detail if exc.detail and exc.detail != str(exc.status_code) else None


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.error("unhandled_error", path=request.url.path, exc_info=exc)
    return problem_response(
        request, HTTP_500_INTERNAL_SERVER_ERROR, "internal-error", "Internal server error", "Something went wrong"
    )


def handle_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """Postgres or Redis unreachable: a retryable 503, not a 500."""
    log.warning("dependency_unavailable", path=request.url.path, error=type(exc).__name__)
    detail = "A backing service is unavailable; retry shortly"
    return problem_response(
        request, 503, "service-unavailable", "Service unavailable", detail, headers={"Retry-After": "5"}
    )


def handle_unstorable_text(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """Postgres refused a NUL character (text or JSONB). The safety net behind the checks where
    requests enter (`web/request_context.py`: JSON, query, path, text bodies): what is left to reach
    here is multipart text (a resume's title or file name), whose one writer (`ResumeService.upload`)
    writes in one transaction and deletes the stored file when it fails: nothing is left behind.
    A new writer of unchecked text must keep that property, or check its input first."""
    log.warning("unstorable_text", path=request.url.path, error=type(exc).__name__)
    detail = "Text must not contain the NUL character (\\u0000)"
    return problem_response(request, 422, "validation-error", "Invalid input", detail)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    CharacterNotInRepertoireError: handle_unstorable_text,  # NUL in text
    UntranslatableCharacterError: handle_unstorable_text,  # \u0000 in JSONB
    errors.AppError: handle_app_error,
    HTTPException: handle_http_exception,
    RedisConnectionError: handle_unavailable,
    RedisTimeoutError: handle_unavailable,
    RedisClusterException: handle_unavailable,  # a cluster with no reachable node, or a slot no node serves
    ClusterDownError: handle_unavailable,  # a cluster that cannot serve a slot (CLUSTERDOWN, MASTERDOWN)
    PostgresConnectionError: handle_unavailable,
    ConnectionError: handle_unavailable,  # includes ConnectionRefusedError from a pool's connect
    Exception: handle_unexpected,
}
