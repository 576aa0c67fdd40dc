"""The queue's shape: one frozen QueueSpec whose keys are distinct, share the queue's prefix and keep
the names a running deployment already has data under."""

from __future__ import annotations

import msgspec
import pytest
from taskiq.message import BrokerMessage

from backend.settings import Settings, WorkerSettings
from tasks.broker import HardenedStreamBroker
from tasks.spec import QueueSpec

QUEUES = [
    QueueSpec.from_settings(WorkerSettings()),
    QueueSpec.from_settings(Settings.from_env({"TASK_QUEUE": "q", "TASK_CONSUMER_GROUP": "g"}).worker),
    QueueSpec.for_queue("a:b", "dead", maxlen=1, idle_reclaim_ms=100),  # a group named like a suffix
]


@pytest.mark.parametrize("spec", QUEUES, ids=lambda spec: spec.stream)
def test_every_key_is_distinct_and_shares_the_queues_prefix(spec: QueueSpec) -> None:
    keys = spec.keys()
    assert len(set(keys)) == len(keys)
    assert keys[0] == spec.stream
    assert all(key.startswith(f"{spec.stream}:") for key in keys[1:])
    names = {field for field in spec.__struct_fields__ if isinstance(getattr(spec, field), str)}
    assert {getattr(spec, field) for field in names - {"group"}} == set(keys)  # no key left out of keys()


def test_the_key_names_are_those_a_running_deployment_has_data_under() -> None:
    spec = QueueSpec.from_settings(WorkerSettings())
    assert (spec.stream, spec.group) == ("career-copilot:tasks", "workers")
    assert spec.keys() == (
        "career-copilot:tasks",
        "career-copilot:tasks:dead",
        "career-copilot:tasks:delayed",
        "career-copilot:tasks:stats",
        "career-copilot:tasks:reclaim-lock:workers",
    )


def test_the_spec_is_built_from_the_settings_and_frozen() -> None:
    env = {"TASK_QUEUE": "q", "TASK_STREAM_MAXLEN": "7", "TASK_IDLE_RECLAIM_MS": "1500", "TASK_MAX_RETRIES": "5"}
    spec = QueueSpec.from_settings(Settings.from_env(env).worker)
    assert (spec.maxlen, spec.dead_maxlen, spec.idle_reclaim_ms, spec.max_retries) == (7, 7, 1500, 5)
    assert QueueSpec.from_settings(WorkerSettings(max_retries=-1)).max_retries == 0
    assert (spec.reclaim_every, spec.read_block_ms, spec.keeper_tick) == (0.5, 500, 0.5)
    with pytest.raises(AttributeError):
        spec.maxlen = 8  # type: ignore[misc]


def test_a_slow_idle_timeout_keeps_the_rounds_and_reads_bounded() -> None:
    spec = QueueSpec.for_queue("q", "g", maxlen=10, idle_reclaim_ms=600_000)
    assert (spec.reclaim_every, spec.read_block_ms, spec.keeper_tick) == (12.0, 1000, 1.0)


def test_a_spec_with_a_bad_cap_or_stray_keys_cannot_be_made() -> None:
    spec = QueueSpec.for_queue("q", "g", maxlen=10, idle_reclaim_ms=1000)
    with pytest.raises(ValueError, match="maxlen"):
        msgspec.structs.replace(spec, maxlen=0)
    with pytest.raises(ValueError, match="distinct"):
        msgspec.structs.replace(spec, stats=spec.dead)
    with pytest.raises(ValueError, match="start with"):
        msgspec.structs.replace(spec, delayed="elsewhere:delayed")


async def test_the_broker_sends_to_its_own_stream_only() -> None:
    broker = HardenedStreamBroker("redis://127.0.0.1:1/0", QUEUES[1])
    message = BrokerMessage(task_id="t", task_name="x.y", message=b"{}", labels={"queue_name": "other"})
    with pytest.raises(ValueError, match="'q' only"):
        await broker.kick(message)  # refused before any connection is made
