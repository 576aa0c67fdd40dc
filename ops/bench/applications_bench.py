"""Benchmark of `GET /api/v1/applications`: a user with 200 applications, cache warm and
cold, beside a bare route of the same app (`/health/live`) in the same run, measured with wrk.

    uv run python ops/bench/applications_bench.py [--seconds 8] [--rounds 3] [--connections 50]

Starts its own embedded Postgres and Redis, migrates a fresh database, then measures
- one api process (one pod's worth) with the cache on: bare route and warm list alternated for
  `--rounds` rounds, so that a burst of other load on the machine hits both; then with
  `CACHE_TTL_SECONDS=0` (cold: every list from Postgres);
- two api processes (`uvicorn --workers 2`, both cores, as two pods would be) with the cache on.
Besides wrk's requests/s and latency it reads the CPU time the api processes used per request from
/proc (robust to other load), and the share of the machine the rest of it used ("other load").
Targets: warm list >= 40% of the bare route's requests/s, and p99 < 20 ms at 50 connections.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from backend.devtools import launcher
from backend.devtools.embedded_services import free_port
from ops.bench._system import (
    cpu_seconds,
    local_services,
    machine_busy,
    process_tree,
    seed_user,
    start_api,
    wait_ready,
    wrk,
)


def measure(api: launcher.Process, url: str, token: str | None, seconds: int, connections: int) -> dict[str, float]:
    """wrk's numbers, plus the api's CPU per request and what the rest of the machine used."""
    pids = process_tree(api.pid)
    cpu0, busy0, t0 = cpu_seconds(pids), machine_busy(), time.monotonic()
    result = wrk(url, seconds, connections, token=token)
    if result["errors"]:
        raise RuntimeError(f"{result['errors']:.0f} answers were errors: {url}")
    cpu, busy, elapsed = cpu_seconds(pids) - cpu0, machine_busy() - busy0, time.monotonic() - t0
    result["cpu_us"] = 1e6 * cpu / (result["rps"] * seconds)
    result["api_cores"] = cpu / elapsed
    result["rest_cores"] = (busy - cpu) / elapsed  # wrk, Redis, and anything else running here
    return result


async def seed(url: str, count: int) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        token, _ = await seed_user(http, f"bench-{os.getpid()}@example.com", count)
        return token


def run_config(
    env: dict[str, str],
    processes: int,
    token: str,
    args: argparse.Namespace,
) -> tuple[str, dict[str, list[dict[str, float]]]]:
    """Alternate bare route and list for `args.rounds` rounds on a fresh api of `processes`."""
    port = free_port()
    api = start_api(env, port, processes)
    base = api.url
    cases: dict[str, list[dict[str, float]]] = {"hello": [], "list": []}
    try:
        wait_ready(api)
        token = token or asyncio.run(seed(base, args.applications))
        wrk(f"{base}/api/v1/applications", 2, args.connections, token=token)  # warm-up (fills the cache)
        for _ in range(args.rounds):
            cases["hello"].append(measure(api, f"{base}/health/live", None, args.seconds, args.connections))
            cases["list"].append(measure(api, f"{base}/api/v1/applications", token, args.seconds, args.connections))
    finally:
        api.stop(grace=20)
    return token, cases


def report(title: str, cases: dict[str, list[dict[str, float]]], list_name: str) -> float:
    print(f"\n{title}")
    print(
        f"{'case':<18}{'round':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'api µs/req':>12}{'api cores':>11}{'other':>8}"
    )
    for name, label in (("hello", "bare route"), ("list", list_name)):
        for index, r in enumerate(cases[name], 1):
            print(f"{label:<18}{index:>6}{r['rps']:>9.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['cpu_us']:>12.0f}"
                  f"{r['api_cores']:>11.2f}{r['rest_cores']:>8.2f}")  # fmt: skip
    ratios = [lst["rps"] / hello["rps"] for hello, lst in zip(cases["hello"], cases["list"], strict=True)]
    cpu_ratio = statistics.median(r["cpu_us"] for r in cases["hello"]) / statistics.median(
        r["cpu_us"] for r in cases["list"]
    )
    print(f"{list_name} / bare route, req/s per round: {', '.join(f'{r:.0%}' for r in ratios)}; "
          f"median {statistics.median(ratios):.0%}; by api CPU per request: {cpu_ratio:.0%}")  # fmt: skip
    p99 = [r["p99"] for r in cases["list"]]
    print(f"{list_name} p99 per round: {', '.join(f'{v:.1f}' for v in p99)} ms; median {statistics.median(p99):.1f} ms")
    return statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--applications", type=int, default=200)
    args = parser.parse_args()
    with local_services("cc-bench-apps-") as (env, _):
        token, one = run_config(env, 1, "", args)
        _, two = run_config(env, 2, token, args)
        _, cold = run_config({**env, "CACHE_TTL_SECONDS": "0"}, 1, token, args)
    print(f"\nGET /api/v1/applications (page of 20, ~12 KB, user with {args.applications}) beside GET /health/live;"
          f" wrk -t2 -c{args.connections}, {args.seconds} s per case, {os.cpu_count()} cores in all")  # fmt: skip
    warm = report("1 api process, cache on", one, "list, cache warm")
    report("2 api processes (uvicorn --workers 2), cache on", two, "list, cache warm")
    report("1 api process, CACHE_TTL_SECONDS=0", cold, "list, cache cold")
    print(f"\ntargets: warm list >= 40% of the bare route (1 process: median {warm:.0%}); warm list p99 < 20 ms at "
          f"{args.connections} connections (above)")  # fmt: skip


if __name__ == "__main__":
    main()
