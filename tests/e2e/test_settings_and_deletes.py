"""Notification settings, the resend-verification button and delete actions in a real browser:
settings are saved and survive a reload; "Resend the verification email" puts a new
link in the mailbox (the stack's mail catcher) that confirms the address; an application, a cover
letter and a resume are deleted after a confirmation, and a card deleted in one tab disappears live
from another."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
from playwright.async_api import Browser, Page, expect

from tests import factories
from tests.e2e.a11y import assert_contrast
from tests.e2e.stack import Stack

LIVE_WITHIN = 20_000
RESUME_PDF = Path(__file__).resolve().parents[1] / "fixtures" / "resumes" / "resume-matcher-single-column.pdf"
JOB = "A Python engineer for our APIs: Python, PostgreSQL, Docker, documentation."


async def _sign_in(page: Page, stack: Stack, account: factories.Account) -> None:
    await page.goto(stack.url + "/")
    form = page.locator("#sign-in")
    await form.get_by_label("Email").fill(account.email)
    await form.get_by_label("Password").fill(account.password)
    await form.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)


async def test_notification_settings_are_saved_and_survive_a_reload(
    page: Page, stack: Stack, shots: Path, page_errors: list[str]
) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        account = await factories.account(http)
        # Settings this form does not show (interview reminders): a save keeps them as they are.
        hidden = {"email_interview_reminders": False, "interview_reminder_minutes": [30]}
        put = await http.put("/api/v1/me/notification-settings", json=hidden, headers=account.headers)
        assert put.status_code == 200, put.text
        await _sign_in(page, stack, account)
        await page.get_by_role("tab", name="Settings").click()
        panel = page.locator("#panel-settings")
        # The defaults, as the api has them.
        await expect(panel.get_by_label("In the dashboard (the notification bell)")).to_be_checked()
        await expect(panel.get_by_label("By email: follow-up reminders")).to_be_checked()
        await expect(panel.get_by_label("By email: an application's status changed")).not_to_be_checked()
        await expect(panel.get_by_label("Remind me this many minutes")).to_have_value("0")
        await expect(panel.get_by_label("Time zone of the times in emails")).to_have_value("UTC")
        await expect(panel.get_by_label("Suggest an application as ghosted")).to_have_value("21")

        await panel.get_by_label("By email: follow-up reminders").uncheck()
        await panel.get_by_label("By email: an application's status changed").check()
        await panel.get_by_label("Remind me this many minutes").fill("1500")
        await expect(page.locator("#settings-lead-text")).to_have_text("= 1 day 1 hour before")
        await panel.get_by_label("Time zone of the times in emails").fill("Europe/Paris")
        await panel.get_by_label("Suggest an application as ghosted").fill("30")
        await panel.get_by_role("button", name="Save the settings").click()
        await expect(page.locator("#settings-status")).to_have_text("Saved.")
        await assert_contrast(page)
        await page.screenshot(path=str(shots / "18-notification-settings.png"), full_page=True)
        stored = (await http.get("/api/v1/me/notification-settings", headers=account.headers)).json()
        assert stored == {
            "in_app": True,
            "email_follow_up_reminders": False,
            "email_status_changes": True,
            "reminder_lead_minutes": 1500,
            "time_zone": "Europe/Paris",
            "ghosted_after_days": 30,
            **hidden,
        }

        # After a reload the form shows what is stored.
        await page.reload()
        await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)
        await page.get_by_role("tab", name="Settings").click()
        await expect(panel.get_by_label("Time zone of the times in emails")).to_have_value("Europe/Paris")
        await expect(panel.get_by_label("Remind me this many minutes")).to_have_value("1500")
        await expect(panel.get_by_label("Suggest an application as ghosted")).to_have_value("30")
        await expect(panel.get_by_label("By email: follow-up reminders")).not_to_be_checked()
        await expect(panel.get_by_label("By email: an application's status changed")).to_be_checked()

        # An unknown zone: the api's field error is shown, the field gets the focus, nothing is stored.
        await panel.get_by_label("Time zone of the times in emails").fill("Mars/Olympus_Mons")
        await panel.get_by_role("button", name="Save the settings").click()
        await expect(page.locator("#settings-errors")).to_contain_text("time_zone")
        await expect(panel.get_by_label("Time zone of the times in emails")).to_be_focused()
        await expect(page.locator("#settings-status")).to_have_text("")
        again = (await http.get("/api/v1/me/notification-settings", headers=account.headers)).json()
        assert again == stored
    assert page_errors == []


async def test_resend_verification_emails_a_new_link_that_confirms_the_address(
    page: Page, stack: Stack, shots: Path, page_errors: list[str]
) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        account = await factories.account(http, email=f"ada-{uuid.uuid4().hex[:8]}@example.com")
    [first] = await stack.emails_to(account.email, 1)  # the email of the registration
    await _sign_in(page, stack, account)
    banner = page.locator("#verify-banner")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text(account.email)
    await banner.get_by_role("button", name="Resend the verification email").click()
    await expect(page.locator("#verify-status")).to_have_text(
        f"A new link is on its way to {account.email}. Open it to confirm your address."
    )
    await expect(banner.get_by_role("button", name="Resend the verification email")).to_be_disabled()
    await assert_contrast(page)
    await page.screenshot(path=str(shots / "19-verify-email-banner.png"), full_page=True)

    _, second = await stack.emails_to(account.email, 2)
    link = stack.link_in(second, "verify-email")
    assert link != stack.link_in(first, "verify-email")  # a new link
    await page.goto(link)
    await expect(page.locator("#email-link-status")).to_have_text("Your email address is confirmed. Thank you!")
    await expect(page.locator("#workspace")).to_be_visible()  # still signed in (the tab's session)
    await expect(banner).to_be_hidden()
    assert page_errors == []


async def _parsed_resume(http: httpx.AsyncClient, account: factories.Account) -> dict:
    with RESUME_PDF.open("rb") as pdf:
        files = {"file": ("resume.pdf", pdf, "application/pdf")}
        response = await http.post("/api/v1/resumes", files=files, data={"title": "Main"}, headers=account.headers)
    assert response.status_code == 202, response.text
    resume = response.json()
    for _ in range(600):
        version = (
            await http.get(
                f"/api/v1/resumes/{resume['id']}/versions/{resume['latest_version']['id']}", headers=account.headers
            )
        ).json()
        if version["status"] == "parsed":
            return dict(resume)
        assert version["status"] != "failed", version
        await asyncio.sleep(0.1)
    raise AssertionError("the resume was not parsed")


async def test_deletes_ask_first_and_a_deleted_card_leaves_every_tab(
    page: Page, browser: Browser, stack: Stack, shots: Path, page_errors: list[str]
) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        account = await factories.account(http)
        resume = await _parsed_resume(http, account)
        apps = {}
        for company in ("Analytical Engines", "Difference Works"):
            body = {"company": company, "role": "Programmer", "status": "applied", "job_description": JOB}
            apps[company] = (await http.post("/api/v1/applications", json=body, headers=account.headers)).json()
        letter = await http.post(
            "/api/v1/cover-letters", json={"application_id": apps["Difference Works"]["id"]}, headers=account.headers
        )
        assert letter.status_code == 202, letter.text

        # A second tab of the same user (its own session), watching the board.
        other_context = await browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
        other = await other_context.new_page()
        try:
            await _sign_in(other, stack, account)
            await other.get_by_role("tab", name="Applications").click()
            await _sign_in(page, stack, account)
            await page.get_by_role("tab", name="Applications").click()
            for tab in (page, other):
                await expect(tab.locator(".app-card")).to_have_count(2)

            # Delete asks first; "Keep it" keeps the card.
            card = page.locator(".app-card", has_text="Analytical Engines")
            await card.get_by_role("button", name="Delete Analytical Engines, Programmer").click()
            confirm = page.locator("#confirm")
            await expect(confirm).to_be_visible()
            await expect(confirm).to_contain_text("Delete Analytical Engines, Programmer?")
            await assert_contrast(page)
            await page.screenshot(path=str(shots / "20-delete-confirm.png"))  # the viewport: the backdrop covers it
            await confirm.get_by_role("button", name="Keep it").click()
            await expect(confirm).to_be_hidden()
            await expect(page.locator(".app-card")).to_have_count(2)

            # Deleted: gone here, and live from the other tab (`application.changed`), stats included.
            await card.get_by_role("button", name="Delete Analytical Engines, Programmer").click()
            await confirm.get_by_role("button", name="Delete the application").click()
            engines = ".app-card:has-text('Analytical Engines')"
            await expect(page.locator(engines)).to_have_count(0)
            await expect(other.locator(engines)).to_have_count(0, timeout=LIVE_WITHIN)
            await expect(other.locator(".app-card", has_text="Difference Works")).to_have_count(1)
            await expect(other.locator("#stats-total")).to_have_text("1")
            gone = await http.get(f"/api/v1/applications/{apps['Analytical Engines']['id']}", headers=account.headers)
            assert gone.status_code == 404
        finally:
            await other_context.close()

        # A cover letter, from the letters of its application.
        await page.locator(".app-card", has_text="Difference Works").get_by_role("button", name="Cover letter").click()
        letters = page.locator("#letter-list li[data-id]")
        await expect(letters).to_have_count(1)
        await letters.first.get_by_role("button", name="Delete the professional letter").click()
        await expect(confirm).to_contain_text("Delete the professional letter of")
        await confirm.get_by_role("button", name="Delete the letter").click()
        await expect(letters).to_have_count(0)
        await expect(page.locator("#letter-list")).to_contain_text("No letter for this application yet.")
        listed = await http.get("/api/v1/cover-letters", headers=account.headers)
        assert listed.json()["items"] == []

        # A resume.
        await page.get_by_role("tab", name="Resumes").click()
        await expect(page.locator("#resume-list")).to_contain_text("Main")
        await page.get_by_role("button", name="Delete Main").click()
        await expect(confirm).to_contain_text("Delete the resume Main?")
        await confirm.get_by_role("button", name="Delete the resume").click()
        await expect(page.locator("#resume-list")).to_contain_text("No resume yet")
        await expect(page.locator("#parse")).to_be_hidden()
        response = await http.get(f"/api/v1/resumes/{resume['id']}", headers=account.headers)
        assert response.status_code == 404
    assert page_errors == []
