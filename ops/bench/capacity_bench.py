"""How much of the seed's peak one 2-core machine carries: a dashboard-like mix of REST
requests against the whole system co-located on this machine.

    uv run python ops/bench/capacity_bench.py [--users 200] [--seconds 10]   # or make bench-capacity

The target: "the seed's peak is 1,740 requests/s for 1M daily users; the benchmark measures how much of
it one 2-core machine carries with all services co-located", with REST p99 < 200 ms. This starts its
own PostgreSQL and Redis, two api processes (`uvicorn --workers 2`) and a worker, registers `--users`
users with 30 applications each through the API, then drives wrk with `capacity_mix.lua` (60% the
applications list, 10% one application, 6% `/me`, 6% notifications, 3% stats, 3% a filtered and
sorted list, 7% PATCH an application, 5% POST one) at rising connection counts, and prints
requests/s, p50/p99, errors, and the share of 1,740 req/s carried within the p99 target. The bare
route (`/health/live`) is measured in the same run as the machine's ceiling.

    uv run python ops/bench/capacity_bench.py --replica           # the api and worker read from a replica
    uv run python ops/bench/capacity_bench.py --compare-replica   # primary only, then with the replica

With `--replica` the same rows run with `DATABASE_REPLICA_URLS` set to a real streaming replica of the
embedded primary (`pg_basebackup -R`, made after the users are seeded); `--compare-replica` runs them
first on the primary alone, then with the replica, on the same database in the same run. Each row then
also shows the share of routed reads the replica served (the api's `career_copilot_db_reads_total`
before and after, all api processes summed through prometheus_client's multiprocess mode, on in both
configurations) and the CPU per request of the primary's and the replica's PostgreSQL processes (from
/proc), and the comparison ends with the ratio of the primary's CPU per request with and without.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from backend.devtools import launcher
from backend.devtools.embedded_services import free_port
from ops.bench._system import (
    DATABASE,
    LocalServices,
    cpu_seconds,
    local_services,
    local_stack,
    machine_busy,
    process_tree,
    routed_reads,
    seed_user,
    server_cpu_seconds,
    start_api,
    start_worker,
    wait_ready,
    wait_replicas_ok,
    wrk,
)

SEED_PEAK = 1_740  # requests/s for 1M daily users
P99_TARGET_MS = 200.0
MIX = Path(__file__).with_name("capacity_mix.lua")
PRIMARY_ONLY, WITH_REPLICA = "primary only", "with replica"

Row = tuple[str, int, dict[str, float]]


async def seed(url: str, users: int, applications: int) -> list[dict[str, object]]:
    """Users (token and application ids), made through the API as people would, 8 at a time."""
    gate = asyncio.Semaphore(8)

    async def one(http: httpx.AsyncClient, index: int) -> dict[str, object]:
        async with gate:
            token, ids = await seed_user(http, f"capacity-{os.getpid()}-{index}@example.com", applications)
            return {"token": token, "apps": ids}

    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        return list(await asyncio.gather(*(one(http, index) for index in range(users))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--applications", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", default="16,64,128")
    parser.add_argument(
        "--topology", choices=("local", "full"), default="local",
        help="local: 2 uvicorn workers + 1 worker on one Redis; full: `make dev` with 2 apis behind nginx, "
        "2 workers, a read replica, websockets and cover letters streaming (see --redis-cluster)",
    )  # fmt: skip
    parser.add_argument("--redis-cluster", type=int, default=0, help="full: 0 one Redis, N a local cluster")
    parser.add_argument("--sockets", type=int, default=200, help="full: websockets held during every row")
    parser.add_argument("--letters", type=float, default=1.0, help="full: cover letters queued per second")
    replicas = parser.add_mutually_exclusive_group()
    replicas.add_argument("--replica", action="store_true", help="read from a streaming replica of the primary")
    replicas.add_argument(
        "--compare-replica", action="store_true", help="the same rows on the primary only, then with a replica"
    )
    args = parser.parse_args()
    if args.topology == "full":
        from ops.bench._full import run_full

        run_full(args, seed, _lua, MIX)
        return
    if args.replica or args.compare_replica:
        _with_replica(args, [PRIMARY_ONLY, WITH_REPLICA] if args.compare_replica else [WITH_REPLICA])
        return
    # At the end: SIGTERM to the api and the worker, SIGKILL what is left after 20 s.
    with local_services("cc-bench-capacity-") as (env, tmp), launcher.Processes(grace=20) as processes:
        api = processes.add(start_api(env, free_port(), processes=2))
        processes.add(start_worker(env))
        base = api.url
        wait_ready(api)
        users = asyncio.run(seed(base, args.users, args.applications))
        script = tmp / "mix.lua"
        script.write_text(f"users = {_lua(users)}\n" + MIX.read_text())
        wrk(f"{base}/api/v1/applications", 3, 32, script=script)  # warm-up: imports, pools, caches
        pids = [pid for process in processes.started for pid in process_tree(process.pid)]
        rows = _measure(base, pids, script, args)
    _report(rows, args)


def _with_replica(args: argparse.Namespace, configurations: list[str]) -> None:
    """The rows of each configuration on one seeded database: fresh api processes and worker each time,
    with `DATABASE_REPLICA_URLS` pointing at the replica for WITH_REPLICA."""
    results: list[tuple[str, list[Row]]] = []
    with local_stack("cc-bench-capacity-") as stack:
        with launcher.Processes(grace=20) as processes:
            api = processes.add(start_api(stack.env, free_port(), processes=2))
            processes.add(start_worker(stack.env))
            wait_ready(api)
            users = asyncio.run(seed(api.url, args.users, args.applications))
        script = stack.tmp / "mix.lua"
        script.write_text(f"users = {_lua(users)}\n" + MIX.read_text())
        for number, configuration in enumerate(configurations):
            # One registry per configuration, shared by its api processes: /metrics sums them.
            metrics = stack.tmp / f"metrics-{number}"
            metrics.mkdir()
            env = {**stack.env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
            if configuration == WITH_REPLICA:
                env["DATABASE_REPLICA_URLS"] = stack.start_replica().url(DATABASE)
            with launcher.Processes(grace=20) as processes:
                api = processes.add(start_api(env, free_port(), processes=2))
                processes.add(start_worker(env))
                wait_ready(api)
                if configuration == WITH_REPLICA:
                    wait_replicas_ok(api)
                wrk(f"{api.url}/api/v1/applications", 3, 32, script=script)  # warm-up: imports, pools, caches
                pids = [pid for process in processes.started for pid in process_tree(process.pid)]
                results.append((configuration, _measure(api.url, pids, script, args, stack)))
    for configuration, rows in results:
        _report(rows, args, configuration)
    if len(results) == 2:
        _compare(results[0][1], results[1][1])


def _measure(
    base: str, pids: list[int], script: Path, args: argparse.Namespace, stack: LocalServices | None = None
) -> list[Row]:
    """The bare route and the mix at each connection count; with `stack`, also the routed reads and the
    CPU of its PostgreSQL servers over each row."""
    rows: list[Row] = []
    for connections in (int(c) for c in args.connections.split(",")):
        for name, url, mix in (("bare route", f"{base}/health/live", None), ("dashboard mix", base, script)):
            reads0 = routed_reads(base) if stack else {}
            servers0 = _servers_cpu(stack) if stack else (0.0, 0.0)
            cpu0, busy0, t0 = cpu_seconds(pids), machine_busy(), time.monotonic()
            result = wrk(url, args.seconds, connections, script=mix)
            elapsed = time.monotonic() - t0
            result["ours"] = (cpu_seconds(pids) - cpu0) / elapsed
            result["machine"] = (machine_busy() - busy0) / elapsed
            if stack:
                primary, replica = (end - start for end, start in zip(_servers_cpu(stack), servers0, strict=True))
                reads = {target: count - reads0[target] for target, count in routed_reads(base).items()}
                routed = reads["primary"] + reads["replica"]
                result["to_replica"] = reads["replica"] / routed if routed else math.nan
                result["primary_ms"] = primary / max(result["requests"], 1) * 1000
                result["primary_cores"] = primary / elapsed
                result["replica_ms"] = replica / max(result["requests"], 1) * 1000 if stack.replica else math.nan
                result["replica_cores"] = replica / elapsed if stack.replica else math.nan
            rows.append((name, connections, result))
    return rows


def _servers_cpu(stack: LocalServices) -> tuple[float, float]:
    """CPU seconds so far of the primary's PostgreSQL processes and of the replica's (0 without one)."""
    replica = server_cpu_seconds(stack.replica) if stack.replica else 0.0
    return server_cpu_seconds(stack.postgres), replica


def _lua(users: list[dict[str, object]]) -> str:
    """The seeded users as a Lua table literal (tokens and ids are JSON-safe strings)."""
    entries = []
    for user in users:
        apps = ", ".join(json.dumps(app) for app in user["apps"])  # type: ignore[attr-defined]
        entries.append(f"{{token = {json.dumps(user['token'])}, apps = {{{apps}}}}}")
    return "{" + ",\n".join(entries) + "}"


def _report(rows: list[Row], args: argparse.Namespace, configuration: str | None = None) -> None:
    servers = "PostgreSQL" if configuration in (None, PRIMARY_ONLY) else "PostgreSQL + a streaming replica"
    title = f"{configuration}: " if configuration else ""
    print(f"\n{title}{args.users} users x {args.applications} applications; 2 api processes + 1 worker + {servers}"
          f" + Redis + wrk on {os.cpu_count()} cores; {args.seconds} s per row")  # fmt: skip
    extra = f"{'to replica':>11}{'pg ms/req':>10}{'pg cores':>9}{'rep ms/req':>11}{'rep cores':>10}"
    print(f"{'load':<15}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'ours':>7}{'machine':>9}"
          + (extra if configuration else ""))  # fmt: skip
    best = 0.0
    for name, connections, r in rows:
        errors = int(r["errors"])
        line = (f"{name:<15}{connections:>6}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}{errors:>8}"
                f"{r['ours']:>7.2f}{r['machine']:>9.2f}")  # fmt: skip
        if configuration:
            line += (f"{_share(r['to_replica']):>11}{r['primary_ms']:>10.3f}{r['primary_cores']:>9.2f}"
                     f"{_number(r['replica_ms'], '.3f'):>11}{_number(r['replica_cores'], '.2f'):>10}")  # fmt: skip
        print(line)
        if name == "dashboard mix" and r["p99"] < P99_TARGET_MS and errors == 0:
            best = max(best, r["rps"])
    print("\n'ours' and 'machine': cores used by the api processes and the worker, and by the whole machine.")
    if configuration:
        print("'to replica': share of the routed reads the replica served; 'pg' and 'rep': CPU of the primary's and")
        print("the replica's PostgreSQL processes, per request (ms) and in cores.")
    print(f"carried within p99 < {P99_TARGET_MS:.0f} ms and no errors: {best:,.0f} req/s = {best / SEED_PEAK:.0%} "
          f"of the seed's peak of {SEED_PEAK:,} req/s")  # fmt: skip


def _compare(without: list[Row], with_replica: list[Row]) -> None:
    """The dashboard mix's rows side by side: the primary's CPU per request with the replica / without."""
    print(f"\ndashboard mix, {PRIMARY_ONLY} -> {WITH_REPLICA}")
    print(f"{'conns':>6}{'req/s':>16}{'p99 ms':>16}{'to replica':>11}{'pg ms/req':>18}{'ratio':>7}{'rep ms/req':>11}")
    for (name, connections, a), (_, _, b) in zip(without, with_replica, strict=True):
        if name != "dashboard mix":
            continue
        print(f"{connections:>6}{a['rps']:>7.0f} -> {b['rps']:>5.0f}{a['p99']:>7.1f} -> {b['p99']:>5.1f}"
              f"{_share(b['to_replica']):>11}{a['primary_ms']:>8.3f} -> {b['primary_ms']:>6.3f}"
              f"{b['primary_ms'] / a['primary_ms']:>7.2f}{b['replica_ms']:>11.3f}")  # fmt: skip
    print("ratio: the primary PostgreSQL's CPU per request with the replica / without it.")


def _share(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1%}"


def _number(value: float, spec: str) -> str:
    return "-" if math.isnan(value) else format(value, spec)


if __name__ == "__main__":
    main()
