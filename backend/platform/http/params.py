"""Query parameters shared by the list routes, with the constraints the api enforces declared (the
OpenAPI is the validation: a value outside them is a 422 naming the parameter)."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from backend.platform.http import pagination

Limit = Annotated[
    int,
    QueryParameter(ge=1, le=pagination.MAX_LIMIT, description=f"Page size, 1-{pagination.MAX_LIMIT}"),
]
# What `next_cursor` holds (URL-safe base64, no padding). A cursor the api did not make: 400.
Cursor = Annotated[
    str | None,
    QueryParameter(
        max_length=pagination.MAX_CURSOR_LENGTH,
        pattern=r"^[A-Za-z0-9_-]*$",
        description="`next_cursor` of the previous page (opaque; one the api did not make: 400)",
    ),
]
