"""Backoff of the retry middleware and the `delay` label the broker honours."""

from __future__ import annotations

import logging

import pytest
from taskiq import InMemoryBroker, TaskiqMessage, TaskiqResult

from tasks import delayed
from tasks import messages as msgs
from tasks.retry import BackoffRetryMiddleware


def _message(**labels: object) -> TaskiqMessage:
    return TaskiqMessage(task_id="t", task_name="x.y", labels=labels, args=[], kwargs={})


def test_each_retry_waits_twice_as_long_plus_at_most_ten_percent_jitter() -> None:
    retry = BackoffRetryMiddleware(max_retries=5, base_delay=2.0, max_delay=300.0)
    for attempt, expected in [(1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0)]:
        delay = retry.make_delay(_message(), attempt)
        assert expected <= delay <= expected * 1.1


def test_the_delay_is_capped_and_a_task_label_sets_its_own_base() -> None:
    retry = BackoffRetryMiddleware(max_retries=20, base_delay=2.0, max_delay=30.0)
    assert 30.0 <= retry.make_delay(_message(), 10) <= 33.0
    assert 0.5 <= retry.make_delay(_message(retry_delay=0.25), 2) <= 0.55


def test_max_retries_counts_re_runs_after_the_first_attempt() -> None:
    # SmartRetryMiddleware stops once the attempt number reaches default_retry_count.
    assert BackoffRetryMiddleware(max_retries=3).default_retry_count == 4


@pytest.mark.parametrize(
    ("labels", "seconds"),
    [({}, 0.0), ({"delay": "1.5"}, 1.5), ({"delay": 2}, 2.0), ({"delay": "-1"}, 0.0), ({"delay": "soon"}, 0.0)],
)
def test_delay_label(labels: dict[str, object], seconds: float) -> None:
    assert delayed.delay_of(labels) == seconds


class _Recorded:
    """A DeadLetters that remembers what the middleware asked of it."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.released: list[str] = []
        self.records: list[tuple[msgs.Verdict, bytes | None, int]] = []

    def release(self, task_id: str) -> None:
        self.released.append(task_id)

    async def dead_letter(self, verdict: msgs.Verdict, *, data: bytes | None, attempts: int = 0) -> None:
        if self.fail:
            raise ConnectionError("redis is down")
        self.records.append((verdict, data, attempts))


def _failed() -> TaskiqResult[None]:
    return TaskiqResult(is_err=True, return_value=None, execution_time=0.0, error=RuntimeError("boom"))


async def test_the_last_failure_is_recorded_through_the_dead_letters_it_was_given() -> None:
    dead = _Recorded()
    retry = BackoffRetryMiddleware(max_retries=1, dead_letters=dead)
    retry.set_broker(InMemoryBroker())
    await retry.on_error(_message(_retries="1"), _failed(), RuntimeError("boom"))

    [(verdict, data, attempts)] = dead.records
    assert (verdict.reason, verdict.task_name, verdict.task_id, attempts) == (msgs.RETRIES_EXHAUSTED, "x.y", "t", 2)
    assert verdict.detail == "RuntimeError: boom" and data is not None and b'"x.y"' in data
    assert dead.released == []


async def test_a_dead_letter_that_cannot_be_written_gives_the_delivery_back() -> None:
    dead = _Recorded(fail=True)
    retry = BackoffRetryMiddleware(max_retries=0, dead_letters=dead)
    retry.set_broker(InMemoryBroker())
    with pytest.raises(ConnectionError):
        await retry.on_error(_message(), _failed(), RuntimeError("boom"))
    assert dead.released == ["t"]


async def test_without_dead_letters_a_final_failure_is_only_logged(caplog: pytest.LogCaptureFixture) -> None:
    retry = BackoffRetryMiddleware(max_retries=0)
    retry.set_broker(InMemoryBroker())
    with caplog.at_level(logging.ERROR, logger="tasks.retry"):
        await retry.on_error(_message(), _failed(), RuntimeError("boom"))
    assert "failed for good after 1 attempt(s): RuntimeError" in caplog.text
