"""Wire types of the calendar feed endpoints (msgspec Structs)."""

from __future__ import annotations

from datetime import datetime

import msgspec


class CalendarFeedCreated(msgspec.Struct, kw_only=True):
    """The feed's private URL, shown once: whoever has it reads the user's interviews and follow-ups."""

    url: str
    created_at: datetime


class CalendarFeedStatus(msgspec.Struct, kw_only=True):
    """Whether the user has a feed (its URL is not kept, only a hash of its token)."""

    enabled: bool
    created_at: datetime | None
    last_used_at: datetime | None
