"""`make rollout` under steady load: the real devserver with DEV_API_PROCESSES=2 behind its nginx and
DEV_WORKER_PROCESSES=2, real HTTP and websocket clients, every api and worker replaced one at a time.

Load through nginx for the whole rollout: writes with an Idempotency-Key (a connection error or a
502/503/504 is retried with the same key, as a client does) and reads; 500 websockets, each
reconnecting after a close with its last event id; resume uploads parsed by the workers; streaming
cover letters. Then: no request failed, no socket missed an event of its user's history, every
upload parsed exactly once (one `resume.parsed` each), every letter completed, nothing left in the
queue or dead-lettered. The numbers are printed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import itertools
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import redis.asyncio as aioredis
import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from backend.devtools import launcher
from backend.platform.realtime import channels
from backend.settings import Settings
from tests import ai_fixtures, support
from tests.plugins.resumes import GOOD_PDF
from tests.plugins.tasks import queue_spec

USERS = 50
SOCKETS_PER_USER = 10  # 500 sockets
WRITERS = 8
UPLOADS_EVERY = 2.5  # s
MIN_UPLOADS = 10
LETTERS_EVERY = 2  # a letter with every second upload: some are streaming when their worker is stopped
PASSWORD = "correct horse battery staple 42"
RETRIED = (502, 503, 504)


@dataclass
class Stats:
    requests: int = 0
    retries: int = 0
    failed: list[str] = field(default_factory=list)
    writes: int = 0
    reads: int = 0


@dataclass
class User:
    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """HTTP through the ingress, retried the way a client with idempotency keys does."""

    def __init__(self, base: str, stats: Stats) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=400))
        self.stats = stats

    async def call(self, method: str, path: str, *, key: str | None = None, **options: Any) -> httpx.Response:
        headers = dict(options.pop("headers", {}))
        if key is not None:
            headers["Idempotency-Key"] = key
        self.stats.requests += 1
        problem = ""
        for attempt in range(12):
            if attempt:
                self.stats.retries += 1
                await asyncio.sleep(min(0.1 * 2**attempt, 2))
            try:
                response = await self.http.request(method, path, headers=headers, **options)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}"
                continue
            if response.status_code in RETRIED:
                problem = f"{response.status_code}"
                continue
            if response.status_code >= 400:
                self.stats.failed.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
            return response
        self.stats.failed.append(f"{method} {path}: gave up after {problem}")
        raise AssertionError(f"{method} {path} failed: {problem}")


@dataclass
class Follower:
    """One websocket of a user: every event id it received, over every reconnection."""

    user: User
    received: list[str] = field(default_factory=list)
    closes: collections.Counter[int | None] = field(default_factory=collections.Counter)
    resets: int = 0
    connect_errors: int = 0
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, api: Api, ws_url: str, stop: asyncio.Event) -> None:
        last: str | None = None
        while not stop.is_set():
            try:
                ticket = (await api.call("POST", "/api/v1/realtime/tickets", headers=self.user.headers)).json()
            except AssertionError:
                continue
            url = f"{ws_url}?ticket={ticket['ticket']}" + (f"&last_event_id={last}" if last else "")
            try:
                async with websockets.connect(url, open_timeout=15, ping_interval=None) as ws:
                    await ws.send(json.dumps({"type": "ping"}))
                    stopping = asyncio.ensure_future(stop.wait())
                    try:
                        while True:
                            receiving = asyncio.ensure_future(ws.recv())
                            await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
                            if not receiving.done():
                                receiving.cancel()
                                return
                            frame = json.loads(receiving.result())
                            kind = frame.get("type")
                            if kind == "pong":
                                self.connected.set()
                            elif kind == "sync.reset":
                                self.resets += 1
                            elif "id" in frame:
                                self.received.append(frame["id"])
                                last = frame["id"]
                    finally:
                        stopping.cancel()
            except ConnectionClosed as exc:
                self.closes[exc.rcvd.code if exc.rcvd else None] += 1
            except (OSError, InvalidHandshake, TimeoutError):
                self.connect_errors += 1
            await asyncio.sleep(random.uniform(0.05, 0.5))  # reconnect backoff


async def _history_ids(redis: aioredis.Redis, user_id: str) -> list[str]:
    entries = cast(list[tuple[bytes, Any]], await redis.xrange(channels.history_key(uuid.UUID(user_id))))
    return [entry_id.decode() for entry_id, _ in entries]


async def _events(redis: aioredis.Redis, user_id: str) -> list[dict[str, Any]]:
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], await redis.xrange(channels.history_key(uuid.UUID(user_id))))
    return [json.loads(fields[b"e"]) for _, fields in entries]


async def _user(api: Api, index: int) -> User:
    email = f"rollout-{index}-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": PASSWORD, "full_name": "Ada Lovelace"}
    await api.call("POST", "/api/v1/auth/register", key=uuid.uuid4().hex, json=body)  # 202, no id
    tokens = (await api.call("POST", "/api/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
    me = (await api.call("GET", "/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})).json()
    return User(me["id"], tokens["access_token"])


async def _at_least(items: list[Any], count: int) -> bool:
    return len(items) >= count


def _distinct(pdf: bytes) -> bytes:
    """The resume with one more line of text, different for every call."""
    import pymupdf

    document = pymupdf.open(stream=pdf, filetype="pdf")
    document[0].insert_text((72, 20), f"ref {uuid.uuid4().hex}", fontsize=6)
    data: bytes = document.tobytes()
    return data


async def _upload(api: Api, user: User, pdf: bytes) -> str:
    pdf = _distinct(pdf)  # uploads are compared by their text: the same document twice is a 409
    files = {"file": ("cv.pdf", pdf, "application/pdf")}
    response = await api.call("POST", "/api/v1/resumes", key=uuid.uuid4().hex, files=files, headers=user.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def _settled(api: Api, user: User, resume_id: str) -> str:
    response = await api.call("GET", f"/api/v1/resumes/{resume_id}", headers=user.headers)
    return str(response.json()["latest_version"]["status"])


async def _writer(api: Api, users: list[User], stop: asyncio.Event, stats: Stats) -> None:
    for n in itertools.count():
        if stop.is_set():
            return
        user = random.choice(users)
        body = {"company": f"Company {n}", "role": "Engineer"}
        with contextlib.suppress(AssertionError):
            response = await api.call(
                "POST", "/api/v1/applications", key=uuid.uuid4().hex, json=body, headers=user.headers
            )
            assert response.status_code == 201, response.text
            stats.writes += 1
            await api.call("GET", "/api/v1/applications?limit=5", headers=user.headers)
            stats.reads += 1
        await asyncio.sleep(0.05)


async def test_a_rollout_under_load_fails_no_request_misses_no_event_and_runs_every_task_once(
    devserver: Any, redis: aioredis.Redis, settings: Settings
) -> None:
    supervisor, base, env = devserver
    stats = Stats()
    api = Api(base, stats)
    ws_url = base.replace("http://", "ws://") + "/api/v1/realtime"
    pdf = GOOD_PDF.read_bytes()
    try:
        users = [await _user(api, index) for index in range(USERS)]
        # The letters' writer needs a parsed resume of its user.
        writer = users[0]
        first = await _upload(api, writer, pdf)
        await support.eventually(lambda: _is(api, writer, first, "parsed"), 120, "the first resume to be parsed")

        stop_sockets, stop_load = asyncio.Event(), asyncio.Event()
        followers = [Follower(user) for user in users for _ in range(SOCKETS_PER_USER)]
        following = [asyncio.create_task(f.run(api, ws_url, stop_sockets)) for f in followers]
        await asyncio.wait_for(asyncio.gather(*(f.connected.wait() for f in followers)), 120)
        baseline = {user.id: (await _history_ids(redis, user.id) or ["0-0"])[-1] for user in users}

        writers = [asyncio.create_task(_writer(api, users, stop_load, stats)) for _ in range(WRITERS)]
        uploads: list[tuple[User, str]] = []
        letters: list[tuple[User, str]] = []

        async def upload_steadily() -> None:
            for n in itertools.count():
                if stop_load.is_set():
                    return
                user = users[n % len(users)]
                uploads.append((user, await _upload(api, user, pdf)))
                if n % LETTERS_EVERY == 0:
                    body = {
                        "company": "Northwind Cloud",
                        "role": "Data Engineer",
                        "job_description": ai_fixtures.DATA_JOB,
                    }
                    response = await api.call(
                        "POST", "/api/v1/cover-letters", key=uuid.uuid4().hex, json=body, headers=writer.headers
                    )
                    assert response.status_code == 202, response.text
                    letters.append((writer, str(response.json()["id"])))
                await asyncio.sleep(UPLOADS_EVERY)

        uploading = asyncio.create_task(upload_steadily())
        await asyncio.sleep(3)  # load running before the first step
        rollout = launcher.Process.start(
            launcher.module_command("backend.devtools.devserver.rollout"),
            env=env,
            log=supervisor.log.parent / "rollout.log",
        )
        began = time.monotonic()
        code = await asyncio.to_thread(rollout.popen.wait, 600)
        took = time.monotonic() - began
        print(rollout.output())
        assert code == 0, rollout.output()
        await asyncio.sleep(3)  # load on the new processes too
        # at least MIN_UPLOADS in all (each upload is inspected before its answer: fewer on a busy machine)
        await support.eventually(lambda: _at_least(uploads, MIN_UPLOADS), 120, f"{MIN_UPLOADS} uploads")
        stop_load.set()
        await asyncio.gather(*writers, uploading)

        for user, resume_id in uploads:
            await support.eventually(functools.partial(_is, api, user, resume_id, "parsed"), 180, f"resume {resume_id}")
        for user, letter_id in letters:
            await support.eventually(functools.partial(_letter_done, api, user, letter_id), 180, f"letter {letter_id}")
        await asyncio.sleep(3)  # the last events reach every socket
        stop_sockets.set()
        await asyncio.gather(*following)

        missed, expected_total, received_total = 0, 0, 0
        for follower in followers:
            expected = [i for i in await _history_ids(redis, follower.user.id) if _after(i, baseline[follower.user.id])]
            got = set(follower.received)
            expected_total += len(expected)
            received_total += len(got & set(expected))
            missed += len(set(expected) - got)
        closes: collections.Counter[int | None] = collections.Counter()
        for follower in followers:
            closes.update(follower.closes)
        parsed_events: collections.Counter[str] = collections.Counter()
        for user in users:
            for event in await _events(redis, user.id):
                if event["type"] == "resume.parsed":
                    parsed_events[event["data"]["resume_id"]] += 1
        uploaded = [resume_id for _, resume_id in uploads]
        doubled = [r for r in uploaded if parsed_events[r] > 1]
        lost = [r for r in uploaded if parsed_events[r] == 0]
        queue, group = queue_spec(settings).stream, settings.worker.consumer_group
        pending = int((await redis.xpending(queue, group))["pending"])
        dead = int(await redis.xlen(f"{queue}:dead"))
        handed_back = supervisor.output().count("handed back")

        print(
            f"\nrollout: {took:.1f}s; http: {stats.requests} requests ({stats.writes} writes, {stats.reads} reads), "
            f"{stats.retries} retried, {len(stats.failed)} failed\n"
            f"websockets: {len(followers)} sockets, closes {dict(closes)}, {sum(f.connect_errors for f in followers)} "
            f"connect errors, {sum(f.resets for f in followers)} sync.reset; events: {expected_total} expected, "
            f"{received_total} received, {missed} missed\n"
            f"tasks: {len(uploaded)} uploads, {len(uploaded) - len(lost)} parsed, {len(doubled)} doubled, {len(lost)} "
            f"lost; {len(letters)} letters completed; {handed_back} worker stops handed messages back; queue pending "
            f"{pending}, dead letters {dead}"
        )
        assert stats.failed == []
        assert missed == 0
        assert sum(f.resets for f in followers) == 0
        assert closes[1012] >= 1  # the sockets did move during the rollout
        assert doubled == [] and lost == []
        assert len(uploaded) >= MIN_UPLOADS and len(letters) >= 5
        assert dead == 0
    finally:
        await api.http.aclose()


async def _is(api: Api, user: User, resume_id: str, status: str) -> bool:
    return await _settled(api, user, resume_id) == status


async def _letter_done(api: Api, user: User, letter_id: str) -> bool:
    response = await api.call("GET", f"/api/v1/cover-letters/{letter_id}", headers=user.headers)
    status = response.json()["status"]
    assert status in ("queued", "streaming", "completed"), response.text
    return bool(status == "completed")


def _after(event_id: str, baseline: str) -> bool:
    ms, _, seq = event_id.partition("-")
    base_ms, _, base_seq = baseline.partition("-")
    return (int(ms), int(seq or 0)) > (int(base_ms), int(base_seq or 0))
