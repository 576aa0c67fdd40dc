"""Benchmark: real sign-ins while unauthenticated routes are flooded with password work.

    uv run python ops/bench/password_flood_bench.py [--seconds 10] [--rate 200] [--before REV]

Starts its own embedded Postgres and Redis and one api process (one pod's worth), registers a user,
then measures `POST /api/v1/auth/login` with the right password (2 clients in a closed loop: p50,
p99, sign-ins/s) in three phases of `--seconds` each:
- alone (the baseline of the same run);
- during a flood of `--rate` password-reset confirmations/s with made-up tokens and valid new
  passwords, all from one client address;
- the same flood spread over 65,536 addresses (X-Forwarded-For, trusted from loopback as behind a
  proxy): per-address limits do not help there, only checking the token before hashing does.
The flood is open-loop: requests are due on schedule whether or not answers came back (up to
1,000 connections; requests due beyond that wait in the flooder and count as unanswered).
It prints each phase's numbers and the ratio login p99 during the flood / login p99 alone.

`--before REV` runs the same phases first against the api of another revision (a temporary git
worktree at REV, e.g. the commit before the fix) on the same database, so the run shows before and
after side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from backend.devtools import launcher
from backend.devtools.embedded_services import free_port
from ops.bench._system import PASSWORD, ROOT, local_stack, wait_ready

CONFIRM = "/api/v1/auth/password-reset/confirm"
LOGIN = "/api/v1/auth/login"
EMAIL = "flood-bench@example.com"
LOGIN_TIMEOUT = 120  # seconds; a sign-in not answered by then counts as taking that long
MAX_IN_FLIGHT = 1000  # connections of the flood


@contextmanager
def source_tree(revision: str | None) -> Iterator[Path]:
    """The tree the api runs from: this one, or a temporary worktree at `revision`."""
    if revision is None:
        yield ROOT
        return
    where = Path(tempfile.mkdtemp(prefix="cc-bench-before-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(where), revision], cwd=ROOT, check=True)  # noqa: S603, S607
    try:
        yield where
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=ROOT, check=False)  # noqa: S603, S607


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def sign_ins(url: str, seconds: float, clients: int = 2) -> dict[str, float]:
    """Closed-loop sign-ins with the right password: latencies of the 200s, and the other answers."""
    latencies: list[float] = []
    other: Counter[int] = Counter()
    deadline = time.monotonic() + seconds

    async def lane() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=LOGIN_TIMEOUT) as http:
            while time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    answer = await http.post(LOGIN, json={"email": EMAIL, "password": PASSWORD})
                except httpx.TimeoutException:
                    latencies.append(1000 * LOGIN_TIMEOUT)  # counted at the timeout: a lower bound
                    other[0] += 1
                    continue
                if answer.status_code == 200:
                    latencies.append(1000 * (time.monotonic() - started))
                else:
                    other[answer.status_code] += 1

    await asyncio.gather(*(lane() for _ in range(clients)))
    return {
        "n": len(latencies) - other[0],
        "rps": (len(latencies) - other[0]) / seconds,
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "refused": sum(other.values()),
    }


async def _post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> str:
    """One request on a kept-alive HTTP/1.1 connection; the answer's status code."""
    writer.write(request)
    await writer.drain()
    status = (await reader.readline()).split(b" ", 2)[1].decode()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def flood(url: str, rate: int, stop: asyncio.Event, spread: bool, codes: Counter[str]) -> None:
    """`rate` bad confirmations per second until `stop`, open loop: a schedule fills a queue that up
    to MAX_IN_FLIGHT kept-alive connections drain (a raw HTTP/1.1 client: httpx's own cost at this
    rate would be the bottleneck on a 2-core machine)."""
    host, port = url.removeprefix("http://").split(":")
    queue: asyncio.Queue[int] = asyncio.Queue()

    def request(number: int) -> bytes:
        body = msgspec.json.encode({"token": f"made-up-token-{number}", "new_password": f"flood passphrase {number}"})
        forwarded = f"X-Forwarded-For: 10.{number // 256 % 256}.{number % 256}.7\r\n" if spread else ""
        head = (f"POST {CONFIRM} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                f"{forwarded}Content-Length: {len(body)}\r\n\r\n")  # fmt: skip
        return head.encode() + body

    async def connection() -> None:
        stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while True:
            number = await queue.get()
            try:
                stream = stream or await asyncio.open_connection(host, int(port))
                codes[await _post(*stream, request(number))] += 1
            except (OSError, asyncio.IncompleteReadError, IndexError) as error:
                codes[type(error).__name__] += 1
                stream = None

    workers = [asyncio.create_task(connection()) for _ in range(MAX_IN_FLIGHT)]
    number, started = 0, time.monotonic()
    while not stop.is_set():
        due = started + number / rate
        if (wait := due - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        queue.put_nowait(number)
        number += 1
    codes["sent"] += number
    codes["unanswered"] += queue.qsize()
    for worker in workers:
        worker.cancel()
    await asyncio.gather(*workers, return_exceptions=True)


async def phase(url: str, seconds: int, rate: int, mode: str) -> tuple[dict[str, float], Counter[str]]:
    codes: Counter[str] = Counter()
    if mode == "alone":
        return await sign_ins(url, seconds), codes
    stop = asyncio.Event()
    flooding = asyncio.create_task(flood(url, rate, stop, mode == "spread", codes))
    await asyncio.sleep(1)  # the flood is under way
    result = await sign_ins(url, seconds)
    stop.set()
    await flooding
    return result, codes


async def seed(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        body = {"email": EMAIL, "password": PASSWORD, "full_name": "Flood Bench"}
        answer = await http.post("/api/v1/auth/register", json=body)
        if answer.status_code not in (201, 202, 409):  # 201/409: revisions before sign-up answered 202
            raise SystemExit(f"sign-up failed: {answer.status_code} {answer.text}")
        (await http.post(LOGIN, json={"email": EMAIL, "password": PASSWORD})).raise_for_status()


def run(env: dict[str, str], tree: Path, args: argparse.Namespace) -> dict[str, tuple[dict[str, float], Counter[str]]]:
    port = free_port()
    command = launcher.api_command(port, log_level="warning", access_log=False)
    api = launcher.Process.start(
        command, env={**env, "PYTHONPATH": str(tree)}, cwd=tree, name="api", own_group=False,
        url=f"http://127.0.0.1:{port}",
    )  # fmt: skip
    results = {}
    try:
        wait_ready(api)
        asyncio.run(seed(api.url))
        asyncio.run(sign_ins(api.url, 2))  # warm-up
        for mode in ("alone", "one address", "spread"):
            results[mode] = asyncio.run(phase(api.url, args.seconds, args.rate, mode))
            drain(api.url)
    finally:
        api.stop(grace=20)
    return results


def drain(url: str, within: float = 300) -> None:
    """Until a sign-in answers within a second again: the api has worked off the flood's backlog
    (requests whose client went away are still served)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            httpx.post(f"{url}{LOGIN}", json={"email": EMAIL, "password": PASSWORD}, timeout=within)
        except httpx.TimeoutException:
            continue
        if time.monotonic() - started < 1:
            return
        time.sleep(1)


def report(title: str, results: dict[str, tuple[dict[str, float], Counter[str]]]) -> None:
    print(f"\n{title}")
    print(f"{'phase':<34}{'sign-ins':>9}{'/s':>7}{'p50 ms':>9}{'p99 ms':>9}{'not 200':>9}  flood answers")
    base = results["alone"][0]["p99"]
    for mode, label in (("alone", "login alone"), ("one address", "flood from one address"),
                        ("spread", "flood from 65,536 addresses")):  # fmt: skip
        r, codes = results[mode]
        answers = ", ".join(f"{code}: {count}" for code, count in sorted(codes.items()))
        print(
            f"{label:<34}{r['n']:>9.0f}{r['rps']:>7.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['refused']:>9.0f}  {answers}"
        )
    for mode in ("one address", "spread"):
        print(f"login p99 during the flood ({mode}) / login p99 alone: {results[mode][0]['p99'] / base:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=200, help="bad confirmations per second")
    parser.add_argument("--before", default=None, help="also measure the api of this git revision, first")
    args = parser.parse_args()
    runs = []
    with local_stack("cc-bench-flood-") as stack:
        if args.before:
            with source_tree(args.before) as tree:
                runs.append((f"api at {args.before} (before)", run(stack.env, tree, args)))
        runs.append(("api of this tree", run(stack.env, ROOT, args)))
    print(f"\nPOST {LOGIN} (right password, 2 clients in a closed loop) beside {args.rate} bad POST {CONFIRM}/s;"
          f" {args.seconds} s per phase, {os.cpu_count()} cores in all")  # fmt: skip
    for title, results in runs:
        report(title, results)


if __name__ == "__main__":
    main()
