"""`python -m backend.entrypoints.worker [--tasks-module MODULE]... [taskiq worker options]`: the worker process.

Runs taskiq's own worker (process manager, receiver, N child processes; `--workers 2` by default)
on the broker from `backend.entrypoints.worker:worker_broker`, importing every module of TASK_MODULES plus each
`--tasks-module` (tests use it to add test-only tasks). Any other option goes to `taskiq worker`
unchanged, e.g. `--workers 1`, `--max-async-tasks 20`, `--log-level DEBUG`.

Messages go through tasks.receiver.BuryingReceiver (taskiq's receiver; a message it raises on is
dead-lettered, not left pending). Every worker child process also runs the outbox relay
(tasks.outbox_relay), started and stopped by the startup/shutdown hooks in backend.platform.jobs.resources.

Configuration comes from the environment (backend.settings): DATABASE_URL, REDIS_URL, TASK_QUEUE,
TASK_STREAM_MAXLEN, TASK_IDLE_RECLAIM_MS, TASK_MAX_RETRIES, LOG_LEVEL, LOG_JSON, DATA_DIR or S3_*
(resume files), ENCRYPTION_KEYS, REALTIME_HISTORY_*.

Shutdown is bounded (upstream may hang on SIGTERM, measured): on SIGTERM/SIGINT taskiq stops taking
messages, waits up to `--wait-tasks-timeout` (8 s) for running tasks; the receiver cuts off those
still running (2 s to unwind) and the broker's shutdown (`--shutdown-timeout`, 5 s) hands back every
message this worker held, so another worker's next reclaim round runs them (tasks.receiver,
HardenedStreamBroker.hand_back; docs/rollouts.md). Children still alive past that are killed, well
inside the idle timeout, and the process exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import sys
import time
from collections.abc import Sequence

import asyncpg
from taskiq import AsyncBroker, async_shared_broker
from taskiq.cli.worker.args import WorkerArgs
from taskiq.cli.worker.run import run_worker

from backend.entrypoints.jobs import TASK_MODULES
from backend.platform.crypto import key_usage
from backend.platform.db import engine as db_engine
from backend.platform.jobs.runtime import build_broker
from backend.platform.logging import configure_logging
from backend.settings import Settings, SettingsError

BROKER_FACTORY = "backend.entrypoints.worker:worker_broker"
RECEIVER = "tasks.receiver:BuryingReceiver"  # buries a message taskiq's receiver raises on
WAIT_TASKS_TIMEOUT = 8.0
SHUTDOWN_TIMEOUT = 5.0
REAP_GRACE = 5.0

logger = logging.getLogger("tasks.worker")


def worker_args(argv: Sequence[str], settings: Settings) -> WorkerArgs:
    """taskiq's WorkerArgs for `argv`: our modules first (taskiq takes modules right after the broker)."""
    ours = argparse.ArgumentParser(add_help=False)
    ours.add_argument("--tasks-module", action="append", default=[])
    known, rest = ours.parse_known_args(list(argv))
    return WorkerArgs.from_cli(
        [BROKER_FACTORY, *TASK_MODULES, *known.tasks_module, *rest],
        defaults={
            "receiver": RECEIVER,
            "wait_tasks_timeout": WAIT_TASKS_TIMEOUT,
            "shutdown_timeout": SHUTDOWN_TIMEOUT,
            "log_level": settings.app.log_level,
            "configure_logging": False,  # backend.platform.logging does it, inherited by the children
        },
    )


def worker_broker() -> AsyncBroker:
    """Zero-argument factory for taskiq's worker CLI: the broker of a worker process."""
    broker = build_broker(Settings.from_env())
    # Tasks that enqueue other tasks with a plain `.kiq()` send through this process's broker.
    async_shared_broker.default_broker(broker)
    return broker


def reap_children(timeout: float) -> None:
    """Wait up to `timeout` s for the worker children taskiq signalled, then kill the rest."""
    deadline = time.monotonic() + timeout
    for child in multiprocessing.active_children():
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            logger.warning("worker child %s did not stop in time; killing it", child.pid)
            child.kill()
            child.join(5)


async def _check_keys(settings: Settings) -> None:
    """Refuse to start (before any child) when a stored blob's master key is not configured. Postgres
    unreachable is not a refusal: the children wait it out as before, and check nothing then."""
    try:
        await db_engine.open_pool(settings.db)
    except (OSError, asyncpg.PostgresError) as exc:
        logger.warning("master key check skipped: Postgres is unreachable (%s)", type(exc).__name__)
        return
    try:
        await key_usage.check_keys(settings.encryption.keys)
    finally:
        await db_engine.close_pool()


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"backend.entrypoints.worker: {exc}", file=sys.stderr)
        return 2
    configure_logging(json=settings.app.log_json, level=settings.app.log_level)
    try:
        asyncio.run(_check_keys(settings))
    except key_usage.MissingKeyError as exc:
        print(f"backend.entrypoints.worker: {exc}", file=sys.stderr)
        return 2
    args = worker_args(sys.argv[1:] if argv is None else argv, settings)
    status = run_worker(args)
    # taskiq's process manager returns right after signalling its children; bound their exit.
    reap_children((args.wait_tasks_timeout or 0) + args.shutdown_timeout + REAP_GRACE)
    return 0 if not status else 1


if __name__ == "__main__":
    sys.exit(main())
