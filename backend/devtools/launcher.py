"""One way to run the project's processes outside a container: the api, the worker, the scheduler or
any other command, for `make dev`, the tests, the fuzzer and the benchmarks.

- the command lines: `api_command` (uvicorn as `make api` runs it), `module_command` (`python -m`,
  the worker and the scheduler), `migrate_command` (the real `piccolo` CLI);
- `Process.start(argv, env=..., log=...)`: stdout and stderr go to a log file (or nowhere), the child
  leads its own process group by default (so its own children, e.g. taskiq's worker processes, are
  signalled with it); `die_with_parent` asks the kernel to SIGTERM a child when its parent dies (the dev
  supervisor's children);
- readiness: `wait_url` / `wait_url_async` (an HTTP URL answers 200) or `wait_line` (a regex in the log),
  failing with `NotReady` (and the log) as soon as the process exits;
- stopping: `stop(grace)` sends SIGTERM, waits up to `grace` seconds for the process and its group,
  then SIGKILLs what is left; `kill()` SIGKILLs at once; `running(...)` and `Processes` always stop
  what they started. `stop_async` is the same sequence for an asyncio child (the dev supervisor's).

Development only: never in the wheel or the image.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Self, TypeVar

import httpx

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
API_APP = "backend.entrypoints.api:app_from_env"
WORKER = "backend.entrypoints.worker"
SCHEDULER = "backend.entrypoints.scheduler"
API_GRACEFUL_TIMEOUT = 10  # s for requests in flight once the api stops accepting (the image: 20)

_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def api_command(
    port: int,
    *,
    host: str = HOST,
    log_level: str | None = None,
    access_log: bool = True,
    processes: int = 1,
    reload: bool = False,
    graceful_timeout: int = API_GRACEFUL_TIMEOUT,
) -> list[str]:
    """uvicorn serving the api on `host:port`, as `make api` does (the sans-I/O websockets, no deflate;
    on SIGTERM requests in flight get `graceful_timeout` s after the drain, docs/rollouts.md)."""
    command = [sys.executable, "-m", "uvicorn", "--factory", API_APP, "--host", host, "--port", str(port)]
    command += ["--ws", "websockets-sansio", "--ws-per-message-deflate", "false"]
    command += ["--timeout-graceful-shutdown", str(graceful_timeout)]
    if log_level is not None:
        command += ["--log-level", log_level]
    if not access_log:
        command.append("--no-access-log")
    if processes > 1:
        command += ["--workers", str(processes)]
    if reload:
        command += ["--reload", "--reload-dir", "backend", "--reload-dir", "tasks"]
    return command


def module_command(module: str, *args: str) -> list[str]:
    """`python -m module *args` with this interpreter (WORKER, SCHEDULER or any other module)."""
    return [sys.executable, "-m", module, *args]


def migrate_command() -> list[str]:
    """Every migration forwards with the real `piccolo` CLI, as `make migrate` runs it (from ROOT)."""
    return module_command("piccolo.main", "migrations", "forwards", "career_copilot")


def die_with_parent() -> None:
    """Runs in the child between fork and exec: ask the kernel for SIGTERM when the parent dies."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to the process group `pgid` (0: just probe); False when nothing of it is left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True


P = TypeVar("P", bound="Process")


class NotReady(RuntimeError):
    """A process exited, or did not become ready in time; the message ends with its log."""


@dataclass
class Process:
    """A started child. `popen` is the subprocess; `log` holds its output (None: discarded)."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path | None = None
    own_group: bool = True  # it leads its own process group: signals reach its children too
    url: str = ""  # the base URL it serves, when it serves one

    @classmethod
    def start(
        cls,
        argv: list[str],
        *,
        env: Mapping[str, str],
        log: Path | None = None,
        name: str = "",
        cwd: Path = ROOT,
        own_group: bool = True,
        append: bool = False,
        url: str = "",
    ) -> Self:
        """Start `argv` with exactly `env`. stdout and stderr go to `log` (appended to with `append`);
        without one, stdout is discarded and stderr is this process's."""
        out: IO[bytes] | int = subprocess.DEVNULL
        if log is not None:
            out = log.open("ab" if append else "wb")
        try:
            popen = subprocess.Popen(  # noqa: S603 - our own command lines
                argv,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=None if log is None else subprocess.STDOUT,
                start_new_session=own_group,
            )
        finally:
            if not isinstance(out, int):
                out.close()
        return cls(name or Path(argv[2] if argv[1:2] == ["-m"] else argv[0]).name, popen, log, own_group, url)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        """What it wrote so far ("" when its output is discarded)."""
        if self.log is None or not self.log.exists():
            return ""
        return self.log.read_text(errors="replace")

    def signal(self, sig: int) -> None:
        """Send `sig` to the process itself (not its group), as an orchestrator does."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)

    def signal_group(self, sig: int) -> bool:
        """Send `sig` to its process group (to the process alone if it has none); False when nothing is left."""
        if self.own_group:
            return signal_group(self.popen.pid, sig)
        if self.popen.poll() is not None:
            return False
        self.popen.send_signal(sig)
        return True

    def terminate(self, timeout: float) -> int:
        """SIGTERM the process itself and return its exit status (subprocess.TimeoutExpired after `timeout`)."""
        self.signal(signal.SIGTERM)
        return self.popen.wait(timeout)

    def kill(self, timeout: float = 10) -> int:
        """SIGKILL its group (or itself) at once and return its exit status."""
        self.signal_group(signal.SIGKILL)
        return self.popen.wait(timeout)

    def stop(self, grace: float = 10) -> int:
        """SIGTERM, up to `grace` seconds for the process and its group to exit, then SIGKILL whatever is
        left. Returns its exit status (a negative signal number when a signal ended it)."""
        self.signal_group(signal.SIGTERM)
        return self._reap(time.monotonic() + grace)

    def _reap(self, deadline: float) -> int:
        """After a SIGTERM: wait until `deadline` for it (and its group), then SIGKILL what is left."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(max(deadline - time.monotonic(), 0))
        # The leader is gone or out of time; its group (e.g. taskiq's worker processes) may linger.
        while self.own_group and signal_group(self.popen.pid, 0) and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.signal_group(signal.SIGKILL):
            self.popen.wait()
        return self.popen.wait()

    def _failed(self, what: str, timeout: float) -> NotReady:
        code = self.popen.poll()
        problem = (
            f"{self.name} exited ({code}) before {what}" if code is not None else f"no {what} within {timeout:.0f}s"
        )
        return NotReady(f"{problem}:\n{self.output()}")

    def wait_url(self, url: str, within: float, interval: float = 0.05) -> None:
        """Until `url` answers 200; NotReady when the process exits first or after `within` seconds."""
        deadline = time.monotonic() + within
        while self.popen.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            time.sleep(interval)
        raise self._failed(f"{url} answered 200", within)

    async def wait_url_async(self, url: str, within: float, interval: float = 0.05) -> None:
        """`wait_url` without blocking the event loop."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with httpx.AsyncClient() as http:
            while self.popen.poll() is None and loop.time() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(url, timeout=1)).status_code == 200:
                        return
                await asyncio.sleep(interval)
        raise self._failed(f"{url} answered 200", within)

    def wait_line(self, pattern: str, within: float, interval: float = 0.1) -> None:
        """Until the log matches the regex `pattern` (multiline); NotReady when the process exits first
        or after `within` seconds."""
        deadline = time.monotonic() + within
        while not re.search(pattern, self.output(), re.MULTILINE):
            if self.popen.poll() is not None or time.monotonic() > deadline:
                raise self._failed(repr(pattern), within)
            time.sleep(interval)


@dataclass
class Processes:
    """Processes started together and always ended together (`with Processes() as started:`)."""

    grace: float = 10  # of `stop_all` when the block ends
    started: list[Process] = field(default_factory=list)

    def start(self, argv: list[str], **options: object) -> Process:
        """`Process.start(argv, **options)`, remembered so that it is ended with the others."""
        return self.add(Process.start(argv, **options))  # type: ignore[arg-type]

    def add(self, process: P) -> P:
        """Remember a process started elsewhere, so that it is ended with the others."""
        self.started.append(process)
        return process

    def stop_all(self, grace: float = 10) -> None:
        """`stop(grace)` them all at once: SIGTERM each, then the same `grace` seconds for all of them."""
        for process in self.started:
            process.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.started:
            process._reap(deadline)

    def kill_all(self, timeout: float = 10) -> None:
        """SIGKILL each at once (tests that are done with them)."""
        for process in self.started:
            process.kill(timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all(self.grace)


@contextlib.contextmanager
def running(argv: list[str], *, grace: float = 10, **options: object) -> Iterator[Process]:
    """`Process.start(argv, **options)` for the duration of the block, then `stop(grace)`, whatever happens."""
    process = Process.start(argv, **options)  # type: ignore[arg-type]
    try:
        yield process
    finally:
        process.stop(grace)


async def stop_async(
    process: asyncio.subprocess.Process, grace: float, *, overdue: Callable[[], None] | None = None
) -> None:
    """`Process.stop` for a child started by asyncio in its own process group: SIGTERM the group, up to
    `grace` seconds for it to exit (`overdue()` when the leader outlives them), then SIGKILL what is left."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    if signal_group(process.pid, signal.SIGTERM) or process.returncode is None:
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            if overdue is not None:
                overdue()
        # Polling: nothing signals when the last process of a group exits.
        while signal_group(process.pid, 0) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if signal_group(process.pid, signal.SIGKILL):
            await process.wait()
