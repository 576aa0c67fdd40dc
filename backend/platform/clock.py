"""The current time, in one place: an aware UTC datetime (compare, store and add to it freely)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """This instant in UTC."""
    return datetime.now(UTC)
