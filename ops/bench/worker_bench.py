"""Tasks a second one worker process completes, by kind, through the real path (api → outbox →
stream → worker), on `make dev`'s layout with one api and one worker (ops/bench/_topology.py).

    uv run python ops/bench/worker_bench.py [--users 12] [--redis-cluster 0]   # or make bench-worker

Kinds, each timed from its first submission to its last completion:
- email: the verification email of each registration, counted as `.eml` files in the mail catcher
  (a lower bound: registrations are paced by the api's password hashing);
- parse: one PDF resume per user (tests/fixtures/resumes), parsed in the worker's sandboxed child;
- cover letter: one letter per user with the offline provider (AI_BUILTIN_TOKEN_DELAY_MS=0), every
  token streamed through Redis; done when every letter reads `completed`.
The worker's CPU over each phase gives CPU seconds per task, the steadier number on a busy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ops.bench._full import RESUME_PDF
from ops.bench._system import seed_user
from ops.bench._topology import DevStack, class_cpu


async def _until(check: Any, count: int, within: float = 300) -> list[float]:
    """Poll `check()` (-> completion times seen so far) until `count` completions; their times."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        done = await check()
        if len(done) >= count:
            return sorted(done)[:count]
        await asyncio.sleep(0.05)
    raise TimeoutError(f"only {len(await check())} of {count} tasks done within {within:.0f} s")


def _rate(started: float, times: list[float]) -> float:
    """Tasks a second from the first submission to the last completion (polling can bunch completions:
    first-to-last completion would overstate the rate)."""
    return len(times) / (times[-1] - started) if times and times[-1] > started else float("nan")


async def _phases(stack: DevStack, users: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    mail = Path(stack.env["DATA_DIR"]) / "mail"
    classes = stack.process_classes()
    worker = {"worker": classes["worker"]}
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        cpu0, started = class_cpu(worker)["worker"], time.time()
        tokens = list(await asyncio.gather(*(seed_user(http, f"worker-{os.getpid()}-{i}@example.com", 1)
                                               for i in range(users))))  # fmt: skip

        async def emails() -> list[float]:
            return [path.stat().st_mtime for path in mail.glob("*.eml")]

        times = await _until(emails, users)
        results["email"] = {
            "tasks": users,
            "per_s": _rate(started, times),
            "cpu_s": (class_cpu(worker)["worker"] - cpu0) / users,
        }

        headers = [{"Authorization": f"Bearer {token}"} for token, _ in tokens]
        cpu0, seen, started = class_cpu(worker)["worker"], {}, time.monotonic()
        for header in headers:
            files = {"file": ("resume.pdf", RESUME_PDF.read_bytes(), "application/pdf")}
            (
                await http.post("/api/v1/resumes", files=files, data={"title": "Bench"}, headers=header)
            ).raise_for_status()

        async def parsed() -> list[float]:
            for i, header in enumerate(headers):
                if i not in seen and "parsed" in (await http.get("/api/v1/resumes", headers=header)).text:
                    seen[i] = time.monotonic()
            return list(seen.values())

        times = await _until(parsed, users)
        results["parse"] = {
            "tasks": users,
            "per_s": _rate(started, times),
            "cpu_s": (class_cpu(worker)["worker"] - cpu0) / users,
        }

        cpu0, letters, finished, started = class_cpu(worker)["worker"], [], {}, time.monotonic()
        for header, (_, apps) in zip(headers, tokens, strict=True):
            made = await http.post("/api/v1/cover-letters", json={"application_id": apps[0]}, headers=header)
            made.raise_for_status()
            letters.append((header, made.json()["id"]))

        async def completed() -> list[float]:
            for header, letter in letters:
                if letter not in finished:
                    state = (await http.get(f"/api/v1/cover-letters/{letter}", headers=header)).json()["status"]
                    if state in ("completed", "failed"):
                        finished[letter] = time.monotonic()
            return list(finished.values())

        times = await _until(completed, users)
        cpu = (class_cpu(worker)["worker"] - cpu0) / users
        results["cover letter"] = {"tasks": users, "per_s": _rate(started, times), "cpu_s": cpu}
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--redis-cluster", type=int, default=0)
    args = parser.parse_args()
    stack = DevStack(
        redis_cluster=args.redis_cluster, api_processes=0, worker_processes=1, replicas=0,
        extra_env={"AI_BUILTIN_TOKEN_DELAY_MS": "0"},
    )  # fmt: skip
    try:
        stack.start()
        results = asyncio.run(_phases(stack, args.users))
    finally:
        stack.stop()
    redis_kind = f"a Redis Cluster of {args.redis_cluster} masters" if args.redis_cluster else "one Redis"
    print(f"\none worker process (taskiq's default children), one api, {redis_kind}; {os.cpu_count()} cores; "
          f"{args.users} tasks of each kind")  # fmt: skip
    print(f"{'kind':<14}{'tasks':>6}{'tasks/s':>10}{'worker CPU s/task':>19}{'tasks/s per worker core':>25}")
    for kind, r in results.items():
        per_core = 1 / r["cpu_s"] if r["cpu_s"] > 0 else float("nan")
        print(f"{kind:<14}{int(r['tasks']):>6}{r['per_s']:>10.1f}{r['cpu_s']:>19.4f}{per_core:>25.1f}")
    print("tasks/s: first submission to last completion (email: a lower bound, paced by the registrations);")
    print("per worker core: 1 / CPU seconds per task of the worker's processes (its sandboxed children included).")


if __name__ == "__main__":
    main()
