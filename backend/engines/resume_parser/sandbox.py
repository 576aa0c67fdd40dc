"""`parse_isolated`: `parse_pdf` in a child process with CPU, memory and wall-clock limits.

A hostile PDF (decompression bomb, deep nesting, thousands of pages, a MuPDF bug) must not take the
worker down. The parse runs in a fresh interpreter (`subprocess`, not `fork`: the worker is
threaded and async, and a fresh process shares no state with it) that:

- sets RLIMIT_CPU (SIGXCPU at `cpu_seconds`, SIGKILL 2 s later), RLIMIT_AS (`memory_mb` for the whole
  address space: the interpreter and pymupdf 1.x take ~90 MB of it, ~185 MB while they first compile
  their bytecode), no core files, no file writes, few descriptors — before it imports anything;
- gets the PDF on stdin and a minimal environment (no secrets from the worker's environment);
- reports progress and the result as JSON lines on stdout (at most 32 MB are read).

The parent kills it at `wall_seconds` (a child blocked without burning CPU still ends), and maps every
way it can end to a `ResumeParseError`: `timeout` (wall clock or CPU), `too_complex` (out of memory,
killed by a signal, too much output), or the child's own code (`no_text`, `encrypted`, ...).

The async variant uses asyncio's subprocess support, so waiting never blocks the event loop; if the
awaiting task is cancelled, the child is killed. `inspect_isolated_async` runs the upload checks
(`inspect_pdf` with the content fingerprint) in the same kind of child, under the same limits: the
api never opens an untrusted PDF in its own process.

Cost: ~0.2 s per child start (interpreter + pymupdf import) on the build machine, against ~16 ms for
parsing a 2-page resume (docs/parser.md).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any

from backend.engines.resume_parser.errors import REASONS, ResumeParseError
from backend.engines.resume_parser.models import STAGES, ParseResult, PdfInfo, ProgressCallback

AsyncProgressCallback = Callable[[str, int], Awaitable[None] | None]

_ROOT = str(Path(__file__).resolve().parents[3])  # the directory holding the `backend` package
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, sys.argv[1]); from backend.engines.resume_parser._child import main; main()"
)
_MAX_OUTPUT = 32 * 1024 * 1024
_STDERR_TAIL = 8192
_STAGE_NAMES = frozenset(name for name, _ in STAGES)
_MIN_MEMORY_MB = 256


def _command(max_pages: int, cpu_seconds: int, memory_mb: int, mode: str = "parse") -> list[str]:
    if memory_mb < _MIN_MEMORY_MB:
        raise ValueError(f"memory_mb must be at least {_MIN_MEMORY_MB}: the interpreter and pymupdf need up to ~185 MB")
    if cpu_seconds < 1 or max_pages < 1:
        raise ValueError("cpu_seconds and max_pages must be positive")
    return [sys.executable, "-I", "-c", _BOOTSTRAP, _ROOT, str(cpu_seconds), str(memory_mb), str(max_pages), mode]


def _environment() -> dict[str, str]:
    """Only what an interpreter needs: the worker's secrets stay out of the sandbox."""
    env = {"PATH": os.environ.get("PATH", os.defpath), "LC_ALL": "C.UTF-8"}
    for name in ("SYSTEMROOT", "TMPDIR"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


class _Channel:
    """Parses the child's stdout lines; remembers the outcome and queues progress for the caller."""

    def __init__(self, cpu_seconds: int, wall_seconds: float) -> None:
        self.cpu_seconds = cpu_seconds
        self.wall_seconds = wall_seconds
        self.buffer = b""
        self.size = 0
        self.result: dict[str, Any] | None = None
        self.error: tuple[str, str | None] | None = None
        self.stderr_tail = b""

    def feed(self, chunk: bytes) -> list[tuple[str, int]]:
        self.size += len(chunk)
        if self.size > _MAX_OUTPUT:
            raise ResumeParseError("too_complex")
        self.buffer += chunk
        progress: list[tuple[str, int]] = []
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            if line.strip():
                self._message(line, progress)
        return progress

    def _message(self, line: bytes, progress: list[tuple[str, int]]) -> None:
        try:
            message = json.loads(line)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        if "progress" in message and isinstance(message["progress"], list):
            stage, percent = [*message["progress"], None, None][:2]
            if stage == "done":
                return  # reported once the result itself has arrived
            if stage in _STAGE_NAMES and isinstance(percent, int) and 0 <= percent <= 100:
                progress.append((stage, percent))
        elif "result" in message and isinstance(message["result"], dict):
            self.result = message["result"]
            progress.append(STAGES[-1])
        elif "error" in message and isinstance(message["error"], list) and message["error"]:
            code = message["error"][0]
            reason = message["error"][1] if len(message["error"]) > 1 else None
            if code not in REASONS:
                code, reason = "internal", None
            if not isinstance(reason, str) or len(reason) > 500 or not reason.isprintable():
                reason = None
            self.error = (code, reason)

    def stderr(self, chunk: bytes) -> None:
        self.stderr_tail = (self.stderr_tail + chunk)[-_STDERR_TAIL:]

    def timed_out(self) -> ResumeParseError:
        return ResumeParseError(
            "timeout", f"Reading the PDF took longer than {self.wall_seconds:g} seconds, so it was stopped."
        )

    def outcome(self, returncode: int) -> ParseResult:
        answer = self.answer(returncode)
        try:
            return ParseResult.from_dict(answer)
        except (KeyError, TypeError, ValueError) as exc:
            raise ResumeParseError("internal") from exc

    def answer(self, returncode: int) -> dict[str, Any]:
        """The child's result message; raises the `ResumeParseError` of any other ending."""
        if self.result is not None:
            return self.result
        if self.error is not None:
            raise ResumeParseError(self.error[0], self.error[1])  # type: ignore[arg-type]
        if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            raise ResumeParseError(
                "timeout",
                f"Reading the PDF needed more than {self.cpu_seconds} seconds of processing, so it was stopped.",
            )
        if returncode < 0 or b"MemoryError" in self.stderr_tail:
            raise ResumeParseError("too_complex")
        raise ResumeParseError("internal")


def _feed_stdin(stream: IO[bytes] | None, data: bytes) -> None:
    if stream is None:
        return
    try:
        stream.write(data)
        stream.close()
    except (BrokenPipeError, OSError):
        pass  # the child died or stopped reading: its exit status tells why


def parse_isolated(
    data: bytes,
    *,
    max_pages: int = 20,
    cpu_seconds: int = 20,
    memory_mb: int = 512,
    wall_seconds: float = 30,
    progress: ProgressCallback | None = None,
) -> ParseResult:
    """`parse_pdf` in a limited child process; blocks the calling thread until it ends (see module doc)."""
    channel = _Channel(cpu_seconds, wall_seconds)
    deadline = time.monotonic() + wall_seconds
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell, no user input in argv
        _command(max_pages, cpu_seconds, memory_mb),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(),
        close_fds=True,
        start_new_session=True,
    )
    writer = threading.Thread(target=_feed_stdin, args=(process.stdin, data), daemon=True)
    writer.start()
    selector = selectors.DefaultSelector()
    assert process.stdout is not None and process.stderr is not None
    selector.register(process.stdout, selectors.EVENT_READ, "out")
    selector.register(process.stderr, selectors.EVENT_READ, "err")
    try:
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise channel.timed_out()
            for key, _ in selector.select(remaining):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                elif key.data == "err":
                    channel.stderr(chunk)
                else:
                    for stage, percent in channel.feed(chunk):
                        if progress is not None:
                            progress(stage, percent)
        returncode = process.wait(timeout=max(deadline - time.monotonic(), 0.1))
    except subprocess.TimeoutExpired as exc:
        raise channel.timed_out() from exc
    finally:
        selector.close()
        if process.poll() is None:
            process.kill()
            process.wait()
        writer.join(timeout=1)
        for stream in (process.stdout, process.stderr):
            stream.close()
    return channel.outcome(returncode)


async def parse_isolated_async(
    data: bytes,
    *,
    max_pages: int = 20,
    cpu_seconds: int = 20,
    memory_mb: int = 512,
    wall_seconds: float = 30,
    progress: AsyncProgressCallback | None = None,
) -> ParseResult:
    """`parse_isolated` for the event loop: nothing blocks; `progress` may be sync or async; cancelling
    the awaiting task kills the child."""
    answer = await _run_async(data, "parse", max_pages, cpu_seconds, memory_mb, wall_seconds, progress)
    try:
        return ParseResult.from_dict(answer)
    except (KeyError, TypeError, ValueError) as exc:
        raise ResumeParseError("internal") from exc


async def inspect_isolated_async(
    data: bytes, *, max_pages: int = 20, cpu_seconds: int = 20, memory_mb: int = 512, wall_seconds: float = 30
) -> PdfInfo:
    """`inspect_pdf(data, max_pages=..., fingerprint=True)` in a limited child (the parser's limits):
    the upload checks of the api. Raises `ResumeParseError` as `inspect_pdf` does, plus `timeout` and
    `too_complex` for a file that exhausts the limits."""
    answer = await _run_async(data, "inspect", max_pages, cpu_seconds, memory_mb, wall_seconds, None)
    try:
        return PdfInfo.from_dict(answer)
    except (KeyError, TypeError, ValueError) as exc:
        raise ResumeParseError("internal") from exc


async def _run_async(
    data: bytes,
    mode: str,
    max_pages: int,
    cpu_seconds: int,
    memory_mb: int,
    wall_seconds: float,
    progress: AsyncProgressCallback | None,
) -> dict[str, Any]:
    channel = _Channel(cpu_seconds, wall_seconds)
    process = await asyncio.create_subprocess_exec(
        *_command(max_pages, cpu_seconds, memory_mb, mode),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_environment(),
        close_fds=True,
        start_new_session=True,
    )
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    stdin, stdout, stderr = process.stdin, process.stdout, process.stderr

    async def feed() -> None:
        try:
            stdin.write(data)
            await stdin.drain()
            stdin.close()
        except (BrokenPipeError, ConnectionResetError):
            pass

    async def pump() -> None:
        while chunk := await stdout.read(65536):
            for stage, percent in channel.feed(chunk):
                if progress is not None:
                    outcome = progress(stage, percent)
                    if inspect.isawaitable(outcome):
                        await outcome

    async def drain_stderr() -> None:
        while chunk := await stderr.read(65536):
            channel.stderr(chunk)

    try:
        async with asyncio.timeout(wall_seconds):
            await asyncio.gather(feed(), pump(), drain_stderr())
            returncode = await process.wait()
    except TimeoutError as exc:
        raise channel.timed_out() from exc
    finally:
        if process.returncode is None:
            process.kill()
            await asyncio.shield(process.wait())
    return channel.answer(returncode)
