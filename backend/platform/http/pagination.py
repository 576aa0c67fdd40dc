"""Cursor pagination: `?limit=&cursor=` → `{"items": [...], "next_cursor": ...}`; each
area names its page Struct (e.g. `UserPage`) so the contract gets concrete, readable schemas.

A cursor is the opaque, URL-safe encoding of the sort key of the last item returned (keyset
pagination: stable under inserts, no OFFSET scans).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import msgspec

from backend import errors

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
MAX_CURSOR_LENGTH = 1024


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    """The sort key inside `cursor`; a 400 problem when it was not made by `encode_cursor`."""
    if cursor is None or cursor == "":
        return None
    try:
        key = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, msgspec.DecodeError, ValueError):
        raise errors.BadRequest("The cursor is not valid", slug="invalid-cursor") from None
    if not isinstance(key, list):
        raise errors.BadRequest("The cursor is not valid", slug="invalid-cursor")
    return key


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise errors.Unprocessable(errors=[errors.FieldError("limit", f"must be between 1 and {MAX_LIMIT}")])
    return limit
