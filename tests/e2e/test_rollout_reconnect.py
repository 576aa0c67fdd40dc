"""`make rollout` while a browser has the dashboard open: the real devserver with two apis behind its
nginx, every api and worker replaced one at a time. The dashboard shows "Reconnecting…" while its
socket is moved to another api, comes back live on its own, and shows every application created
through the api during the rollout without a reload (replay from its last event id)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from playwright.async_api import Browser, expect

from backend.devtools import launcher
from tests import factories

LIVE_WITHIN = 30_000  # ms
RETRIED = (502, 503, 504)

RECORD_STATES = """() => {
  const element = document.getElementById("connection");
  window.__states = [element.dataset.state];
  new MutationObserver(() => window.__states.push(element.dataset.state))
    .observe(element, {attributes: true, attributeFilter: ["data-state"]});
}"""


async def _create(http: httpx.AsyncClient, headers: dict[str, str], company: str) -> None:
    """One application, retried with the same Idempotency-Key through a restart, as a client does."""
    key = str(uuid.uuid4())
    for attempt in range(12):
        try:
            response = await http.post(
                "/api/v1/applications",
                json={"company": company, "role": "Engineer"},
                headers={**headers, "Idempotency-Key": key},
            )
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code not in RETRIED:
            assert response.status_code == 201, response.text
            return
        await asyncio.sleep(min(0.1 * 2**attempt, 2))
    raise AssertionError(f"creating {company} kept failing")


async def test_the_dashboard_reconnects_during_a_rollout_and_misses_nothing(
    browser: Browser, devserver: tuple[Any, str, dict[str, str]]
) -> None:
    _, base, env = devserver
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        user = await factories.account(http)
        context = await browser.new_context(viewport={"width": 1280, "height": 860})
        page = await context.new_page()
        try:
            await page.goto(base + "/")
            sign_in = page.locator("#sign-in")
            await sign_in.get_by_label("Email").fill(user.email)
            await sign_in.get_by_label("Password").fill(user.password)
            await sign_in.get_by_role("button", name="Sign in").click()
            await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)
            await page.wait_for_load_state("networkidle")
            await page.evaluate(RECORD_STATES)

            rollout = launcher.Process.start(launcher.module_command("backend.devtools.devserver.rollout"), env=env)
            companies: list[str] = []
            while rollout.alive:
                companies.append(f"Rollout Co {len(companies):03d}")
                await _create(http, user.headers, companies[-1])
                await asyncio.sleep(0.3)
            assert rollout.popen.wait(5) == 0, rollout.output()
            companies.append("After the rollout")
            await _create(http, user.headers, companies[-1])

            await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)
            for company in companies:  # every one arrived as an event: no reload happened
                # on the board (a long column scrolls, so some cards are out of view)
                await expect(page.get_by_text(company, exact=True)).to_have_count(1, timeout=LIVE_WITHIN)
            states = await page.evaluate("window.__states")
            assert "reconnecting" in states, states
            assert states[-1] == "open", states
            assert "stopped" not in states, states
            assert len(companies) > 10, "the rollout ended before it was under load"
        finally:
            await context.close()
