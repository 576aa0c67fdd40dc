"""The user's whole journey through the public API only (HTTP and the websocket, nothing read
around them), so it runs the same against test processes and a `make dev` stack on any topology:
register → sign in → socket → upload with progress → applications with live changes → analysis →
streamed cover letter → replay after a reconnect → erase.

`journey(api_url)` returns what it saw; it asserts each step as it goes.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests import factories
from tests.support import FIXTURES

RESUME_PDF = FIXTURES / "resumes" / "resume-matcher-single-column.pdf"
JOB = (FIXTURES / "jobs" / "resume-matcher-frontend-eng.txt").read_text()


@dataclass
class Seen:
    """What the journey observed: event types in order and the timings of its long steps."""

    events: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


class Listener:
    """The user's socket, collecting every event; `resume()` reconnects with the last event id."""

    def __init__(self, client: httpx.AsyncClient, api_url: str, headers: dict[str, str], seen: Seen) -> None:
        self.client, self.api_url, self.headers, self.seen = client, api_url, headers, seen
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.close_code: int | None = None

    async def open(self, last_event_id: str | None = None) -> None:
        ticket = await self.client.post("/api/v1/realtime/tickets", headers=self.headers)
        assert ticket.status_code in (200, 201), ticket.text
        url = self.api_url.replace("http://", "ws://", 1) + f"/api/v1/realtime?ticket={ticket.json()['ticket']}"
        if last_event_id:
            url += f"&last_event_id={last_event_id}"
        self.ws = await websockets.connect(url, open_timeout=15)
        await self.ws.send(json.dumps({"type": "ping"}))
        self.reader = asyncio.create_task(self._read(self.ws))
        await self.until(lambda: self._pongs > 0, 15, "the socket's first pong")

    _pongs = 0

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if frame.get("type") == "pong":
                    self._pongs += 1
                elif frame.get("type") != "ping":
                    self.seen.events.append(frame)
        except ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd else None
        else:
            self.close_code = ws.close_code

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader
        self._pongs = 0

    async def until(self, check: Any, within: float, what: str) -> None:
        deadline = time.monotonic() + within
        while not check():
            assert time.monotonic() < deadline, f"timed out after {within}s waiting for {what}: {self.seen.events[-5:]}"
            await asyncio.sleep(0.05)

    def of(self, kind: str, **data: Any) -> list[dict[str, Any]]:
        return [
            e
            for e in self.seen.events
            if e.get("type") == kind and all(e.get("data", {}).get(k) == v for k, v in data.items())
        ]


async def journey(api_url: str, within: float = 120) -> Seen:
    """Walk the whole journey against the api at `api_url` (workers must be running)."""
    seen = Seen()
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
        account = await factories.account(client, factories.unique_email("journey"))
        listener = Listener(client, api_url, account.headers, seen)
        await listener.open()

        started = time.monotonic()
        files = {"file": ("resume.pdf", RESUME_PDF.read_bytes(), "application/pdf")}
        uploaded = await client.post("/api/v1/resumes", files=files, headers=account.headers)
        assert uploaded.status_code in (201, 202), uploaded.text
        await listener.until(lambda: listener.of("resume.parsed"), within, "resume.parsed")
        seen.timings["upload_to_parsed_s"] = time.monotonic() - started
        assert listener.of("resume.parse.progress"), "no progress event before the parsed one"

        created = await client.post(
            "/api/v1/applications",
            json={"company": "Northwind", "role": "Frontend Engineer", "job_description": JOB},
            headers={**account.headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert created.status_code == 201, created.text
        app_id = created.json()["id"]
        moved = await client.patch(
            f"/api/v1/applications/{app_id}", json={"status": "applied"}, headers=account.headers
        )
        assert moved.status_code == 200, moved.text
        await listener.until(lambda: len(listener.of("application.changed")) >= 2, 30, "two application.changed")

        analysis = await client.post("/api/v1/analyses", json={"application_id": app_id}, headers=account.headers)
        assert analysis.status_code in (201, 202), analysis.text
        await listener.until(lambda: listener.of("analysis.completed"), within, "analysis.completed")

        letter = await client.post(
            "/api/v1/cover-letters",
            json={"company": "Northwind", "role": "Frontend Engineer", "job_description": JOB},
            headers=account.headers,
        )
        assert letter.status_code == 202, letter.text
        letter_id = letter.json()["id"]
        await listener.until(lambda: listener.of("cover_letter.delta", cover_letter_id=letter_id), within, "a delta")
        # cut the socket mid-letter, come back with the last id seen: the rest is replayed, nothing twice
        await listener.close()
        last = seen.events[-1]["id"]
        await listener.open(last_event_id=last)
        await listener.until(lambda: listener.of("cover_letter.completed", cover_letter_id=letter_id), within, "done")
        ids = [e["id"] for e in seen.events]
        assert len(ids) == len(set(ids)), "an event arrived twice"
        deltas = [e["data"] for e in listener.of("cover_letter.delta", cover_letter_id=letter_id)]
        assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1)), "a delta is missing after replay"
        stored = (await client.get(f"/api/v1/cover-letters/{letter_id}", headers=account.headers)).json()
        assert stored["content"] == "".join(d["text"] for d in deltas)

        erased = await client.request(
            "DELETE", "/api/v1/me", json={"password": account.password}, headers=account.headers
        )
        assert erased.status_code in (202, 204), erased.text
        await listener.until(lambda: listener.close_code is not None, 30, "the socket closed by the erasure")
        assert listener.close_code == 4401, listener.close_code
        gone = await client.get("/api/v1/me", headers=account.headers)
        assert gone.status_code == 401, gone.text
    return seen
