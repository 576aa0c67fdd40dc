"""Interviews, contacts and the calendar feed in the dashboard, in Chromium against real api and
worker processes: an interview added to an application shows in its timeline and in the calendar
feed (parsed by `icalendar`), a contact linked to it downloads as a vCard (read by `vobject`), a new
calendar link revokes the old one, and the interview reminder settings are kept."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import icalendar
import vobject
from playwright.async_api import Page, expect

from tests import factories
from tests.e2e.a11y import assert_contrast
from tests.e2e.stack import Stack

WITHIN = 20_000


async def _sign_in(page: Page, stack: Stack, account: factories.Account) -> None:
    await page.goto(stack.url + "/")
    form = page.locator("#sign-in")
    await form.get_by_label("Email").fill(account.email)
    await form.get_by_label("Password").fill(account.password)
    await form.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=WITHIN)


async def test_an_interview_and_a_contact_reach_the_timeline_a_vcard_and_the_calendar_feed(
    page: Page, stack: Stack, shots: Path
) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        account = await factories.account(http)
        body = {"company": "Northwind Labs", "role": "Platform Engineer", "status": "interview"}
        made = await http.post(
            "/api/v1/applications", json=body, headers={**account.headers, "Idempotency-Key": str(uuid.uuid4())}
        )
        assert made.status_code == 201, made.text
        application_id = made.json()["id"]
        await _sign_in(page, stack, account)
        await page.get_by_role("tab", name="Applications").click()

        # An interview, three days ahead at 14:30 in the browser's zone (UTC here).
        when = (datetime.now(UTC) + timedelta(days=3)).replace(hour=14, minute=30, second=0, microsecond=0)
        await page.get_by_role("button", name="Interviews").first.click()
        dialog = page.locator("#interviews")
        await expect(dialog.locator("#interview-list")).to_contain_text("No interviews yet.")
        await dialog.get_by_role("button", name="Add the interview").click()
        await expect(page.locator("#interview-errors")).to_have_text("Choose when the interview starts.")
        await dialog.get_by_label("Kind").select_option("technical")
        await dialog.get_by_label("Starts at").fill(when.strftime("%Y-%m-%dT%H:%M"))
        await dialog.get_by_label("Length, minutes").fill("90")
        await dialog.get_by_label("Place or video link").fill("https://meet.example.com/abc")
        await dialog.get_by_label("People").fill("Dana Scully, Fox Mulder")
        await dialog.get_by_label("Preparation notes").fill("System design: queues")
        await dialog.get_by_role("button", name="Add the interview").click()
        row = dialog.locator("#interview-list li[data-interview]")
        await expect(row).to_have_count(1, timeout=WITHIN)
        await expect(row).to_contain_text("Technical")
        await expect(row).to_contain_text("with Dana Scully, Fox Mulder")
        await expect(row.get_by_role("link", name="https://meet.example.com/abc")).to_be_visible()
        await assert_contrast(page)
        await page.screenshot(path=str(shots / "28-interviews.png"))
        [stored] = (await http.get(f"/api/v1/applications/{application_id}/interviews", headers=account.headers)).json()
        assert datetime.fromisoformat(stored["starts_at"]) == when
        assert (stored["duration_minutes"], stored["people"]) == (90, ["Dana Scully", "Fox Mulder"])
        await dialog.get_by_role("button", name="Close").click()
        await page.get_by_role("button", name="Timeline").first.click()
        await expect(page.locator("#timeline-list")).to_contain_text("Technical interview", timeout=WITHIN)
        await page.locator("#timeline").get_by_role("button", name="Close").click()

        # A contact linked to the application, downloaded as a vCard.
        await page.get_by_role("tab", name="Contacts").click()
        form = page.locator("#contact-form")
        await form.get_by_label("Name").fill("Zoë Müller")
        await form.get_by_label("Role").fill("Engineering Manager")
        await form.get_by_label("Company").fill("Northwind Labs")
        await form.get_by_label("Email").fill("zoe@northwind.example")
        await form.get_by_label("Phone").fill("+351 21 000 0000")
        await form.get_by_label("Applications").select_option(application_id)
        await form.get_by_role("button", name="Add the contact").click()
        contact = page.locator("#contact-list li[data-contact]")
        await expect(contact).to_contain_text("For Northwind Labs, Platform Engineer", timeout=WITHIN)
        await page.screenshot(path=str(shots / "29-contacts.png"))
        async with page.expect_download() as downloading:
            await contact.get_by_role("button", name="vCard").click()
        saved = Path(await (await downloading.value).path())
        card = vobject.readOne(await asyncio.to_thread(saved.read_text))
        assert (card.fn.value, card.email.value, card.org.value) == (
            "Zoë Müller",
            "zoe@northwind.example",
            ["Northwind Labs"],
        )
        await page.locator("#contact-filter").fill("nobody")
        await expect(page.locator("#contact-list")).to_contain_text("No contact matches.", timeout=WITHIN)

        # The calendar feed: the interview as an event; a new link revokes the old one.
        await page.get_by_role("tab", name="Settings").click()
        card_ = page.locator("#calendar-feed")
        await expect(card_.locator("#calendar-feed-state")).to_contain_text("Off", timeout=WITHIN)
        await card_.get_by_role("button", name="Create the calendar link").click()
        url = page.locator("#calendar-feed-url")
        await expect(url).not_to_have_value("", timeout=WITHIN)
        first = await url.input_value()
        assert first.startswith(f"{stack.url}/api/v1/calendar/") and first.endswith(".ics")
        await page.screenshot(path=str(shots / "30-calendar-feed.png"))
        feed = await http.get(first)
        assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
        [event] = [c for c in icalendar.Calendar.from_ical(feed.text).walk("VEVENT")]
        assert str(event["SUMMARY"]) == "Interview: Platform Engineer at Northwind Labs (technical)"
        assert event.decoded("DTSTART") == when and event.decoded("DTEND") == when + timedelta(minutes=90)
        await card_.get_by_role("button", name="Make a new link (the old one stops working)").click()
        await page.locator("#confirm-yes").click()
        await expect(url).not_to_have_value(first, timeout=WITHIN)
        assert (await http.get(first)).status_code == 404
        assert (await http.get(await url.input_value())).status_code == 200

        # Reminders before interviews: the settings form keeps what it is given.
        settings = page.locator("#settings-form")
        await settings.get_by_label("Remind me before each interview, minutes").fill("2880, 30")
        await settings.get_by_label("By email: reminders before interviews").uncheck()
        await settings.get_by_role("button", name="Save the settings").click()
        await expect(page.locator("#settings-status")).to_have_text("Saved.")
        stored_settings = (await http.get("/api/v1/me/notification-settings", headers=account.headers)).json()
        assert sorted(stored_settings["interview_reminder_minutes"]) == [30, 2880]
        assert stored_settings["email_interview_reminders"] is False
