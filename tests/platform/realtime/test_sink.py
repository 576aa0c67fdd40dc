"""`publish_best_effort`: an event that goes out lands in the user's history; one that cannot (Redis
unreachable) is logged with the caller's fields, and the caller carries on."""

from __future__ import annotations

import uuid

import redis.asyncio as aioredis
import structlog
from structlog.testing import capture_logs

from backend.devtools.embedded_services import free_port
from backend.platform.realtime import channels, events
from backend.platform.realtime.publisher import Publisher
from backend.platform.realtime.sink import publish_best_effort
from backend.settings import Settings

log = structlog.get_logger("tests.sink")


def _event() -> events.Event:
    return events.ApplicationChanged(data=events.ApplicationChangedData(uuid.uuid4(), "updated"))


async def test_a_published_event_lands_in_the_history(redis: aioredis.Redis, settings: Settings) -> None:
    user_id = uuid.uuid4()
    with capture_logs() as logs:
        sent = await publish_best_effort(Publisher(redis, settings.realtime), user_id, _event(), log=log, lost="lost")
    assert sent and logs == []
    assert len(await redis.xrange(channels.history_key(user_id)) or []) == 1


async def test_an_event_that_cannot_go_out_is_logged_not_raised(settings: Settings) -> None:
    unreachable = aioredis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
    try:
        with capture_logs() as logs:
            sent = await publish_best_effort(
                Publisher(unreachable, settings.realtime), uuid.uuid4(), _event(), log=log, lost="probe_lost", area="x"
            )
    finally:
        await unreachable.aclose()
    assert not sent
    assert logs == [
        {
            "event": "probe_lost",
            "log_level": "warning",
            "area": "x",
            "event_type": "ApplicationChanged",
            "error": "ConnectionError",
        }
    ]
