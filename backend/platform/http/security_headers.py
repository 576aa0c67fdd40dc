"""Browser protections sent with every HTTP answer of the api (the dashboard's files included).

Built once from the settings as lists of encoded header pairs; `RequestContext` appends one of them
to each `http.response.start` (no per-request formatting, no extra ASGI layer). Websocket handshakes
get none: a browser applies none of these to a socket.

- `Content-Security-Policy`: only this origin's scripts, styles, images and connections (plus the
  realtime socket's `ws(s)://` origin from `PUBLIC_URL`), no inline script or style, no plugins, no
  framing, `<base>` and form targets kept on this origin. The API reference pages under `/schema`
  load their renderer from its CDN with inline code: they get their own policy naming those hosts
  (they show no user data and keep every other directive).
- `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` (older browsers' `frame-ancestors`).
- `Referrer-Policy: no-referrer`: the pages' URLs may carry a single-use email token, and a job ad's
  site has no need to learn where its visitors come from.
- `Strict-Transport-Security` only when `PUBLIC_URL` is https (sent over http it would be ignored, and
  on a loopback demo it would pin `localhost` to https for a year).
- `Cache-Control: no-store` on every answer to a request that carries credentials (an
  `Authorization` header) and on every answer under `/api/v1/auth/` (tokens, the refresh cookie):
  it replaces any other `Cache-Control` a handler set, so no account data lands in a browser's or a
  proxy's cache. The dashboard's static files keep their own caching.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable

from backend.settings import AppSettings

Headers = list[tuple[bytes, bytes]]

AUTH_PATH_PREFIX = "/api/v1/auth/"  # every answer under it is private (tokens, the refresh cookie)
DOCS_PATH_PREFIX = "/schema"  # Litestar's API reference pages (their renderer comes from a CDN)
_DOCS_FILES = (".json", ".yaml", ".yml")  # the documents themselves: the strict policy
# The hosts Litestar's reference renderers (Scalar, Swagger UI, ReDoc, Stoplight Elements) load from.
_DOCS_HOSTS = "https://cdn.jsdelivr.net https://unpkg.com https://cdn.redoc.ly"
NO_STORE = (b"cache-control", b"no-store")
NO_HEADERS: Headers = []

_COMMON = (
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def content_security_policy(public_url: str) -> str:
    """The dashboard's policy: `default-src 'self'` and no inline code; the socket's origin named."""
    parts = urllib.parse.urlsplit(public_url)
    socket_origin = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
    return "; ".join(("default-src 'self'", f"connect-src 'self' {socket_origin}", *_COMMON))


def docs_content_security_policy() -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'unsafe-inline' {_DOCS_HOSTS}",
            f"style-src 'self' 'unsafe-inline' {_DOCS_HOSTS} https://fonts.googleapis.com",
            "font-src 'self' data: https://fonts.gstatic.com",
            "img-src 'self' data: https:",
            "worker-src 'self' blob:",
            "connect-src 'self'",
            *_COMMON,
        )
    )


class SecurityHeaders:
    """The four precomputed header lists, chosen per request by `for_request`."""

    __slots__ = ("docs", "docs_private", "private", "public")

    def __init__(self, app: AppSettings) -> None:
        common: Headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
        ]
        if app.public_url.startswith("https://"):
            common.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        self.public: Headers = [(b"content-security-policy", content_security_policy(app.public_url).encode()), *common]
        self.private: Headers = [*self.public, NO_STORE]
        self.docs: Headers = [(b"content-security-policy", docs_content_security_policy().encode()), *common]
        self.docs_private: Headers = [*self.docs, NO_STORE]

    def for_request(self, path: str, headers: Iterable[tuple[bytes, bytes]]) -> Headers:
        """The list for a request: private (no-store) when it carries credentials or is an auth
        route; the reference pages' policy under `/schema`."""
        private = path.startswith(AUTH_PATH_PREFIX)
        if not private:
            for name, _ in headers:  # a loop: `any()` over a generator costs twice as much here
                if name == b"authorization":
                    private = True
                    break
        if path.startswith(DOCS_PATH_PREFIX) and not path.endswith(_DOCS_FILES):
            return self.docs_private if private else self.docs
        return self.private if private else self.public


def with_headers(
    response_headers: Iterable[tuple[bytes, bytes]], request_id: tuple[bytes, bytes], extra: Headers
) -> Headers:
    """The answer's headers, then the request id and `extra`; a private list's `Cache-Control`
    replaces any the answer had."""
    if extra and extra[-1] is NO_STORE:
        return [pair for pair in response_headers if pair[0].lower() != b"cache-control"] + [request_id, *extra]
    return [*response_headers, request_id, *extra]
