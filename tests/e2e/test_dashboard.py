"""The reference dashboard's journey in a real browser (issue 8): sign up, upload a resume and watch
the live progress bar then the parsed result, the applications board (add, move, timeline), and a
server restart that the live connection survives by reconnecting and replaying what it missed.

Each screen is saved as a screenshot (`make screenshots` writes them to frontend_contract/screenshots).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
from playwright.async_api import Locator, Page, expect

from backend.db.tables import User
from backend.lib.embedded_services import free_port
from tests import factories
from tests.e2e.conftest import Stack
from tests.integration.realtime.conftest import stop_api, wait_ready

RESUME_PDF = Path(__file__).resolve().parents[1] / "fixtures" / "resumes" / "resume-matcher-single-column.pdf"
PASSWORD = "correct horse battery"
LIVE_WITHIN = 20_000  # ms: a reconnect after a restart, with backoff, on a busy CI machine
PARSE_WITHIN = 60_000  # ms: the worker starts, relays the job from the outbox and parses (paced)


async def test_the_dashboard_journey(page: Page, stack: Stack, shots: Path, page_errors: list[str]) -> None:
    connection = page.locator("#connection")

    # Signed out: the sign-in and sign-up forms, every field labelled.
    await page.goto(stack.url + "/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert await _unlabelled_fields(page) == []
    await page.screenshot(path=str(shots / "01-sign-in.png"), full_page=True)

    # Sign up (then signed in automatically): the workspace and a live socket.
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    sign_up = page.locator("#sign-up")
    await sign_up.get_by_label("Full name").fill("Ada Lovelace")
    await sign_up.get_by_label("Email").fill(email)
    await sign_up.get_by_label("Password").fill(PASSWORD)
    await sign_up.get_by_role("button", name="Sign up").click()
    await expect(page.locator("#who")).to_have_text("Ada Lovelace")
    await expect(connection).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)
    await expect(connection).to_have_text("Live")

    # Upload a resume: the progress bar moves with `resume.parse.progress`, then the parsed result.
    await page.get_by_label("PDF file").set_input_files(str(RESUME_PDF))
    await page.get_by_label("Title").fill("Engineering resume")
    await page.get_by_role("button", name="Upload").click()
    progress = page.locator("#parse-progress")
    await expect(page.locator("#parse")).to_be_visible()
    await page.wait_for_function(
        "() => { const p = document.querySelector('#parse-progress'); return p.value > 0 && p.value < 100; }",
        timeout=PARSE_WITHIN,
    )
    await page.screenshot(path=str(shots / "02-resume-parsing.png"), full_page=True)
    await expect(page.locator("#parsed")).to_be_visible(timeout=PARSE_WITHIN)
    assert await progress.evaluate("p => p.value") == 100
    await expect(page.locator("#parse-stage")).to_have_text("Parsed — 100%")
    await expect(page.locator("#parsed-name")).not_to_have_text("—")
    await expect(page.locator("#parsed-email")).to_contain_text("@")
    assert await page.locator("#parsed-work li").count() >= 1
    await expect(page.locator("#resume-list")).to_contain_text("Engineering resume")
    await expect(page.locator("#resume-list")).to_contain_text("parsed")
    await page.screenshot(path=str(shots / "03-resume-parsed.png"), full_page=True)

    # The applications board, reached with the keyboard (arrow keys move between tabs).
    await page.get_by_role("tab", name="Resumes").focus()
    await page.keyboard.press("ArrowRight")
    await expect(page.get_by_role("tab", name="Applications")).to_be_focused()
    await expect(page.locator("#panel-applications")).to_be_visible()
    await page.get_by_text("Add an application").click()
    assert await _unlabelled_fields(page) == []
    for company, role, status in [
        ("Analytical Engines", "Programmer", "wishlist"),
        ("Difference Works", "Mathematician", "wishlist"),
        ("Royal Society", "Research fellow", "interview"),
    ]:
        await page.get_by_label("Company").fill(company)
        await page.get_by_label("Role", exact=True).fill(role)
        await page.locator("#app-status").select_option(status)
        await page.get_by_role("button", name="Add", exact=True).click()
        await expect(_column(page, status)).to_contain_text(company)
    await page.screenshot(path=str(shots / "04-applications-board.png"), full_page=True)

    # Move a card with its status select; its timeline shows both steps.
    await page.get_by_label("Status of Analytical Engines, Programmer").select_option("applied")
    await expect(_column(page, "applied")).to_contain_text("Analytical Engines")
    await expect(_column(page, "wishlist")).not_to_contain_text("Analytical Engines")
    card = page.locator(".app-card", has_text="Analytical Engines")
    await card.get_by_role("button", name="Timeline").click()
    timeline = page.locator("#timeline")
    await expect(timeline).to_be_visible()
    await expect(timeline.locator("li")).to_have_count(2)
    await expect(timeline).to_contain_text("Created as Wishlist")
    await expect(timeline).to_contain_text("Wishlist → Applied")
    await page.screenshot(path=str(shots / "05-application-timeline.png"), full_page=True)
    await page.keyboard.press("Escape")
    await expect(timeline).to_be_hidden()

    # The server restarts. Meanwhile another replica records a change: when the api is back, the
    # dashboard reconnects with its last event id and the replayed `application.changed` updates the board.
    tokens = json.loads(await page.evaluate("sessionStorage.getItem('career-copilot.tokens')"))
    stop_api(stack.api)
    await expect(connection).to_have_attribute("data-state", "reconnecting", timeout=LIVE_WITHIN)
    await expect(connection).to_have_text("Reconnecting…")
    await page.screenshot(path=str(shots / "06-reconnecting.png"), full_page=True)
    replica = stack.start_api(free_port())
    try:
        await wait_ready(replica)
        async with httpx.AsyncClient(base_url=replica.url, timeout=30) as http:
            response = await http.post(
                "/api/v1/applications",
                json={"company": "Babbage & Co", "role": "Engineer", "status": "screening"},
                headers={"authorization": f"Bearer {tokens['access_token']}"},
            )
            assert response.status_code == 201, response.text
    finally:
        stop_api(replica)
    await expect(_column(page, "screening")).not_to_contain_text("Babbage & Co")  # not live: the socket is down
    stack.api = stack.start_api()
    await wait_ready(stack.api)
    await expect(connection).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)
    await expect(_column(page, "screening")).to_contain_text("Babbage & Co", timeout=LIVE_WITHIN)
    await page.get_by_role("tab", name="Activity").click()
    await expect(page.locator("#activity li[data-type='application.changed']").first).to_contain_text("created")
    await expect(page.locator("#activity li[data-type='resume.parsed']")).to_have_count(1)
    await page.screenshot(path=str(shots / "07-live-activity.png"), full_page=True)

    # Placeholders of the features still being built (issues 6 and 7).
    await page.get_by_role("tab", name="Cover letters").click()
    await expect(page.locator("#panel-letters")).to_contain_text("issue 6")

    # Responsive: the board in one column on a phone.
    await page.get_by_role("tab", name="Applications").click()
    await page.set_viewport_size({"width": 390, "height": 844})
    board_width = await page.locator("#board").evaluate("b => b.getBoundingClientRect().width")
    column_width = await _column(page, "wishlist").evaluate("c => c.getBoundingClientRect().width")
    assert column_width > board_width * 0.9  # one column per row
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    await page.screenshot(path=str(shots / "08-mobile-board.png"), full_page=True)

    # Sign out: back to the forms, the socket closed for good.
    await page.set_viewport_size({"width": 1280, "height": 860})
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(connection).to_have_attribute("data-state", "stopped")
    assert page_errors == []


def _column(page: Page, status: str) -> Locator:
    return page.locator(f".column[data-status='{status}']")


async def _unlabelled_fields(page: Page) -> list[str]:
    """Visible form fields without an accessible name (a label, aria-label or aria-labelledby)."""
    return list(
        await page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
                .filter(e => e.offsetParent !== null && e.type !== 'hidden')
                .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                             && !e.getAttribute('aria-labelledby'))
                .map(e => e.id || e.name || e.outerHTML)"""
        )
    )


async def test_a_disabled_account_is_signed_out_and_not_reconnected(page: Page, stack: Stack) -> None:
    """Close code 4401: the dashboard stops its socket for good and shows the sign-in forms."""
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        user = await factories.account(http)
        admin = await factories.account(http)
        await User.update({User.role: "admin"}).where(User.id == uuid.UUID(admin.user_id))
        await page.goto(stack.url + "/")
        sign_in = page.locator("#sign-in")
        await sign_in.get_by_label("Email").fill(user.email)
        await sign_in.get_by_label("Password").fill(user.password)
        await sign_in.get_by_role("button", name="Sign in").click()
        await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)

        response = await http.patch(
            f"/api/v1/admin/users/{user.user_id}", json={"is_active": False}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=LIVE_WITHIN)
    await expect(page.locator("#flash")).to_contain_text("disabled or deleted")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "stopped")
    assert await page.evaluate("sessionStorage.getItem('career-copilot.tokens')") is None
