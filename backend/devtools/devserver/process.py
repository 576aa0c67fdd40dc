"""One supervised child process: started in its own process group, output prefixed, restarted with
backoff when it dies, stopped with SIGTERM then SIGKILL.

Each child leads a new session, so the terminal's Ctrl-C reaches only the supervisor, which then stops
the children in order; signals go to the whole group, so grandchildren (uvicorn's reloader, taskiq's
worker processes) stop too. On Linux a child also gets SIGTERM if the supervisor itself dies
(PR_SET_PDEATHSIG), so a `kill -9` of the supervisor leaves no orphan holding a port.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.devtools import launcher
from backend.devtools.devserver.output import Output


class GaveUp(RuntimeError):
    """A child crashed more often in a row than the restart policy allows."""


@dataclass(frozen=True)
class RestartPolicy:
    """Exponential backoff; a run longer than `stable_after` seconds resets the crash count."""

    max_restarts: int = 5
    base_delay: float = 0.5
    max_delay: float = 15.0
    stable_after: float = 30.0

    def delay(self, crashes: int) -> float:
        return min(self.base_delay * 2 ** max(crashes - 1, 0), self.max_delay)


def describe_exit(code: int) -> str:
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


async def spawn(
    name: str,
    argv: list[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    output: Output,
    new_session: bool = True,
    tee: list[bytes] | None = None,
) -> tuple[asyncio.subprocess.Process, asyncio.Task[None]]:
    """Start `argv` with stdout+stderr piped into `output` under `name`; return it and its pump task."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=dict(env),
        cwd=cwd,
        start_new_session=new_session,
        preexec_fn=launcher.die_with_parent,
    )
    assert process.stdout is not None
    return process, asyncio.create_task(output.pump(name, process.stdout, tee=tee))


async def _first(aw: asyncio.Future[int] | asyncio.Task[int], stopping: asyncio.Event) -> int | None:
    """The result of `aw`, or None as soon as `stopping` is set (then `aw` is cancelled)."""
    stop_task = asyncio.create_task(stopping.wait())
    waiters: set[asyncio.Future[Any]] = {aw, stop_task}
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop_task.cancel()
    if stopping.is_set():  # an exit caused by our own SIGTERM is no crash
        aw.cancel()
        return None
    return aw.result()


class Child:
    """A long-running process the supervisor keeps alive (api, worker, scheduler, redis)."""

    def __init__(
        self, name: str, argv: list[str], *, env: Mapping[str, str], cwd: Path, output: Output, policy: RestartPolicy
    ) -> None:
        self.name, self.argv, self.env, self.cwd = name, argv, env, cwd
        self.output, self.policy = output, policy
        self.process: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            self.process, self._pump = await spawn(self.name, self.argv, env=self.env, cwd=self.cwd, output=self.output)
        except OSError as exc:
            raise GaveUp(f"{self.name} could not be started ({self.argv[0]}: {exc.strerror})") from exc
        self.output.say(f"started {self.name} (pid {self.process.pid})")

    async def supervise(self, stopping: asyncio.Event) -> None:
        """Restart the process whenever it exits, until `stopping` is set; raise GaveUp after repeated crashes."""
        loop = asyncio.get_running_loop()
        crashes = 0
        while True:
            assert self.process is not None
            started = loop.time()
            code = await _first(asyncio.ensure_future(self.process.wait()), stopping)
            if code is None:
                return
            await self._drain()
            crashes = 1 if loop.time() - started >= self.policy.stable_after else crashes + 1
            if crashes > self.policy.max_restarts:
                raise GaveUp(
                    f"{self.name} {describe_exit(code)} and has crashed {crashes} times in a row; giving up "
                    f"(its output is above, prefixed '{self.name} |')"
                )
            delay = self.policy.delay(crashes)
            self.output.say(
                f"{self.name} {describe_exit(code)}; restarting in {delay:.1f}s "
                f"(restart {crashes} of {self.policy.max_restarts})"
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), delay)
                return
            await self.start()

    def signal_group(self, sig: int) -> bool:
        """Send `sig` to the child's process group (0: just probe); False when nothing of it is left."""
        return self.process is not None and launcher.signal_group(self.process.pid, sig)

    async def stop(self, grace: float) -> None:
        """SIGTERM the group, wait up to `grace` seconds, then SIGKILL whatever is left."""
        process = self.process
        if process is None:
            return
        await launcher.stop_async(
            process, grace, overdue=lambda: self.output.say(f"{self.name} did not stop within {grace:.0f}s; killing it")
        )
        await self._drain()
        code = process.returncode or 0
        clean = code in (0, -signal.SIGTERM, -signal.SIGINT)
        self.output.say(f"stopped {self.name}" + ("" if clean else f" (it {describe_exit(code)})"))

    async def _drain(self) -> None:
        """Let the output pump print the last lines, without hanging on an inherited pipe."""
        if self._pump is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._pump, 2)
            self._pump = None
