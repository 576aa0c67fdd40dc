"""Line-delimited JSON commands between the benchmark's orchestrator and its child processes.

A child reads one JSON object per line on stdin (`{"cmd": name, ...}`), runs `handlers[name](**args)`
and writes one JSON line on stdout (`{"ok": true, "result": ...}` or `{"ok": false, "error": ...}`).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

Handler = Callable[..., Awaitable[Any]]
LINE_LIMIT = 256 * 1024 * 1024  # latency samples travel in one line


async def serve(handlers: dict[str, Handler]) -> None:
    """Answer commands until stdin closes or the `exit` command."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = os.fdopen(sys.stdout.fileno(), "wb", buffering=0, closefd=False)
    while line := await reader.readline():
        request = json.loads(line)
        name = request.pop("cmd")
        if name == "exit":
            break
        try:
            reply: dict[str, Any] = {"ok": True, "result": await handlers[name](**request)}
        except Exception as exc:
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
        data = json.dumps(reply).encode() + b"\n"
        view = memoryview(data)
        while view:  # a blocking write of one line; the orchestrator always reads it
            written = out.write(view)
            view = view[written or 0 :]


class Child:
    """A child process of the benchmark answering commands (`python realtime_bench.py --role …`)."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        self.proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            env=self.env,
            cwd=self.cwd,
            limit=LINE_LIMIT,
        )
        log.close()

    async def call(self, cmd: str, **args: Any) -> Any:
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        async with self._lock:
            self.proc.stdin.write(json.dumps({"cmd": cmd, **args}).encode() + b"\n")
            await self.proc.stdin.drain()
            line = await self.proc.stdout.readline()
        if not line:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.name} exited during {cmd!r}; its log ends with:\n{tail}")
        reply = json.loads(line)
        if not reply["ok"]:
            raise RuntimeError(f"{self.name} failed {cmd!r}: {reply['error']}\n{reply.get('trace', '')}")
        return reply["result"]

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(b'{"cmd": "exit"}\n')
            await self.proc.stdin.drain()
            self.proc.stdin.close()
            await asyncio.wait_for(self.proc.wait(), 10)
        except (TimeoutError, OSError, ConnectionError):
            self.proc.kill()
            await self.proc.wait()
