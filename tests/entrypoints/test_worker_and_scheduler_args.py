"""How the worker and scheduler commands turn argv and the environment into taskiq's arguments."""

from __future__ import annotations

import pytest
from taskiq import InMemoryBroker, TaskiqScheduler, async_shared_broker

from backend.entrypoints import scheduler, worker
from backend.entrypoints.jobs import TASK_MODULES
from backend.features.maintenance import jobs as maintenance
from backend.platform.jobs.runtime import build_broker
from backend.settings import Settings, SettingsError
from tasks.broker import HardenedStreamBroker
from tasks.retry import BackoffRetryMiddleware

SETTINGS = Settings.from_env(
    {"REDIS_URL": "redis://127.0.0.1:1/0", "TASK_QUEUE": "q", "TASK_IDLE_RECLAIM_MS": "1500", "LOG_LEVEL": "ERROR"}
)


def test_worker_args_import_every_task_module_and_pass_other_options_through() -> None:
    args = worker.worker_args(["--workers", "1", "--tasks-module", "tests.x", "--max-async-tasks", "7"], SETTINGS)
    assert args.broker == worker.BROKER_FACTORY
    assert args.modules == [*TASK_MODULES, "tests.x"]
    assert (args.workers, args.max_async_tasks) == (1, 7)
    assert (args.wait_tasks_timeout, args.shutdown_timeout) == (worker.WAIT_TASKS_TIMEOUT, worker.SHUTDOWN_TIMEOUT)
    assert args.log_level.name == "ERROR" and args.configure_logging is False


def test_worker_shutdown_bounds_can_be_overridden() -> None:
    args = worker.worker_args(["--wait-tasks-timeout", "2", "--shutdown-timeout", "1"], SETTINGS)
    assert (args.wait_tasks_timeout, args.shutdown_timeout) == (2.0, 1.0)


def test_scheduler_args_import_every_task_module() -> None:
    args = scheduler.scheduler_args(["--tasks-module", "tests.x", "--skip-first-run"], SETTINGS)
    assert args.modules == [*TASK_MODULES, "tests.x"]
    assert args.skip_first_run and args.send_timeout == float(scheduler.SEND_TIMEOUT)


def test_schedule_overrides_parse_cron_or_seconds() -> None:
    raw = " maintenance.purge_expired = */5 * * * * ; other.task=30;"
    assert scheduler.parse_overrides(raw) == {"maintenance.purge_expired": "*/5 * * * *", "other.task": 30}
    assert scheduler.parse_overrides("") == {}
    with pytest.raises(SettingsError, match="TASK_SCHEDULE_OVERRIDES"):
        scheduler.parse_overrides("no-equals-sign")


async def test_the_purge_task_runs_every_ten_minutes_unless_overridden() -> None:
    plain = scheduler.OverridableLabelSource(async_shared_broker, {})
    await plain.startup()
    assert plain.schedules[maintenance.PURGE_EXPIRED].cron == "*/10 * * * *"
    assert plain.schedules[maintenance.PURGE_EXPIRED].task_name == "maintenance.purge_expired"

    fast = scheduler.OverridableLabelSource(async_shared_broker, {maintenance.PURGE_EXPIRED: 1})
    await fast.startup()
    assert fast.schedules[maintenance.PURGE_EXPIRED].interval == 1
    assert fast.schedules[maintenance.PURGE_EXPIRED].cron is None


def test_brokers_are_built_from_settings_without_connecting() -> None:
    stream = build_broker(SETTINGS)
    assert isinstance(stream, HardenedStreamBroker)
    assert (stream.queue_name, stream.spec.dead, stream.consumer_group_name) == ("q", "q:dead", "workers")
    assert (stream.spec.maxlen, stream.idle_timeout) == (SETTINGS.worker.stream_maxlen, 1500)
    assert stream.spec.reclaim_every <= 0.5  # a third of the idle timeout
    assert any(isinstance(m, BackoffRetryMiddleware) for m in stream.middlewares)
    assert isinstance(build_broker(SETTINGS, in_memory=True), InMemoryBroker)
    assert isinstance(scheduler.build_scheduler(SETTINGS, {}), TaskiqScheduler)
