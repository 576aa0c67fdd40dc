"""Backoff of the retry middleware and the `delay` label the broker honours."""

from __future__ import annotations

import pytest
from taskiq import TaskiqMessage

from tasks import delayed
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
