"""`capacity_bench.py --topology full`: the dashboard mix (wrk) against `make dev`'s production-like
layout (ops/bench/_topology.py), while `--sockets` websockets stay open and `--letters` cover letters
a second are queued and streamed to them. Per row: throughput and p50/p99 of the mix (wrk), p50/p99
per route class (a light probe of each class during the row), events delivered to the sockets, and
the resources: cores per process class, commands/s per Redis node, transactions/s per PostgreSQL
server; the limiting resource is the process class (or the machine) nearest to saturation.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ops.bench import _client
from ops.bench._system import machine_busy, wrk
from ops.bench._topology import DevStack, class_cpu, database_bytes, postgres_transactions, redis_commands

CLASSES = {  # route class -> (method, path template); {app}: one of the user's applications
    "list": ("GET", "/api/v1/applications"),
    "one": ("GET", "/api/v1/applications/{app}"),
    "me": ("GET", "/api/v1/me"),
    "notifications": ("GET", "/api/v1/notifications"),
    "stats": ("GET", "/api/v1/applications/stats"),
    "filtered": ("GET", "/api/v1/applications?status=wishlist&sort=company&limit=50"),
    "patch": ("PATCH", "/api/v1/applications/{app}"),
    "create": ("POST", "/api/v1/applications"),
    "ticket": ("POST", "/api/v1/realtime/tickets"),
    "cover letter": ("POST", "/api/v1/cover-letters"),
}
RESUME_PDF = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "resumes" / "resume-matcher-single-column.pdf"
LETTER_WRITERS = 5  # users with a parsed resume: cover letters need one
PROBE_RATE = 40.0  # probe requests a second, all classes in turn (small next to the mix)


def _body(kind: str, app: str) -> dict[str, Any] | None:
    return {
        "patch": {"notes": f"probe {random.random()}"},
        "create": {"company": "Initech", "role": "Engineer"},
        "cover letter": {"application_id": app, "job_description": "Build APIs. " * 20},
    }.get(kind)


async def _probe(
    base: str,
    users: list[dict[str, Any]],
    writers: list[dict[str, Any]],
    stop: asyncio.Event,
    out: dict[str, list[float]],
) -> None:
    """Each class in turn at PROBE_RATE/s as a random user; latency (ms) by class, a failed answer's status
    added to its class (e.g. `cover letter (409)`)."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        kinds = list(CLASSES)
        index = 0
        while not stop.is_set():
            kind = kinds[index % len(kinds)]
            index += 1
            user = random.choice(writers if kind == "cover letter" and writers else users)
            app = random.choice(user["apps"])
            method, path = CLASSES[kind]
            started = time.perf_counter()
            try:
                answer = await http.request(
                    method, path.format(app=app), json=_body(kind, app),
                    headers={"Authorization": f"Bearer {user['token']}"},
                )  # fmt: skip
                outcome = "" if answer.status_code < 300 else f" ({answer.status_code})"
            except httpx.HTTPError as exc:
                outcome = f" ({type(exc).__name__})"
            elapsed = (time.perf_counter() - started) * 1000
            out[kind + outcome].append(elapsed)
            await asyncio.sleep(max(0.0, 1 / PROBE_RATE - elapsed / 1000))


async def _letters(
    base: str, users: list[dict[str, Any]], rate: float, stop: asyncio.Event, out: collections.Counter[str]
) -> None:
    """`rate` cover letters a second for users who hold a socket (they stream to it as deltas)."""
    if rate <= 0:
        return
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while not stop.is_set():
            user = random.choice(users)
            body = _body("cover letter", random.choice(user["apps"]))
            try:
                answer = await http.post(
                    "/api/v1/cover-letters", json=body, headers={"Authorization": f"Bearer {user['token']}"}
                )
                out[str(answer.status_code)] += 1
            except httpx.HTTPError as exc:
                out[type(exc).__name__] += 1
            await asyncio.sleep(1 / rate)


async def _upload_resumes(base: str, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A parsed resume for each of `users` (uploaded, parsed by a worker); the users whose parse finished."""
    ready = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for user in users:
            headers = {"Authorization": f"Bearer {user['token']}"}
            files = {"file": ("resume.pdf", RESUME_PDF.read_bytes(), "application/pdf")}
            (
                await http.post("/api/v1/resumes", files=files, data={"title": "Bench"}, headers=headers)
            ).raise_for_status()
        deadline = time.monotonic() + 120
        pending = list(users)
        while pending and time.monotonic() < deadline:
            await asyncio.sleep(1)
            for user in list(pending):
                page = (await http.get("/api/v1/resumes", headers={"Authorization": f"Bearer {user['token']}"})).json()
                if "parsed" in str(page):
                    pending.remove(user)
                    ready.append(user)
    return ready


def _pct(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def _rows(
    stack: DevStack, users: list[dict[str, Any]], script: Path, args: argparse.Namespace
) -> list[dict[str, Any]]:
    port = int(stack.env["PORT"])
    holders = [users[i % len(users)] for i in range(args.sockets)]
    opened = await _client.open_sockets([[u["token"], port, port] for u in holders], deflate=False)
    writers = await _upload_resumes(stack.url, list({id(u): u for u in holders}.values())[:LETTER_WRITERS])
    opened["letter writers"] = len(writers)
    rows = []
    for connections in (int(c) for c in args.connections.split(",")):
        classes = stack.process_classes()
        stop, latencies, letters = asyncio.Event(), collections.defaultdict(list), collections.Counter()
        side = [asyncio.create_task(_probe(stack.url, users, writers, stop, latencies)),
                asyncio.create_task(_letters(stack.url, writers or users, args.letters, stop, letters))]  # fmt: skip
        events0 = _client.STATS.events
        cpu0 = await asyncio.to_thread(class_cpu, classes)
        redis0 = await asyncio.to_thread(redis_commands, stack.redis_ports())
        pg0 = await asyncio.to_thread(postgres_transactions, stack.postgres_ports())
        busy0, t0 = machine_busy(), time.monotonic()
        result = await asyncio.to_thread(wrk, stack.url, args.seconds, connections, script=script)
        elapsed = time.monotonic() - t0
        busy = (machine_busy() - busy0) / elapsed
        stop.set()
        await asyncio.gather(*side, return_exceptions=True)
        cpu1 = await asyncio.to_thread(class_cpu, classes)
        redis1 = await asyncio.to_thread(redis_commands, stack.redis_ports())
        pg1 = await asyncio.to_thread(postgres_transactions, stack.postgres_ports())
        rows.append({
            "connections": connections, "wrk": result, "machine": busy, "elapsed": elapsed,
            "cores": {k: (cpu1[k] - cpu0.get(k, 0.0)) / elapsed for k in cpu1},
            "redis": {p: (redis1[p] - redis0[p]) / elapsed for p in redis1},
            "postgres": {k: (pg1[k] - pg0[k]) / elapsed for k in pg1},
            "events": (_client.STATS.events - events0) / elapsed,
            "open": sum(1 for c in _client.CONNS if not c.closed.done()),
            "classes": {k: (_pct(v, 0.5), _pct(v, 0.99), len(v)) for k, v in sorted(latencies.items())},
            "letters": dict(letters),
        })  # fmt: skip
    await _client.close_all()
    rows.append({"opened": opened})
    return rows


def _limit(row: dict[str, Any]) -> str:
    """The resource nearest to saturation: the machine's cores, else the busiest process class."""
    cores = os.cpu_count() or 1
    busiest = max(row["cores"].items(), key=lambda item: item[1])
    if row["machine"] >= 0.9 * cores:
        return f"the machine's CPU ({row['machine']:.2f} of {cores} cores busy; most: {busiest[0]} {busiest[1]:.2f})"
    return f"{busiest[0]} ({busiest[1]:.2f} cores)"


def run_full(
    args: argparse.Namespace,
    seed: Callable[[str, int, int], Any],
    lua: Callable[[list[dict[str, object]]], str],
    mix: Path,
) -> None:
    stack = DevStack(redis_cluster=args.redis_cluster)
    try:
        stack.start()
        primary = stack.postgres_ports()["primary"]
        empty = database_bytes(primary)
        users = asyncio.run(seed(stack.url, args.users, args.applications))
        per_user = (database_bytes(primary) - empty) / max(args.users, 1)
        script = stack.tmp / "mix.lua"
        script.write_text(f"users = {lua(users)}\n" + mix.read_text())
        wrk(stack.url, 3, 32, script=script)  # warm-up: imports, pools, caches
        rows = asyncio.run(_rows(stack, users, script, args))
    except BaseException:
        if stack.log.exists():  # the servers' own account of the failure, before DATA_DIR goes
            lines = stack.log.read_text(errors="replace").splitlines()
            print("\n".join(["-- last lines of the devserver's output --", *lines[-60:]]), file=sys.stderr)
        raise
    finally:
        stack.stop()
    opened = rows.pop()["opened"]
    print(
        f"\nPostgreSQL bytes per seeded user ({args.applications} applications; tables and indexes): "
        f"{per_user:,.0f} (pg_database_size after seeding - before, / users)"
    )
    redis_kind = f"a Redis Cluster of {args.redis_cluster} masters + replicas" if args.redis_cluster else "one Redis"
    print(f"\nfull topology: 2 apis behind nginx, 2 workers, PostgreSQL + a streaming replica, {redis_kind}; "
          f"{args.users} users x {args.applications} applications; {os.cpu_count()} cores; "
          f"{args.seconds} s per row")  # fmt: skip
    print(
        f"websockets: {opened['opened']} opened of {args.sockets} ({opened['failures'] or 'no failures'}); "
        f"cover letters queued at {args.letters}/s by {opened['letter writers']} users with a parsed resume"
    )
    for row in rows:
        r = row["wrk"]
        print(f"\n== {row['connections']} connections: {r['rps']:,.0f} req/s of the mix, p50 {r['p50']:.1f} ms, "
              f"p99 {r['p99']:.1f} ms, errors {int(r['errors'])}")  # fmt: skip
        print(
            f"   sockets open {row['open']}, events delivered {row['events']:,.1f}/s; cover letters: {row['letters']}"
        )
        print("   route class          n   p50 ms   p99 ms   (probe at ~40 req/s during the row)")
        for kind, (p50, p99, n) in row["classes"].items():
            print(f"   {kind:<24}{n:>5}{p50:>9.1f}{p99:>9.1f}")
        cores = ", ".join(f"{k} {v:.2f}" for k, v in sorted(row["cores"].items(), key=lambda kv: -kv[1]))
        print(f"   cores: {cores}; machine {row['machine']:.2f}")
        print("   redis commands/s per node: " + ", ".join(f"{p}: {v:,.0f}" for p, v in row["redis"].items()))
        print("   postgres transactions/s: " + ", ".join(f"{k} {v:,.0f}" for k, v in row["postgres"].items()))
        per_request = {k: v / max(r["rps"], 1) * 1000 for k, v in row["cores"].items()}
        print(
            "   CPU ms per mix request: "
            + ", ".join(f"{k} {v:.3f}" for k, v in sorted(per_request.items(), key=lambda kv: -kv[1]))
        )
        print(f"   limiting: {_limit(row)}")
