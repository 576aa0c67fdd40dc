"""Liveness of the worker and scheduler processes, for container health checks.

Each worker process (started by the broker's worker startup, tasks.broker) and the scheduler run
`run(role)`, a small timer task of their own that touches a file named for the role and pid under
`<tmp>/career-copilot-heartbeats/` every INTERVAL seconds. It does no I/O but that file, so it beats
also while Redis is unreachable or hangs (a Redis command can block for its socket timeout times its
retries, over a minute): a beat means "the event loop turns", not "Redis is up" (restarting a
worker does not bring Redis back). A loop blocked or wedged stops beating.

The first beat of a process writes its start time (field 22 of /proc/<pid>/stat) into the file.
The files outlive a container restart (compose keeps the container's filesystem; a pod's /tmp
emptyDir survives container restarts), and the new container reuses small pids: a file whose
recorded start time is not the one of the live process with that pid is another process's, and
the check removes it. Where /proc is missing the check falls back to "the pid is alive".

`python -m tasks.heartbeat worker|scheduler [--max-age SECONDS]` exits 0 when every live process of
that role beat within the last SECONDS (default 60) and at least one exists, else 1 with one line
saying why. It is the health check of the compose services and the liveness probe of the pods: it
reads the container's own /tmp, one role per container. Files of processes that are gone (a worker
child taskiq restarted) are removed by the check.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROLES = ("worker", "scheduler")
DEFAULT_MAX_AGE = 60.0
INTERVAL = 2.0  # seconds between beats: far inside any sensible --max-age

_written: set[Path] = set()  # files this process has written its identity into


def directory() -> Path:
    return Path(tempfile.gettempdir()) / "career-copilot-heartbeats"


def beat(role: str) -> None:
    """Record that this process of `role` is alive (never raises: a health signal must not break work)."""
    path = directory() / f"{role}-{os.getpid()}"
    try:
        if path in _written:
            try:
                os.utime(path)
                return
            except FileNotFoundError:
                pass  # the directory was cleared: written again below
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_start_time(os.getpid()) or "")
        _written.add(path)
    except OSError:
        pass


async def run(role: str, interval: float = INTERVAL) -> None:
    """Beat every `interval` seconds until cancelled: the process's own liveness timer."""
    while True:
        beat(role)
        await asyncio.sleep(interval)


def _start_time(pid: int) -> str | None:
    """When `pid` started (clock ticks after boot, /proc/<pid>/stat field 22); None without /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the command name (field 2) may hold spaces and ")"
    return fields[19] if len(fields) > 19 else None


def _same_process(path: Path, pid: int) -> bool:
    """False when `path` records a start time and the live `pid` started at another one."""
    try:
        recorded = path.read_text().strip()
    except OSError:
        return True  # gone meanwhile or unreadable: judged by its pid and mtime alone
    if not recorded:
        return True  # written by a version without identity, or being written right now
    live = _start_time(pid)
    return live is None or live == recorded


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def problem(role: str, max_age: float) -> str | None:
    """None when every live `role` process beat within `max_age` seconds; else what is wrong."""
    now, beats = time.time(), []
    for path in directory().glob(f"{role}-*"):
        suffix = path.name.rpartition("-")[2]
        pid = int(suffix) if suffix.isdigit() else 0
        if pid <= 0 or not _alive(pid) or not _same_process(path, pid):
            path.unlink(missing_ok=True)
            continue
        try:
            beats.append((pid, now - path.stat().st_mtime))
        except FileNotFoundError:
            continue
    if not beats:
        return f"no {role} process has a heartbeat in {directory()}"
    stale = [f"pid {pid} last beat {age:.0f}s ago" for pid, age in sorted(beats) if age > max_age]
    return f"{role} not live: {', '.join(stale)} (limit {max_age:g}s)" if stale else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tasks.heartbeat", description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=ROLES)
    parser.add_argument("--max-age", type=float, default=DEFAULT_MAX_AGE, help="seconds (default 60)")
    args = parser.parse_args(argv)
    if (reason := problem(args.role, args.max_age)) is not None:
        print(reason, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
