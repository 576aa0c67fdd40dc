"""The worker's receiver: taskiq's own, except that a message it raises on is never left pending.

taskiq 0.13's `Receiver.callback` catches errors of the task itself, but some happen outside its
try blocks: an `ack_type` label it rejects (ValueError, measured), a middleware's pre_execute or
post_execute raising. The message was neither acked nor given back, and the keeper went on renewing
it for `max_task_seconds` (30 min), then it was redelivered ~10 times, 30 min each. Here any
exception escaping the callback for a stream message still in flight buries it (acked, deleted,
recorded in `<queue>:dead` with reason `receiver_error`), and the worker carries on. A message the
retry middleware released on purpose (Redis down while it wrote the retry) is left to be reclaimed.
What burying needs travels with the message (`StreamMessage.reject` and `.forget`, set by the
stream broker): the receiver asks nothing of the broker it was given.

`python -m backend.entrypoints.worker` passes this class as taskiq's `--receiver`.
"""

from __future__ import annotations

import logging

from taskiq import AckableMessage
from taskiq.receiver import Receiver

from tasks.broker import StreamMessage

logger = logging.getLogger("tasks.broker")


class BuryingReceiver(Receiver):
    """taskiq's Receiver; a stream message its callback raises on is dead-lettered and acked."""

    async def callback(self, message: bytes | AckableMessage, raise_err: bool = False) -> None:
        try:
            await super().callback(message, raise_err)
        except Exception as exc:
            if not isinstance(message, StreamMessage):
                raise
            logger.error("the receiver failed on stream entry %s (%s)", message.msg_id.decode(), type(exc).__name__)
            try:
                await message.reject(exc)
            except Exception:
                # Redis down: stop renewing it, so it idles out and the reclaimer buries or reruns it.
                message.forget()
                logger.exception("cannot dead-letter stream entry %s; it will be reclaimed", message.msg_id.decode())
