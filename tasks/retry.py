"""Task middlewares: retries with exponential backoff ending in a dead-letter record, and log context.

Upstream acks a failed task and forgets it (measured), so retries come from taskiq's own
SmartRetryMiddleware. Two things are changed in it:
- its "exponential" delay is `delay * retries` and feeds the previous `delay` label back in, so it
  grows factorially; here attempt n waits `base * 2**(n-1)` (capped) plus up to 10 % jitter. The
  base is the task's `retry_delay` label (seconds), else the middleware default. The broker
  (tasks.delayed) holds the message back for that long;
- after the last attempt it only logs a warning; here the failure is logged as an error and
  recorded in `<queue>:dead` with reason `retries_exhausted` (or `failed` for tasks that opt out of
  retries with the `retry_on_error=False` label), the terminal state of a task.

`max_retries` counts re-runs after the first attempt: a task runs at most `1 + max_retries` times.
Releasing a delivery and recording a dead letter go through the `dead_letters` object the
middleware is built with (the stream broker, in build_broker); without one (the in-memory broker
of unit tests) the failure is only logged.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any, Protocol

import structlog
from taskiq import NoResultError, SmartRetryMiddleware, TaskiqMessage, TaskiqMiddleware, TaskiqResult

from tasks import messages as msgs

logger = logging.getLogger("tasks.retry")


class DeadLetters(Protocol):
    """What the retry middleware needs of the queue (tasks.broker.HardenedStreamBroker has it)."""

    def release(self, task_id: str) -> None:
        """Give the running delivery of `task_id` back to the queue, unacked."""

    async def dead_letter(self, verdict: msgs.Verdict, *, data: bytes | None, attempts: int = 0) -> None:
        """Record a task that will not run again."""


class BackoffRetryMiddleware(SmartRetryMiddleware):
    """Retry every task (unless labelled `retry_on_error=False`) with exponential backoff."""

    def __init__(
        self,
        *,
        max_retries: int,
        base_delay: float = 2.0,
        max_delay: float = 300.0,
        dead_letters: DeadLetters | None = None,
    ) -> None:
        super().__init__(
            default_retry_count=max_retries + 1,  # SmartRetryMiddleware counts attempts, not retries
            default_retry_label=True,
            no_result_on_retry=True,
            default_delay=base_delay,
            use_jitter=True,
            use_delay_exponent=True,
            max_delay_exponent=max_delay,
        )
        self.dead_letters = dead_letters

    def make_delay(self, message: TaskiqMessage, retries: int) -> float:
        base = float(message.labels.get("retry_delay", self.default_delay))
        delay = min(base * 2 ** (retries - 1), self.max_delay_exponent)
        return delay + random.uniform(0, delay / 10)  # spreads a burst of retries

    async def on_error(self, message: TaskiqMessage, result: TaskiqResult[Any], exception: BaseException) -> None:
        if isinstance(exception, asyncio.CancelledError):
            # The worker is shutting down and cut the task off (tasks.receiver): no retry and no ack;
            # the delivery goes back to the queue as it is (the broker hands it back at shutdown).
            if self.dead_letters is not None:
                self.dead_letters.release(message.task_id)
            raise exception
        try:
            await self._retry_or_bury(message, result, exception)
        except Exception:
            # The retry or the dead-letter record could not be written (Redis down). Leave the
            # delivery unacked and stop renewing it: it idles out and a reclaim runs it again.
            if self.dead_letters is not None:
                self.dead_letters.release(message.task_id)
            raise

    async def _retry_or_bury(self, message: TaskiqMessage, result: TaskiqResult[Any], exception: BaseException) -> None:
        await super().on_error(message, result, exception)
        if isinstance(result.error, NoResultError):
            return  # a retry was enqueued (or the task asked for no result)
        attempts = int(message.labels.get("_retries", 0)) + 1
        reason = msgs.RETRIES_EXHAUSTED if self.is_retry_on_error(message) else msgs.FAILED
        # The exception type only: messages may carry user data.
        logger.error(
            "task %s (%s) failed for good after %d attempt(s): %s",
            message.task_name,
            message.task_id,
            attempts,
            type(exception).__name__,
        )
        if self.dead_letters is not None:
            detail = f"{type(exception).__name__}: {exception}"
            verdict = msgs.Verdict(reason, detail, message.task_name, message.task_id)
            data = self.broker.formatter.dumps(message).message
            await self.dead_letters.dead_letter(verdict, data=data, attempts=attempts)


class LogContextMiddleware(TaskiqMiddleware):
    """Bind the task id and name to every log line the task writes (structlog contextvars).

    Each message runs in its own asyncio task, hence its own context: nothing leaks between tasks.
    """

    def pre_execute(self, message: TaskiqMessage) -> TaskiqMessage:
        structlog.contextvars.bind_contextvars(task_id=message.task_id, task_name=message.task_name)
        return message


def is_final_attempt(labels: dict[str, Any], max_retries: int) -> bool:
    """True when BackoffRetryMiddleware will not retry this delivery if it fails."""
    if str(labels.get("retry_on_error", "true")).lower() == "false":
        return True
    allowed = int(labels.get("max_retries", max_retries + 1))  # SmartRetryMiddleware counts attempts
    return int(labels.get("_retries", 0)) + 1 >= allowed
