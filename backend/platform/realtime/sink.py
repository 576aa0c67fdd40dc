"""Where code outside the web layer sends a user's events, and the best-effort way to send them.

`EventSink` is what `Publisher` offers to services and jobs (tests may pass a fake). Events are best
effort: Postgres holds the truth and a client that missed one refetches, so a failed publish
(Redis down) is logged and never raised.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from backend.platform.realtime import events


class EventSink(Protocol):
    """Where user events go (`backend.platform.realtime.publisher.Publisher`)."""

    async def publish(self, user_id: uuid.UUID | str, event: events.Event) -> str: ...


class Logger(Protocol):
    """A structlog-style logger (only `warning` is used)."""

    def warning(self, message: str, /, **fields: Any) -> Any: ...


async def publish_best_effort(
    sink: EventSink, user_id: uuid.UUID | str, event: events.Event, *, log: Logger, lost: str, **fields: Any
) -> bool:
    """Publish `event` to `user_id`'s channel; True when it went out.

    On any error, logs the warning `lost` with `fields`, the event's type (`event_type`) and the
    error's type (`error`), and returns False. (structlog keeps the message under `event`: a field of
    that name would make the logging call itself raise.)
    """
    try:
        await sink.publish(user_id, event)
    except Exception as exc:
        log.warning(lost, **fields, event_type=type(event).__name__, error=type(exc).__name__)
        return False
    return True
