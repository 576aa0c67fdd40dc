"""The one exception tree of the project, mapped once to RFC 9457 problem details by the web layer.

    AppError                      status, stable `type` slug and title
    ├── BadRequest         400
    ├── Unauthorized       401    bad credentials or token
    ├── Forbidden          403    authenticated but not allowed (never for other users' rows: 404)
    ├── NotFound           404
    ├── Conflict           409
    ├── PayloadTooLarge    413
    ├── UnsupportedMediaType 415
    ├── Unprocessable      422    well-formed input that breaks a rule; `errors` names the fields
    │   └── UnreadablePage 422    a web page the user named could not be fetched or read; carries `url`
    ├── TooManyRequests    429    `retry_after` seconds
    └── ServiceUnavailable 503    optional `retry_after` seconds (a capacity limit, not a fault)

Services raise these; they never import Litestar.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class AppError(Exception):
    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal server error"

    def __init__(
        self, detail: str | None = None, *, errors: list[FieldError] | None = None, slug: str | None = None
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []
        if slug is not None:
            self.slug = slug


class BadRequest(AppError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(AppError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(AppError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(AppError):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(AppError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class UnsupportedMediaType(AppError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class Unprocessable(AppError):
    status, slug, title = 422, "validation-error", "Invalid input"


class UnreadablePage(Unprocessable):
    """A job posting's page that could not be fetched or read: the problem carries the `url` back, so
    the client can offer to paste the page's text instead."""

    slug, title = "job-page-unreadable", "The job posting could not be read"

    def __init__(self, detail: str, *, url: str, slug: str | None = None) -> None:
        super().__init__(detail, slug=slug)
        self.url = url


class TooManyRequests(AppError):
    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


class ServiceUnavailable(AppError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"

    def __init__(self, detail: str | None = None, *, slug: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(detail, slug=slug)
        self.retry_after = None if retry_after is None else max(1, retry_after)
