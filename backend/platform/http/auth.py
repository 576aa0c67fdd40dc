"""Bearer authentication as a dependency: handlers that declare `principal: Principal` require it."""

from __future__ import annotations

from typing import Any, cast

import structlog
from litestar import Request
from litestar.datastructures import State

from backend import errors
from backend.platform.db import replicas
from backend.platform.http.identity import Authenticate, Principal
from backend.platform.logging import user_hash
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings

BEARER_SECURITY: list[dict[str, list[str]]] = [{"BearerAuth": []}]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Handler opt `session_only=True`: personal access tokens are refused (password, tokens, erasure).
# Handler opt `read_scope_ok=True`: a POST that only reads (realtime tickets) accepts `read` tokens.
# Handler opt `cache_read=f`: `f(request, user_id)` names the cache entry (namespace, suffix) the
# handler will serve; it is fetched with the session check (`Principal.prefetched`).


def provide_settings(state: State) -> Settings:
    return state.settings


def provide_publisher(state: State) -> Publisher:
    return state.publisher


_PRINCIPAL = "career_copilot.principal"  # scope key: the caller, once authenticated in this request
USER_HASH = "career_copilot.user_hash"  # scope key: the caller's pseudonym, for the access line


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The caller. Depends on no other dependency, so that a handler's own dependencies can be
    chained after it: Litestar resolves independent dependencies concurrently in an anyio task
    group, ~10% of the CPU of a cached read (measured). Takes the app's state from the request:
    a `state` parameter is a new `State` object per request. Authenticates once per request (a
    route's `before_request` may have done it already)."""
    scope = cast(dict[str, Any], request.scope)
    known: Principal | None = scope.get(_PRINCIPAL)
    if known is not None:
        return known
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthorized("Send an access token as 'Authorization: Bearer <token>'", slug="missing-token")
    opt = request.route_handler.opt
    cache_read = opt.get("cache_read")
    want = (lambda user_id: cache_read(request, user_id)) if cache_read is not None else None
    authenticate: Authenticate = request.app.state.authenticate  # the accounts feature's, set by the lifespan
    principal = await authenticate(token.strip(), want)
    # the access line reads it from the scope: this may run in a task group, whose context is a copy
    scope[USER_HASH] = hashed = user_hash(principal.user.id)
    replicas.act_as(principal.user.id)  # this request's writes are the caller's
    structlog.contextvars.bind_contextvars(user_hash=hashed)
    if principal.session_id is None and opt.get("session_only"):
        raise errors.Forbidden("This needs a signed-in session, not a personal access token", slug="session-required")
    if request.method not in SAFE_METHODS and "write" not in principal.scopes and not opt.get("read_scope_ok"):
        raise errors.Forbidden("This token has no 'write' scope", slug="insufficient-scope")
    scope[_PRINCIPAL] = principal
    return principal


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The peer address (uvicorn's --proxy-headers rewrites it from trusted proxies only)."""
    return request.client.host if request.client else "unknown"
