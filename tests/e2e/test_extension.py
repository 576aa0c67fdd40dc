"""The browser extension (frontend_contract/extension) loaded unpacked in Debian's Chromium: set up once
with the api's address and a personal access token, then one click on its toolbar button on a job page
saves the job, and the popup shows the created application with a link to it.

The click is a real action click: DevTools' `Extensions.triggerAction` (what a user's click does, the
`activeTab` grant included), so the popup reads the page with the permission a user gives it and calls
the api from the extension's origin (CORS: `EXTENSION_ORIGINS`)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
import websockets
from playwright.async_api import Browser, Page, async_playwright, expect

from backend.devtools.embedded_services import free_port
from backend.settings import EXTENSION_ORIGIN
from tests import factories
from tests.e2e.conftest import CHROMIUM_ARGS
from tests.e2e.stack import Stack
from tests.support import ROOT

EXTENSION = ROOT / "frontend_contract" / "extension"
WITHIN = 20_000


def extension_id(manifest: dict[str, Any]) -> str:
    """The id Chromium derives from the manifest's public key: its SHA-256, 32 hex digits as a-p."""
    digest = hashlib.sha256(base64.b64decode(manifest["key"])).hexdigest()[:32]
    return "".join(chr(ord("a") + int(digit, 16)) for digit in digest)


class DevTools:
    """Chromium with the unpacked extension, driven over its DevTools port: Playwright for pages,
    raw DevTools calls for what only the browser target does (the action click) and for the popup."""

    def __init__(self, port: int, browser: Browser) -> None:
        self.port, self.browser = port, browser
        self._ids = itertools.count(1)

    async def targets(self, kind: str) -> list[dict[str, Any]]:
        session = await self.browser.new_browser_cdp_session()
        found = await session.send("Target.getTargets", {"filter": [{"type": kind}]})
        await session.detach()
        return list(found["targetInfos"])

    async def click_action(self, extension: str, page_url: str) -> None:
        """What a click on the extension's toolbar button does on the tab showing `page_url` (brought to
        the front first: a user clicks the button of the tab they are looking at)."""
        [page] = [page for page in self.browser.contexts[0].pages if page.url == page_url]
        await page.bring_to_front()
        [tab] = [t for t in await self.targets("tab") if t["url"] == page_url]
        session = await self.browser.new_browser_cdp_session()
        await session.send("Extensions.triggerAction", {"id": extension, "targetId": tab["targetId"]})
        await session.detach()

    async def popup(self, extension: str) -> Popup:
        url = f"chrome-extension://{extension}/popup.html"
        for _ in range(100):
            found = [t for t in await self.targets("page") if t["url"] == url]
            if found:
                socket = await websockets.connect(
                    f"ws://127.0.0.1:{self.port}/devtools/page/{found[0]['targetId']}", max_size=2**24
                )
                return Popup(socket, self._ids)
            await asyncio.sleep(0.1)
        raise AssertionError("the popup did not open")


class Popup:
    """The extension's popup page, over its DevTools socket."""

    def __init__(self, socket: Any, ids: Iterator[int]) -> None:
        self.socket, self.ids = socket, ids

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        call = next(self.ids)
        await self.socket.send(json.dumps({"id": call, "method": method, "params": params or {}}))
        while True:
            answer = json.loads(await self.socket.recv())
            if answer.get("id") == call:
                assert "error" not in answer, answer
                return dict(answer["result"])

    async def value(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result["result"].get("value")

    async def wait_for(self, expression: str, within: float = 20) -> Any:
        for _ in range(int(within * 10)):
            value = await self.value(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        body = await self.value("document.body.innerText")
        raise AssertionError(f"{expression} never held; the popup shows: {body!r}")

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", {"format": "png"})
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))

    async def close(self) -> None:
        await self.socket.close()


@pytest_asyncio.fixture
async def chromium(browser_path: str, tmp_path: Path) -> AsyncIterator[DevTools]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        browser_path,
        *CHROMIUM_ARGS,
        f"--remote-debugging-port={port}",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--disable-extensions-except={EXTENSION}",
        f"--load-extension={EXTENSION}",
        "about:blank",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(100):
                try:
                    await http.get(f"http://127.0.0.1:{port}/json/version", timeout=1)
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
            yield DevTools(port, browser)
            await browser.close()
    finally:
        process.kill()
        await process.wait()


async def _token_from_the_dashboard(page: Page, stack: Stack, account: factories.Account, shots: Path) -> str:
    """A personal access token made where a user makes one: Settings → Access tokens."""
    await page.goto(stack.url + "/")
    form = page.locator("#sign-in")
    await form.get_by_label("Email").fill(account.email)
    await form.get_by_label("Password").fill(account.password)
    await form.get_by_role("button", name="Sign in").click()
    await page.get_by_role("tab", name="Settings").click()
    tokens = page.locator("#tokens-form")
    await tokens.get_by_label("Name").fill("Browser extension")
    await tokens.get_by_role("button", name="Create a token").click()
    secret = page.locator("#token-secret")
    await expect(secret).to_have_value(re.compile(r"^ccp_"), timeout=WITHIN)
    await expect(page.locator("#token-list li")).to_contain_text(["Browser extension"])
    await page.screenshot(path=str(shots / "22-access-tokens.png"), full_page=True)
    return await secret.input_value()


async def _set_up(options: Page, extension: str, stack: Stack, token: str, email: str) -> None:
    await options.goto(f"chrome-extension://{extension}/options.html")
    await options.get_by_label("Address of your Career Copilot").fill(stack.url + "/some/page")
    await options.get_by_label("Personal access token").fill("ccp_not-a-real-token")
    await options.get_by_role("button", name="Save and check").click()
    await expect(options.locator("#result")).to_contain_text("The token was refused", timeout=WITHIN)
    await options.get_by_label("Personal access token").fill(token)
    await options.get_by_role("button", name="Save and check").click()
    await expect(options.locator("#result")).to_have_text(f"Connected to {stack.url} as {email}.", timeout=WITHIN)


async def test_one_click_saves_the_job_page_and_links_to_it(
    chromium: DevTools, stack: Stack, job_site: str, shots: Path
) -> None:
    manifest = json.loads((EXTENSION / "manifest.json").read_text())
    extension = extension_id(manifest)
    assert f"chrome-extension://{extension}" == EXTENSION_ORIGIN  # the api allows this origin by default
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        account = await factories.account(http)
        context = chromium.browser.contexts[0]
        dashboard = await context.new_page()
        token = await _token_from_the_dashboard(dashboard, stack, account, shots)
        options = await context.new_page()
        await _set_up(options, extension, stack, token, account.email)
        await options.screenshot(path=str(shots / "23-extension-options.png"))

        job = await context.new_page()
        await job.goto(f"{job_site}/job.html")
        await chromium.click_action(extension, f"{job_site}/job.html")
        popup = await chromium.popup(extension)
        try:
            assert (
                await popup.wait_for(
                    "!document.getElementById('save-form').hidden && "
                    "document.querySelector('[data-field=title]').textContent"
                )
                == "Platform Engineer - Northwind Labs"
            )
            await popup.value("document.querySelector('select[name=status]').value = 'applied'")
            await popup.value("document.querySelector('#save-form button').click()")
            link = await popup.wait_for(
                "!document.getElementById('saved').hidden && document.querySelector('#saved a').href"
            )
            shown = await popup.value("document.getElementById('saved').innerText")
            await popup.screenshot(shots / "24-extension-saved.png")
        finally:
            await popup.close()

        listed = (await http.get("/api/v1/applications", headers=account.headers)).json()["items"]
        [saved] = listed
        assert (saved["company"], saved["role"], saved["status"]) == ("Northwind Labs", "Platform Engineer", "applied")
        assert (saved["location"], saved["salary_min"], saved["salary_max"], saved["currency"]) == (
            "Lisbon, PT",
            60000,
            75000,
            "EUR",
        )
        assert saved["job_url"] == f"{job_site}/job.html"
        assert "Run our Kubernetes platform." in saved["job_description"]
        assert "Platform Engineer" in shown and "Northwind Labs" in shown
        assert link == f"{stack.url}/#application={saved['id']}"

        # The link opens that application in a new tab of the dashboard (signed in still: the session's
        # cookie), and in the open dashboard when followed there.
        opened = await context.new_page()
        await opened.goto(link)
        await expect(opened.locator("#edit-title")).to_have_text(
            "Edit — Northwind Labs, Platform Engineer", timeout=WITHIN
        )
        await dashboard.goto(link)
        await expect(dashboard.locator("#edit-title")).to_have_text(
            "Edit — Northwind Labs, Platform Engineer", timeout=WITHIN
        )

        # A page with no posting on it: the popup says what the api said, and nothing is created.
        await job.goto(f"{job_site}/empty.html")
        await chromium.click_action(extension, f"{job_site}/empty.html")
        popup = await chromium.popup(extension)
        try:
            await popup.wait_for("!document.getElementById('save-form').hidden")
            await popup.value("document.querySelector('#save-form button').click()")
            error = await popup.wait_for(
                "!document.getElementById('error').hidden && document.getElementById('error').textContent"
            )
        finally:
            await popup.close()
        assert error and "job" in error.lower()
        assert len((await http.get("/api/v1/applications", headers=account.headers)).json()["items"]) == 1
