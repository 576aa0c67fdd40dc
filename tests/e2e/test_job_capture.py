"""Capturing jobs in the dashboard, in Chromium against real api and worker processes: a job imported
from its URL opens in the editor with what was read, its saved page is shown sandboxed, an unreadable
page says why and offers the manual form with the URL filled in; a ghosting suggestion in the bell is
confirmed or dismissed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from backend.features.notifications import ghosting
from backend.platform.realtime.publisher import Publisher
from tests import factories
from tests.e2e.a11y import assert_contrast
from tests.e2e.stack import Stack

WITHIN = 20_000


@pytest.fixture
def stack_env() -> dict[str, str]:
    return {"JOB_FETCH_ALLOW_PRIVATE": "true"}  # the job pages are served on loopback


async def _sign_in(page: Page, stack: Stack, account: factories.Account) -> None:
    await page.goto(stack.url + "/")
    form = page.locator("#sign-in")
    await form.get_by_label("Email").fill(account.email)
    await form.get_by_label("Password").fill(account.password)
    await form.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=WITHIN)


async def test_a_job_imported_from_its_url_opens_with_its_saved_page(
    page: Page, stack: Stack, job_site: str, shots: Path
) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        account = await factories.account(http)
        await _sign_in(page, stack, account)
        await page.get_by_role("tab", name="Applications").click()
        importer = page.locator("#import-url")

        # A page that is not there: the reason, and the manual form with the URL filled in.
        missing = f"{job_site}/gone.html"
        await importer.get_by_label("Job posting URL").fill(missing)
        await importer.get_by_role("button", name="Import").click()
        await expect(page.locator("#import-errors")).to_contain_text("404", timeout=WITHIN)
        await importer.get_by_role("button", name="Add it by hand instead").click()
        await expect(page.locator("#app-url")).to_have_value(missing)
        await expect(page.locator("#app-company")).to_be_focused()
        assert (await http.get("/api/v1/applications", headers=account.headers)).json()["items"] == []

        await importer.get_by_label("Job posting URL").fill(f"{job_site}/job.html")
        await importer.get_by_label("Status").select_option("applied")
        await importer.get_by_role("button", name="Import").click()
        editor = page.locator("#edit-application")
        await expect(page.locator("#edit-title")).to_have_text(
            "Edit — Northwind Labs, Platform Engineer", timeout=WITHIN
        )
        await expect(editor.get_by_label("Location")).to_have_value("Lisbon, PT")
        await expect(editor.get_by_label("Status", exact=True)).to_have_value("applied")
        await expect(page.locator("#flash")).to_contain_text("read from the page's structured data")
        await assert_contrast(page)
        await page.screenshot(path=str(shots / "26-import-url.png"), full_page=True)

        await editor.get_by_role("button", name="The saved posting").click()
        frame = page.frame_locator("#snapshot-frame")
        await expect(frame.locator("h1")).to_have_text("Platform Engineer", timeout=WITHIN)
        assert await page.locator("#snapshot-frame").get_attribute("sandbox") == ""  # its scripts never run
        await page.screenshot(path=str(shots / "27-saved-posting.png"))
        await page.locator("#snapshot").get_by_role("button", name="Close").click()

        [saved] = (await http.get("/api/v1/applications", headers=account.headers)).json()["items"]
        assert (saved["company"], saved["role"], saved["status"]) == ("Northwind Labs", "Platform Engineer", "applied")


async def test_a_ghosting_suggestion_is_confirmed_or_dismissed_in_the_bell(
    page: Page, stack: Stack, publisher: Publisher, shots: Path
) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        account = await factories.account(http)
        applied = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        made = {}
        for company in ("Quiet Corp", "Slow Corp"):
            body = {"company": company, "role": "Engineer", "status": "applied", "applied_at": applied}
            answer = await http.post(
                "/api/v1/applications", json=body, headers={**account.headers, "Idempotency-Key": str(uuid.uuid4())}
            )
            assert answer.status_code == 201, answer.text
            made[company] = answer.json()["id"]
        await _sign_in(page, stack, account)
        # Three weeks on (the default `ghosted_after_days`), the scan suggests both, live in the bell.
        assert (await ghosting.scan(datetime.now(UTC) + timedelta(days=21), publisher)).suggested == 2
        await expect(page.locator("#bell-count")).to_have_text("2", timeout=WITHIN)
        await page.locator("#bell-button").click()
        quiet = page.locator("#bell-list li", has_text="No answer from Quiet Corp?")
        await expect(quiet.get_by_role("button", name="Mark as ghosted")).to_be_visible()
        await page.screenshot(path=str(shots / "31-ghosting-suggestion.png"))
        await quiet.get_by_role("button", name="Mark as ghosted").click()
        await expect(page.locator("#flash")).to_contain_text("Quiet Corp, Engineer: marked as ghosted.")
        slow = page.locator("#bell-list li", has_text="No answer from Slow Corp?")
        await page.locator("#bell-button").click() if await page.locator("#bell-panel").is_hidden() else None
        await slow.get_by_role("button", name="Keep waiting").click()
        await expect(page.locator("#flash")).to_contain_text("Slow Corp, Engineer: still waiting")
        await expect(page.locator("#bell-count")).to_be_hidden()
        await expect(slow.get_by_role("button", name="Keep waiting")).to_have_count(0)

        statuses = {
            company: (await http.get(f"/api/v1/applications/{id_}", headers=account.headers)).json()["status"]
            for company, id_ in made.items()
        }
        assert statuses == {"Quiet Corp": "ghosted", "Slow Corp": "applied"}
        await page.get_by_role("tab", name="Applications").click()
        await expect(page.locator('section[data-status="ghosted"] .cards li')).to_have_count(1, timeout=WITHIN)
