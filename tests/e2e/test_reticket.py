"""A socket lives one access-token lifetime: with a 10 s lifetime the server closes the dashboard's
socket with 4002, and the dashboard refreshes its expired access token, gets a new ticket and
reconnects with its last event id on its own, so an application created while it was away shows
up without a reload."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page, expect

from tests import factories
from tests.e2e.stack import Stack

ACCESS_TTL = 10
RECORD_STATES = """() => {
  const element = document.getElementById("connection");
  window.__states = [element.dataset.state];
  new MutationObserver(() => window.__states.push(element.dataset.state))
    .observe(element, {attributes: true, attributeFilter: ["data-state"]});
}"""


@pytest.fixture
def stack_env() -> dict[str, str]:
    return {"ACCESS_TOKEN_TTL_SECONDS": str(ACCESS_TTL)}


async def test_the_dashboard_re_tickets_after_one_access_token_lifetime_and_misses_nothing(
    page: Page, stack: Stack
) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        user = await factories.account(http)
        await page.goto(stack.url + "/")
        sign_in = page.locator("#sign-in")
        await sign_in.get_by_label("Email").fill(user.email)
        await sign_in.get_by_label("Password").fill(user.password)
        await sign_in.get_by_role("button", name="Sign in").click()
        await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=20_000)
        await page.wait_for_load_state("networkidle")
        await page.evaluate(RECORD_STATES)
        await page.wait_for_function("() => window.__states.includes('reconnecting')", timeout=15_000)
        fresh = await factories.login(http, user.email, user.password)  # the test's token expired too
        made = await http.post(
            "/api/v1/applications",
            json={"company": "While Away Co", "role": "Engineer"},
            headers={"Authorization": f"Bearer {fresh['access_token']}"},
        )
        assert made.status_code == 201, made.text
        await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=15_000)
        await expect(page.get_by_text("While Away Co", exact=True)).to_have_count(1, timeout=15_000)
        states = await page.evaluate("window.__states")
        assert "stopped" not in states, states
        await expect(page.locator("#auth")).to_be_hidden()  # still signed in
