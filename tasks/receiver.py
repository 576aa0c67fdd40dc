"""The worker's receiver: taskiq's own, except that a message it raises on is never left pending.

taskiq 0.13's `Receiver.callback` catches errors of the task itself, but some happen outside its
try blocks: an `ack_type` label it rejects (ValueError, measured), a middleware's pre_execute or
post_execute raising. The message was neither acked nor given back, and the keeper went on renewing
it for `max_task_seconds` (30 min), then it was redelivered ~10 times, 30 min each. Here any
exception escaping the callback for a stream message still in flight buries it (acked, deleted,
recorded in `<queue>:dead` with reason `receiver_error`), and the worker carries on. A message the
retry middleware released on purpose (Redis down while it wrote the retry) is left to be reclaimed.
What burying needs travels with the message (`StreamMessage.reject` and `.forget`, set by the
stream broker): the receiver asks nothing of the broker it was given.

Shutdown (SIGTERM): taskiq stops fetching and waits up to `--wait-tasks-timeout` for the running
tasks. Its runner (taskiq 0.13) may not get there: with every execution slot taken
(`--max-async-tasks`) it waits for a free one to start the next message read ahead, and hears of the
shutdown only once a running task ends, so a worker busy with long tasks hung until killed
(measured: SIGTERM with a 60 s task running and three read ahead, killed after 11 s). Here the
runner starts nothing once the shutdown began: messages read ahead stay pending for the hand back.
Then, instead of leaving the tasks still running unrenewed while the broker shuts down, each is
cancelled (up to CUT_OFF_SECONDS to unwind): the retry middleware neither retries nor acks a
cancelled task, and the broker hands its message back with everything else this worker held
(HardenedStreamBroker.hand_back) for another worker to run. A task that ignores its cancellation
is abandoned: not renewed and not handed back, so no other worker can take it before this process
has exited (the worker's bounds end it well inside the idle timeout).

Lanes: a task declared with a `lane` label (`@task(task_name=..., lane="parser")`) whose lane the
queue's spec sizes (`QueueSpec.lanes`, e.g. PARSER_CHILDREN) does not take one of the common
execution slots (`--max-async-tasks`) nor keep its read-ahead slot: it waits for a slot of its own
lane, at most `size` of them running at once in this process, so the prefetcher reads on and an
email or a cover letter behind a flood of resume parses starts at once instead of after the flood.
A lane holds at most `size + QueueSpec.lane_backlog` messages (running or waiting; the keeper
renews them all); past that the runner waits for room, in stream order, as it does for a common slot.
At shutdown a waiting lane task starts nothing and its message is handed back with the rest.

`python -m backend.entrypoints.worker` passes this class as taskiq's `--receiver`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from taskiq import AckableMessage
from taskiq.receiver import Receiver
from taskiq.receiver.receiver import _PrefetchedMessage, _QueueSignal

from tasks.broker import StreamMessage
from tasks.spec import QueueSpec

logger = logging.getLogger("tasks.broker")

CUT_OFF_SECONDS = 2.0  # for cancelled tasks to unwind at shutdown


class Lane:
    """One lane's capacity in this process: `size` running at once, `size + backlog` admitted."""

    def __init__(self, size: int, backlog: int) -> None:
        self.size = max(1, size)
        self.running = asyncio.Semaphore(self.size)
        self.room = asyncio.Semaphore(self.size + max(0, backlog))


class BuryingReceiver(Receiver):
    """taskiq's Receiver; a stream message its callback raises on is dead-lettered and acked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.running: dict[asyncio.Task[Any], StreamMessage] = {}
        self.finishing = asyncio.Event()
        spec: QueueSpec | None = getattr(self.broker, "spec", None)  # the stream broker's; none in memory
        self.lanes: dict[str, Lane] = (
            {} if spec is None else {name: Lane(size, spec.lane_backlog) for name, size in spec.lanes}
        )

    async def listen(self, finish_event: asyncio.Event) -> None:
        self.finishing = finish_event
        try:
            await super().listen(finish_event)
        finally:
            await self.cut_off()

    async def runner(self, queue: asyncio.Queue[_PrefetchedMessage | _QueueSignal]) -> None:
        """taskiq's runner, except that once the shutdown began no message is started (see above)."""
        tasks: set[asyncio.Task[Any]] = set()
        while True:
            try:
                queued = await queue.get()
                if queued is _QueueSignal.DONE:
                    if tasks:
                        logger.info("waiting up to %ss for %d running task(s)", self.wait_tasks_timeout, len(tasks))
                        await asyncio.wait(tasks, timeout=self.wait_tasks_timeout)
                    break
                if (lane := self._lane_of(queued)) is not None:
                    admitted = await self._acquire(lane.room)
                    if queued.owns_delivery_slot:  # a lane task holds no common capacity: read on
                        self.sem_prefetch.release()
                    if admitted:
                        in_lane = asyncio.create_task(self._run_in_lane(lane, queued.data))
                        tasks.add(in_lane)
                        in_lane.add_done_callback(tasks.discard)
                    continue  # not admitted: shutting down, still pending in the stream: handed back
                if not await self._execution_slot():
                    if queued.owns_delivery_slot:
                        self.sem_prefetch.release()
                    continue  # still pending in the stream: the broker hands it back
                started = self._start_callback(queued, owns_execution_slot=self.sem is not None)
                tasks.add(started.task)
                started.task.add_done_callback(
                    functools.partial(
                        self._on_callback_done, active_tasks=tasks, owns_delivery_slot=started.owns_delivery_slot
                    )
                )
            except asyncio.CancelledError:
                break

    def _lane_of(self, queued: _PrefetchedMessage) -> Lane | None:
        message = queued.data
        return self.lanes.get(message.lane) if isinstance(message, StreamMessage) and message.lane else None

    async def _run_in_lane(self, lane: Lane, message: bytes | AckableMessage) -> None:
        """Wait for a running slot of the lane, then run the message like any other."""
        try:
            if not await self._acquire(lane.running):
                return  # shutting down: never started, handed back by the broker
            try:
                await self.callback(message=message, raise_err=False)
            finally:
                lane.running.release()
        finally:
            lane.room.release()

    async def _execution_slot(self) -> bool:
        """A slot to run one more message (when `--max-async-tasks` bounds them); False once shutting down."""
        if self.finishing.is_set():
            return False
        if self.sem is None:
            return True
        return await self._acquire(self.sem)

    async def _acquire(self, semaphore: asyncio.Semaphore) -> bool:
        """Acquire `semaphore`, unless the shutdown begins first (False, nothing held)."""
        if self.finishing.is_set():
            return False
        acquire = asyncio.ensure_future(semaphore.acquire())
        finishing = asyncio.ensure_future(self.finishing.wait())
        await asyncio.wait({acquire, finishing}, return_when=asyncio.FIRST_COMPLETED)
        finishing.cancel()
        if acquire.done() and not self.finishing.is_set():
            return True
        acquire.cancel()
        if (await asyncio.gather(acquire, return_exceptions=True))[0] is True:
            semaphore.release()
        return False

    async def cut_off(self) -> int:
        """Cancel the tasks still running after taskiq's wait; abandon those that do not stop in time.
        Returns how many were cut off."""
        running = {task: message for task, message in self.running.items() if not task.done()}
        if not running:
            return 0
        logger.warning("cutting off %d running task(s); their messages go back to the queue", len(running))
        for task in running:
            task.cancel()
        _, stuck = await asyncio.wait(running, timeout=CUT_OFF_SECONDS)
        for task in stuck:
            running[task].abandon()
            logger.error("stream entry %s did not stop when cancelled", running[task].msg_id.decode())
        return len(running)

    async def callback(self, message: bytes | AckableMessage, raise_err: bool = False) -> None:
        task = asyncio.current_task()
        if isinstance(message, StreamMessage) and task is not None:
            self.running[task] = message
        try:
            await self._callback(message, raise_err)
        finally:
            if task is not None:
                self.running.pop(task, None)

    async def _callback(self, message: bytes | AckableMessage, raise_err: bool) -> None:
        try:
            await super().callback(message, raise_err)
        except Exception as exc:
            if not isinstance(message, StreamMessage):
                raise
            logger.error("the receiver failed on stream entry %s (%s)", message.msg_id.decode(), type(exc).__name__)
            try:
                await message.reject(exc)
            except Exception:
                # Redis down: stop renewing it, so it idles out and the reclaimer buries or reruns it.
                message.forget()
                logger.exception("cannot dead-letter stream entry %s; it will be reclaimed", message.msg_id.decode())
