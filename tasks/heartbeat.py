"""Liveness of the worker and scheduler processes, for container health checks.

Each worker process's keeper loop (tasks.keeper, once a second) and the scheduler's loop touch a
file named for their role and pid under `<tmp>/career-copilot-heartbeats/`, also while Redis is
unreachable: a beat means "the event loop turns", not "Redis is up" (restarting a worker does not
bring Redis back). A loop blocked or wedged stops beating.

`python -m tasks.heartbeat worker|scheduler [--max-age SECONDS]` exits 0 when every live process of
that role beat within the last SECONDS (default 60) and at least one exists, else 1 with one line
saying why. It is the health check of the compose services and the liveness probe of the pods: it
reads the container's own /tmp, one role per container. Files of processes that are gone (a worker
child taskiq restarted) are removed by the check.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROLES = ("worker", "scheduler")
DEFAULT_MAX_AGE = 60.0


def directory() -> Path:
    return Path(tempfile.gettempdir()) / "career-copilot-heartbeats"


def beat(role: str) -> None:
    """Record that this process of `role` is alive (never raises: a health signal must not break work)."""
    path = directory() / f"{role}-{os.getpid()}"
    try:
        path.touch()
    except FileNotFoundError:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        except OSError:
            pass
    except OSError:
        pass


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
        pid = int(path.name.rpartition("-")[2]) if path.name.rpartition("-")[2].isdigit() else 0
        if pid <= 0 or not _alive(pid):
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
