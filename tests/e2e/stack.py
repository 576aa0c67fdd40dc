"""The processes a browser test drives: an api (restartable at the same URL), a worker and a mailbox."""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Page, Response

from backend.devtools import launcher
from backend.devtools.mail.catcher import Catcher
from tests.plugins.processes import Api, Process, stop_api, wait_ready
from tests.support import SessionServices


@dataclass
class Stack:
    """The api (restartable at the same URL) and a worker, as `make dev` runs them."""

    services: SessionServices
    port: int
    env: dict[str, str]
    api: Api
    worker: Process
    log_dir: Path
    mailbox: Catcher

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_api(self, port: int | None = None) -> Api:
        """An api process on `port` (default: the stack's own)."""
        port = port or self.port
        log = self.log_dir / f"api-{port}-{len(list(self.log_dir.glob('api-*.log')))}.log"
        url = f"http://127.0.0.1:{port}"
        return Api.start(launcher.api_command(port), env=self.env, log=log, name="api", own_group=False, url=url)

    async def restart_api(self) -> None:
        stop_api(self.api)
        self.api = self.start_api()
        await wait_ready(self.api)

    async def emails_to(self, address: str, count: int, within: float = 60) -> list[str]:
        """The plain-text bodies of the emails the worker sent to `address` (oldest first), once there
        are `count` of them."""
        for _ in range(int(within * 10)):
            found = [m for m in self.mailbox.messages if address in str(m["To"])]
            if len(found) >= count:
                bodies = [m.get_body(preferencelist=("plain",)) for m in found]
                return [str(body.get_content()) for body in bodies if body is not None]
            await asyncio.sleep(0.1)
        raise AssertionError(f"{count} email(s) to {address} not received within {within} s")

    def link_in(self, text: str, path: str) -> str:
        """The one link to `PUBLIC_URL/<path>?token=…` in an email's text."""
        [link] = re.findall(rf"{re.escape(self.url)}/{path}\?token=[A-Za-z0-9_-]+", text)
        return str(link)

    def logs(self) -> str:
        apis = [f"--- {path.name}\n{path.read_text(errors='replace')}" for path in sorted(self.log_dir.iterdir())]
        return "\n".join([*apis, f"--- worker\n{self.worker.output()}"])


class AccessTokens:
    """The access token the dashboard holds, read from its sign-in and refresh answers: the dashboard
    keeps it in memory only (no storage a test could read), and the refresh token never reaches a script."""

    def __init__(self, page: Page) -> None:
        self.latest: str | None = None
        page.on("response", self._seen)

    async def _seen(self, response: Response) -> None:
        path = urllib.parse.urlsplit(response.url).path
        signed = path in {"/api/v1/auth/login", "/api/v1/auth/refresh"}
        if signed and response.request.method == "POST" and response.ok:
            self.latest = (await response.json())["access_token"]

    @property
    def headers(self) -> dict[str, str]:
        assert self.latest is not None, "the dashboard has not signed in"
        return {"authorization": f"Bearer {self.latest}"}
