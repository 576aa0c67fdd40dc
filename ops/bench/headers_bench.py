"""Micro-benchmark: what the browser protections (`backend/platform/http/security_headers.py`) add to
each request, in process, with no server and no store.

    uv run python ops/bench/headers_bench.py [--requests 200000] [--rounds 5]

Calls the app's outermost layer (`RequestContext`) around a stub handler that answers like a cached
read (`GET /api/v1/applications` with a bearer: JSON, ETag, `Cache-Control: private, no-cache`), once
without the protections and once with them, alternated for `--rounds` rounds so that other load on
the machine hits both; also a static file request (no credentials: the public list, nothing removed).
Prints the median µs per request of each and the difference, to set beside a cached read's ~330 µs
(docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from backend.platform.http.request_context import RequestContext
from backend.platform.http.security_headers import SecurityHeaders
from backend.settings import AppSettings

_CACHED_READ_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", b"2048"),
    (b"etag", b'"abcdef0123456789"'),
    (b"cache-control", b"private, no-cache"),
]
_BODY = b"x" * 2048


async def _stub(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": list(_CACHED_READ_HEADERS)})
    await send({"type": "http.response.body", "body": _BODY})


def _scope(path: str, authorized: bool) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"accept", b"application/json"), (b"user-agent", b"bench")]
    if authorized:
        headers.append((b"authorization", b"Bearer " + b"t" * 200))
    return {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": headers}


async def _run(layer: RequestContext, scope: dict[str, Any], count: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    started = time.perf_counter()
    for _ in range(count):
        await layer(dict(scope), receive, send)
    return (time.perf_counter() - started) / count * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("career_copilot.http").setLevel(logging.WARNING)  # as in production: the line is skipped
    security = SecurityHeaders(AppSettings(public_url="https://copilot.example"))
    plain, protected = RequestContext(_stub), RequestContext(_stub, security=security)
    cases = {
        "cached read (bearer)": _scope("/api/v1/applications", authorized=True),
        "static file": _scope("/js/dashboard/src/main.js", authorized=False),
    }
    for name, scope in cases.items():
        await _run(protected, scope, 1000)  # warm up
        without, with_ = [], []
        for _ in range(args.rounds):
            without.append(await _run(plain, scope, args.requests))
            with_.append(await _run(protected, scope, args.requests))
        base, cost = statistics.median(without), statistics.median(with_)
        rounds = ", ".join(f"{w:.2f}/{p:.2f}" for w, p in zip(without, with_, strict=True))
        print(
            f"{name:22} without {base:6.2f} µs  with {cost:6.2f} µs  (+{cost - base:.2f} µs, "
            f"x{cost / base:.3f} of the outer layer; rounds without/with: {rounds})"
        )


if __name__ == "__main__":
    asyncio.run(main())
