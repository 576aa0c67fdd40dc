"""The task queue: taskiq on Redis streams, hardened. Platform only: the jobs themselves live in their
features (`backend/features/<area>/jobs.py`, found by `backend.entrypoints.jobs.TASK_MODULES`).

- tasks.spec          QueueSpec: every Redis key, the consumer group, sizes and timings of the queue (frozen)
- tasks.broker        HardenedStreamBroker: kick, listen, ack; reclaim, reconnect, dead letters, capped stream
- tasks.keeper        renews the messages this worker is running
- tasks.reclaim       takes over messages a dead worker left unacknowledged
- tasks.upkeep        the bounds kept by the reclaim round (stream trim, dead letters, dead consumers)
- tasks.delayed       retries waiting for their time
- tasks.retry         retries with exponential backoff, terminal dead letter, log context
- tasks.receiver      a message taskiq's receiver raises on is dead-lettered
- tasks.messages      what a stream entry holds and whether it can run
- tasks.outbox        enqueue through the transactional outbox; tasks.outbox_relay sends its rows
- tasks.metrics       the gauges the api reports, read from the spec's keys
- tasks.errors        Redis outages and a full stream
- tasks.heartbeat     `python -m tasks.heartbeat worker|scheduler`: the containers' health check

The processes start in `backend.entrypoints` (worker, scheduler, dead_letters). Importing this
package creates no broker, client or settings.
"""
