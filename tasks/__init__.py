"""Background work on taskiq + Redis streams: the broker, the worker and scheduler
processes, and one module per task family.

- tasks.broker      build_broker(settings) / worker_broker(); TASK_MODULES (add new task modules here)
- tasks.stream      HardenedStreamBroker (reclaim, reconnect, dead-letter, delays, capped stream)
- tasks.upkeep      the bounds kept by the reclaim round (stream trim, dead letters, dead consumers)
- tasks.receiver    the worker's receiver: a message taskiq's receiver raises on is dead-lettered
- tasks.middleware  retries with exponential backoff, terminal dead-letter, log context
- tasks.resources   worker startup/shutdown hooks and the TaskiqDepends providers
- tasks.outbox_relay the loop in each worker process that sends `task_outbox` rows to the broker
- tasks.worker      `python -m tasks.worker`
- tasks.scheduler   `python -m tasks.scheduler`
- tasks.heartbeat   `python -m tasks.heartbeat worker|scheduler`: the containers' health check
- tasks.dead_letters `python -m tasks.dead_letters list|replay|drop`: the dead-letter stream, for operators
- tasks.maintenance `maintenance.purge_expired` (scheduled)
- tasks.resumes     `resumes.parse_version`, `resumes.sweep_stuck` (scheduled)
- tasks.ai          `cover_letters.generate`, `analyses.run`, `ai.sweep_stuck` (scheduled)
- tasks.notifications `email.send`, `email.sweep` and `reminders.scan` (scheduled)

Importing this package or a task module creates no broker, client or settings.
"""
