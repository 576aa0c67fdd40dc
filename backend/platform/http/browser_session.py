"""The refresh token of a browser session, kept in a cookie that page scripts cannot read.

A client opts in with `X-Refresh-Cookie: 1` on `login`, `refresh` and `logout` (the dashboard
does); integrations send nothing and keep getting and sending the refresh token in JSON.

- login and refresh answer the access token in JSON and the refresh token only in the cookie
  `ccp_refresh`: `HttpOnly` (no script, so no XSS, ever reads it), `Secure` (browsers accept it on
  `http://localhost` and `http://127.0.0.1` too), `SameSite=Strict` (never sent by a request another
  site starts), `Path=/api/v1/auth` (sent to the auth routes only: refresh spends it, logout ends
  it), `Max-Age` the refresh token's lifetime. logout clears it.
- CSRF: a request that spends the cookie (refresh, logout) must carry `X-Refresh-Cookie: 1` and an
  `Origin` that is `PUBLIC_URL`'s or one of `ALLOWED_ORIGINS`; otherwise 403. A cross-site form cannot
  set a header, a cross-site `fetch` with one needs a CORS preflight that only allowed origins pass,
  and SameSite=Strict already keeps the cookie off cross-site requests: the header and the Origin
  check hold even where a browser ignores SameSite.
"""

from __future__ import annotations

import urllib.parse
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.params import CookieParameter, HeaderParameter

from backend import errors
from backend.settings import Settings

REFRESH_COOKIE = "ccp_refresh"
COOKIE_PATH = "/api/v1/auth"
OPT_IN_HEADER = "X-Refresh-Cookie"

CookieOptIn = Annotated[
    Literal["1"] | None,
    HeaderParameter(
        name=OPT_IN_HEADER,
        description=(
            "`1`: the refresh token travels in the `HttpOnly` cookie `ccp_refresh` (set by login and refresh, "
            "cleared by logout) instead of JSON; a request spending the cookie must also send an allowed "
            "`Origin` (403 otherwise). For browsers; integrations omit it."
        ),
    ),
]
RefreshCookie = Annotated[
    str | None,
    CookieParameter(
        name=REFRESH_COOKIE,
        description="The refresh token of a browser session (`X-Refresh-Cookie: 1`); ignored when the body has one.",
    ),
]


def trusted_origins(settings: Settings) -> frozenset[str]:
    public = urllib.parse.urlsplit(settings.app.public_url)
    return frozenset({*settings.app.allowed_origins, f"{public.scheme}://{public.netloc}"})


def check_origin(request: Request[Any, Any, Any], settings: Settings) -> None:
    """403 unless the request's `Origin` is `PUBLIC_URL`'s or an allowed one (browsers send it with every
    POST, same-origin ones included)."""
    origin = request.headers.get("origin")
    if origin is None or origin not in trusted_origins(settings):
        raise errors.Forbidden("This origin may not use the refresh cookie", slug="csrf")


def refresh_token_from_cookie(
    request: Request[Any, Any, Any], settings: Settings, opt_in: str | None, cookie: str | None
) -> str:
    """The cookie's refresh token, once the request proved it was sent by our own pages (see the module)."""
    if opt_in != "1":
        raise errors.Forbidden(f"Spending the refresh cookie needs the {OPT_IN_HEADER}: 1 header", slug="csrf")
    check_origin(request, settings)
    if not cookie:
        raise errors.Unauthorized("No refresh cookie: sign in again", slug="invalid-token")
    return cookie


def token_answer(pair: Any, opt_in: str | None, settings: Settings) -> Response[Any]:
    """The token pair as JSON, or (opted in) the access token as JSON and the refresh token as the cookie."""
    if opt_in != "1":
        return Response(pair)
    cookie = Cookie(
        key=REFRESH_COOKIE,
        value=pair.refresh_token,
        path=COOKIE_PATH,
        max_age=settings.auth.refresh_ttl_seconds,
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return Response(msgspec.structs.replace(pair, refresh_token=msgspec.UNSET), cookies=[cookie])


def cleared_cookie() -> Cookie:
    """Set-Cookie that removes the refresh cookie (logout)."""
    return Cookie(
        key=REFRESH_COOKIE,
        value="",
        path=COOKIE_PATH,
        max_age=0,
        secure=True,
        httponly=True,
        samesite="strict",
        description="Cleared: a browser session's refresh cookie ends with its session",
    )
