"""`python -m backend.entrypoints.scheduler [--tasks-module MODULE]... [taskiq scheduler options]`: the scheduler.

Runs taskiq's scheduler loop with the label schedule source: every task of TASK_MODULES (plus each
`--tasks-module`) carrying a `schedule` label is sent on time through the broker from Settings.
Run exactly one; scheduled tasks are idempotent, so an overlap during a rollout is safe.

TASK_SCHEDULE_OVERRIDES replaces schedules by schedule id, `;`-separated: a cron expression, or a
whole number of seconds for an interval, e.g. `maintenance.purge_expired=*/5 * * * *;other.task=30`
(tests use `maintenance.purge_expired=1`). Other options go to `taskiq scheduler` unchanged.
SIGTERM/SIGINT stop it within SHUTDOWN_TIMEOUT seconds with exit status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence

from taskiq import AsyncBroker, ScheduledTask, TaskiqScheduler, async_shared_broker
from taskiq.cli.scheduler.args import SchedulerArgs
from taskiq.cli.scheduler.run import run_scheduler
from taskiq.schedule_sources import LabelScheduleSource

from backend.entrypoints.jobs import TASK_MODULES
from backend.platform.jobs.runtime import build_broker
from backend.platform.logging import configure_logging
from backend.settings import Settings, SettingsError
from tasks import heartbeat

logger = logging.getLogger("tasks.scheduler")

SHUTDOWN_TIMEOUT = 10.0
SEND_TIMEOUT = "10"  # a kick hung on a dead Redis must not block later ticks of its schedule


def parse_overrides(raw: str) -> dict[str, str | int]:
    """`id=cron-or-seconds;...` → {schedule id: cron string or interval seconds}."""
    overrides: dict[str, str | int] = {}
    for item in filter(None, (part.strip() for part in raw.split(";"))):
        schedule_id, sep, value = (s.strip() for s in item.partition("="))
        if not sep or not schedule_id or not value:
            raise SettingsError(f"TASK_SCHEDULE_OVERRIDES: expected 'id=cron-or-seconds', got {item!r}")
        overrides[schedule_id] = int(value) if value.isdigit() else value
    return overrides


class OverridableLabelSource(LabelScheduleSource):
    """Schedules from task labels, with some replaced from the environment."""

    def __init__(self, broker: AsyncBroker, overrides: Mapping[str, str | int]) -> None:
        super().__init__(broker)
        self.overrides = dict(overrides)

    async def startup(self) -> None:
        await super().startup()
        for schedule_id, value in self.overrides.items():
            if (task := self.schedules.get(schedule_id)) is None:
                logger.warning("TASK_SCHEDULE_OVERRIDES names no known schedule: %s", schedule_id)
                continue
            changes = {"cron": None, "interval": value} if isinstance(value, int) else {"cron": value}
            self.schedules[schedule_id] = ScheduledTask.model_validate({**task.model_dump(), **changes})


def build_scheduler(settings: Settings, env: Mapping[str, str]) -> TaskiqScheduler:
    """A scheduler that sends through the stream broker; tasks are shared tasks (tasks.broker)."""
    broker = build_broker(settings)
    # Shared tasks belong to async_shared_broker, and the label source only takes tasks whose
    # broker is the one it was given: hand it the shared one, send through the real one.
    source = OverridableLabelSource(async_shared_broker, parse_overrides(env.get("TASK_SCHEDULE_OVERRIDES", "")))
    return TaskiqScheduler(broker=broker, sources=[source])


def scheduler_args(argv: Sequence[str], settings: Settings) -> SchedulerArgs:
    ours = argparse.ArgumentParser(add_help=False)
    ours.add_argument("--tasks-module", action="append", default=[])
    known, rest = ours.parse_known_args(list(argv))
    return SchedulerArgs.from_cli(
        [
            "backend.entrypoints.scheduler:build_scheduler",  # placeholder, replaced by the built object below
            *TASK_MODULES,
            *known.tasks_module,
            "--no-configure-logging",
            f"--log-level={settings.app.log_level}",
            f"--send-timeout={SEND_TIMEOUT}",
            *rest,
        ]
    )


async def _run(args: SchedulerArgs) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    main = asyncio.create_task(run_scheduler(args))
    stopping = asyncio.create_task(stop.wait())
    beating = asyncio.create_task(heartbeat.run("scheduler"))  # its event loop turns
    await asyncio.wait({main, stopping}, return_when=asyncio.FIRST_COMPLETED)
    beating.cancel()
    if main.done():
        stopping.cancel()
        main.result()  # a startup failure surfaces here
        return
    main.cancel()  # run_scheduler shuts the broker and sources down on cancellation
    await asyncio.wait({main}, timeout=SHUTDOWN_TIMEOUT)
    with contextlib.suppress(asyncio.CancelledError, Exception):
        if main.done():
            main.result()


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = Settings.from_env()
        args = scheduler_args(sys.argv[1:] if argv is None else argv, settings)
        args.scheduler = build_scheduler(settings, os.environ)
    except SettingsError as exc:
        print(f"backend.entrypoints.scheduler: {exc}", file=sys.stderr)
        return 2
    configure_logging(json=settings.app.log_json, level=settings.app.log_level)
    asyncio.run(_run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
