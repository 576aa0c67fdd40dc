"""The broker factory: one place that turns Settings into a configured taskiq broker.

How tasks are declared without a broker built from the environment at import time: every task is a
*shared task*, `@async_shared_broker.task(task_name="area.verb")` (taskiq's AsyncSharedBroker).
Shared tasks live in taskiq's global registry, so any broker built later finds them by name, and
importing a task module creates nothing. Each process builds its broker in its composition root:
- worker: taskiq's CLI accepts a broker *factory* (`module:function`, called with no arguments);
  `python -m backend.entrypoints.worker` points it at `worker_broker`, which reads `Settings.from_env()`;
- scheduler: `python -m backend.entrypoints.scheduler` builds it the same way (backend.entrypoints.scheduler);
- api: `create_app(settings)` calls `build_broker(settings)`, starts it in its lifespan and sends
  with `task.kicker().with_broker(broker).kiq(...)` (or `async_shared_broker.default_broker(broker)`
  once, after which plain `task.kiq(...)` works in that process);
- unit tests: `build_broker(settings, in_memory=True)` runs tasks in-process (InMemoryBroker) with
  the same hooks and middlewares, no worker needed.
The alternative, a module-level broker whose URL is read at import, is what the one-factory-per-process
rule (DEVELOPERS.md) forbids.

The queue's keys, sizes and timings are one frozen `tasks.spec.QueueSpec`, made here from
`settings.worker` (`QueueSpec.from_settings`); the api's gauges and the dead-letter CLI make theirs
the same way.

The worker and the scheduler import the jobs of every feature (backend.entrypoints.jobs.TASK_MODULES).
Each worker process also runs the outbox relay (tasks.outbox_relay), which sends the tasks the api
recorded in `task_outbox` (`tasks.outbox.enqueue`).
"""

from __future__ import annotations

from taskiq import AsyncBroker, InMemoryBroker

from backend.platform import redis_client
from backend.platform.jobs import resources
from backend.settings import Settings
from tasks.broker import HardenedStreamBroker
from tasks.retry import BackoffRetryMiddleware, DeadLetters, LogContextMiddleware
from tasks.spec import QueueSpec


def build_broker(settings: Settings, *, in_memory: bool = False) -> AsyncBroker:
    """A broker for this process: the hardened stream broker, or an in-process one for tests.

    Nothing connects until `await broker.startup()`.
    """
    redis_client.configure(settings.redis)  # every process that sends or runs tasks builds a broker first
    spec = QueueSpec.from_settings(settings.worker)
    broker: AsyncBroker
    dead_letters: DeadLetters | None = None
    if in_memory:
        # await_inplace: `kiq()` returns after the task ran, so a test can assert right away.
        broker = InMemoryBroker(await_inplace=True)
    else:
        broker = dead_letters = HardenedStreamBroker(settings.redis.url, spec)
    retries = BackoffRetryMiddleware(max_retries=spec.max_retries, dead_letters=dead_letters)
    broker.add_middlewares(LogContextMiddleware(), retries)
    # The outbox relay runs in worker processes only; in-process tests send their tasks themselves.
    resources.install(broker, settings, relay=not in_memory)
    return broker
