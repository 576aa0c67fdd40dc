"""Benchmark of `GET /api/v1/applications` (issue 5): a user with 200 applications, cache warm and
cold, beside a bare route of the same app (`/health/live`) in the same run, measured with wrk.

    uv run python ops/bench/applications_bench.py [--seconds 10] [--connections 50]

Starts its own embedded Postgres and Redis, migrates a fresh database, and runs one api process at a
time (cache on, then `CACHE_TTL_SECONDS=0`), so the numbers compare like with like on this machine.
Targets: warm list >= 40% of the bare route's requests/s, and p99 < 20 ms at 50 connections.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from backend.lib.embedded_services import EmbeddedPostgres, EmbeddedRedis, free_port  # noqa: E402

PASSWORD = "benchmark passphrase 1"  # noqa: S105 - a throwaway local account


def start_api(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "--factory", "backend.app:app_from_env", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--ws", "websockets-sansio", "--ws-per-message-deflate", "false"]
    command += ["--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)  # noqa: S603


def wait_ready(url: str) -> None:
    for _ in range(400):
        try:
            if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(url)


def wrk(url: str, token: str | None, seconds: int, connections: int) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    if "Non-2xx" in out:
        raise RuntimeError(f"non-2xx answers:\n{out}")

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50": ms("50%"), "p99": ms("99%")}


async def seed(url: str, count: int) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        email = f"bench-{os.getpid()}@example.com"
        await http.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD, "full_name": "Bench"})
        token = (await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        for index in range(count):
            body = {"company": f"Company {index}", "role": "Engineer", "tags": ["bench"], "notes": "x" * 200}
            response = await http.post("/api/v1/applications", json=body, headers=headers)
            response.raise_for_status()
        return str(token["access_token"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--applications", type=int, default=200)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    tmp = Path(tempfile.mkdtemp(prefix="cc-bench-apps-"))
    pg, redis = EmbeddedPostgres(tmp / "pg", free_port()), EmbeddedRedis(tmp / "redis", free_port(), persistent=False)
    pg.start()
    redis.start()
    try:
        pg.create_database("bench")
        env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": pg.url("bench"), "REDIS_URL": redis.url(),
               "LOG_LEVEL": "WARNING", "ACCESS_TOKEN_TTL_SECONDS": "3600"}  # fmt: skip
        subprocess.run(
            [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "career_copilot"],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        results: dict[str, dict[str, float]] = {}
        token = ""
        for mode, extra in (("warm", {}), ("cold", {"CACHE_TTL_SECONDS": "0"})):
            port = free_port()
            api = start_api({**env, **extra}, port)
            base = f"http://127.0.0.1:{port}"
            try:
                wait_ready(base)
                token = token or asyncio.run(seed(base, args.applications))
                wrk(f"{base}/api/v1/applications", token, 2, args.connections)  # warm-up (fills the cache)
                results[f"hello ({mode} run)"] = wrk(f"{base}/health/live", None, args.seconds, args.connections)
                results[f"list, cache {mode}"] = wrk(
                    f"{base}/api/v1/applications", token, args.seconds, args.connections
                )
            finally:
                api.send_signal(signal.SIGTERM)
                api.wait(20)
    finally:
        redis.stop()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nGET /api/v1/applications (page of 20, user with {args.applications}), {args.connections} connections, "
          f"{args.seconds}s each, wrk -t2, 1 api process, 2 cores")  # fmt: skip
    print(f"{'case':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, r in results.items():
        print(f"{name:<22}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}")
    warm_ratio = results["list, cache warm"]["rps"] / results["hello (warm run)"]["rps"]
    cold_ratio = results["list, cache cold"]["rps"] / results["hello (cold run)"]["rps"]
    print(f"\nwarm list / hello = {warm_ratio:.0%} (target >= 40%)   cold list / hello = {cold_ratio:.0%}")
    print(f"warm list p99 = {results['list, cache warm']['p99']:.1f} ms (target < 20 ms)")


if __name__ == "__main__":
    main()
