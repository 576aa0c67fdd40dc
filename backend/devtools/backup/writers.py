"""The drill's load: the real api served over HTTP from a thread (uvicorn), and writer threads that
sign users up and create, edit and upload through it. Every write must succeed (`failures` counts
those that did not); `paused()` holds them all between two requests, so a snapshot sees a still
database."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections.abc import Iterator

import httpx
import pymupdf
import uvicorn

PASSWORD = "restore drill passphrase 1"  # noqa: S105 - throwaway local accounts


class ApiServer:
    """`backend.entrypoints.api:app_from_env` (the environment set before `start`) on 127.0.0.1:`port`."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config("backend.entrypoints.api:app_from_env", factory=True, host="127.0.0.1", port=port,
                                log_level="warning", access_log=False, ws="websockets-sansio")  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="drill-api", daemon=True)

    def start(self, timeout: float = 60) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health/ready", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"the api on {self.url} was not ready after {timeout:.0f} s")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def resume_pdf(name: str, edition: int = 0) -> bytes:
    """A one-page resume; each edition is another document (uploads are compared by their text)."""
    document = pymupdf.open()
    page = document.new_page()
    text = f"{name}\nSoftware Engineer\n\nExperience\nAcme Corp, Engineer, 2019 - {2024 + edition}\n- Built services\n"
    page.insert_text((72, 72), text, fontsize=11)
    return document.tobytes()


class Writers:
    def __init__(self, url: str, count: int) -> None:
        self.url = url
        self.count = count
        self.failures = 0
        self.writes = 0
        self._stop = threading.Event()
        self._go = threading.Event()
        self._go.set()
        self._idle = [threading.Event() for _ in range(count)]
        self._ids = itertools.count()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(count)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._go.set()
        for thread in self._threads:
            thread.join(60)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        self._go.clear()
        for idle in self._idle:
            idle.wait(60)
        try:
            yield
        finally:
            self._go.set()

    def _gate(self, index: int) -> bool:
        """Between two writes: wait while paused; False once stopped."""
        if not self._go.is_set():
            self._idle[index].set()
            self._go.wait()
            self._idle[index].clear()
        return not self._stop.is_set()

    def _check(self, response: httpx.Response, expected: int) -> httpx.Response:
        if response.status_code != expected:
            self.failures += 1
            raise RuntimeError(f"{response.request.method} {response.request.url.path}: {response.status_code}")
        self.writes += 1
        return response

    def _run(self, index: int) -> None:
        asyncio.run(self._loop(index))

    async def _loop(self, index: int) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            while self._gate(index):
                with contextlib.suppress(RuntimeError):
                    await self._user(client, index)

    async def _user(self, client: httpx.AsyncClient, index: int) -> None:
        email = f"drill{next(self._ids)}@example.com"
        body = {"email": email, "password": PASSWORD, "full_name": "Drill User"}
        self._check(await client.post("/api/v1/auth/register", json=body), 202)
        tokens = self._check(await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}), 200)
        headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        for round_ in range(5):
            if not self._gate(index):
                return
            application = {"company": f"Company {round_}", "role": "Engineer", "notes": "first"}
            created = self._check(await client.post("/api/v1/applications", json=application, headers=headers), 201)
            path = f"/api/v1/applications/{created.json()['id']}"
            self._check(await client.patch(path, json={"status": "applied", "notes": "edited"}, headers=headers), 200)
            if round_ % 2 == 0:
                files = {"file": (f"resume-{round_}.pdf", resume_pdf(email, round_), "application/pdf")}
                self._check(await client.post("/api/v1/resumes", files=files, headers=headers), 202)
