"""The reference dashboard's journey in a real browser: sign up, upload a resume and watch
the live progress bar then the parsed result, the applications board (add, move, timeline), and a
server restart that the live connection survives by reconnecting and replaying what it missed.

Each screen is saved as a screenshot (`make screenshots` writes them to frontend_contract/screenshots).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from playwright.async_api import Locator, Page, expect
from redis import asyncio as aioredis

from backend.devtools.embedded_services import free_port
from backend.platform.db.tables import User
from backend.platform.realtime import events
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings
from tests import factories
from tests.e2e.a11y import assert_contrast
from tests.e2e.stack import AccessTokens, Stack
from tests.plugins.processes import stop_api, wait_ready

RESUME_PDF = Path(__file__).resolve().parents[1] / "fixtures" / "resumes" / "resume-matcher-single-column.pdf"
SECOND_PDF = RESUME_PDF.with_name("reactive-resume-onyx.pdf")
PASSWORD = "correct horse battery"
LIVE_WITHIN = 20_000  # ms: a reconnect after a restart, with backoff, on a busy CI machine
PARSE_WITHIN = 60_000  # ms: the worker starts, relays the job from the outbox and parses (paced)
AI_WITHIN = 60_000  # ms: a whole cover letter from the builtin writer, paced by AI_BUILTIN_TOKEN_DELAY_MS
JOB_DESCRIPTION = (
    "We are looking for a software engineer to build our Python APIs and data pipelines. You know Python, "
    "PostgreSQL, Docker and Kubernetes, have worked with React and AWS, and write clear documentation."
)


async def test_the_dashboard_journey(
    page: Page, stack: Stack, shots: Path, page_errors: list[str], settings: Settings, redis: aioredis.Redis
) -> None:
    connection = page.locator("#connection")
    tokens = AccessTokens(page)

    # Signed out: the sign-in and sign-up forms, every field labelled.
    await page.goto(stack.url + "/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.locator("#account")).to_be_hidden()  # no bell, no "Sign out" when signed out
    assert await _unlabelled_fields(page) == []
    await assert_contrast(page)
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
    await assert_contrast(page)
    await page.screenshot(path=str(shots / "02-resume-parsing.png"), full_page=True)
    await expect(page.locator("#parsed")).to_be_visible(timeout=PARSE_WITHIN)
    assert await progress.evaluate("p => p.value") == 100
    await expect(page.locator("#parse-stage")).to_have_text("Parsed — 100%")
    await expect(page.locator("#parsed-name")).not_to_have_text("—")
    await expect(page.locator("#parsed-email")).to_contain_text("@")
    assert await page.locator("#parsed-work li").count() >= 1
    await expect(page.locator("#resume-list")).to_contain_text("Engineering resume")
    await expect(page.locator("#resume-list")).to_contain_text("parsed")
    await assert_contrast(page)
    await page.screenshot(path=str(shots / "03-resume-parsed.png"), full_page=True)

    # The applications board, reached with the keyboard (arrow keys move between tabs).
    await page.get_by_role("tab", name="Resumes").focus()
    await page.keyboard.press("ArrowRight")
    await expect(page.get_by_role("tab", name="Applications")).to_be_focused()
    await expect(page.locator("#panel-applications")).to_be_visible()
    await page.get_by_text("Add an application").click()
    assert await _unlabelled_fields(page) == []
    for company, role, status, job in [
        ("Analytical Engines", "Programmer", "wishlist", JOB_DESCRIPTION),
        ("Difference Works", "Mathematician", "wishlist", ""),
        ("Royal Society", "Research fellow", "interview", ""),
    ]:
        add = page.locator("#add-application")
        await add.get_by_label("Company").fill(company)
        await add.get_by_label("Role", exact=True).fill(role)
        await add.get_by_label("Status").select_option(status)
        await add.get_by_label("Job description").fill(job)
        await add.get_by_role("button", name="Add", exact=True).click()
        await expect(_column(page, status)).to_contain_text(company)
    await assert_contrast(page)
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
    await assert_contrast(page)
    await page.screenshot(path=str(shots / "05-application-timeline.png"), full_page=True)
    await page.keyboard.press("Escape")
    await expect(timeline).to_be_hidden()

    await _cover_letters(page, stack, shots, tokens, Publisher(redis, settings.realtime))
    await _analysis(page, shots)
    await _edit_and_stats(page, stack, shots, tokens)
    await _resume_versions(page, shots)

    # The server restarts. Meanwhile another replica records a change: when the api is back, the
    # dashboard reconnects with its last event id and the replayed `application.changed` updates the board.
    stop_api(stack.api)
    await expect(connection).to_have_attribute("data-state", "reconnecting", timeout=LIVE_WITHIN)
    await expect(connection).to_have_text("Reconnecting…")
    await assert_contrast(page)
    await page.screenshot(path=str(shots / "06-reconnecting.png"), full_page=True)
    replica = stack.start_api(free_port())
    try:
        await wait_ready(replica)
        async with httpx.AsyncClient(base_url=replica.url, timeout=30) as http:
            response = await http.post(
                "/api/v1/applications",
                json={"company": "Babbage & Co", "role": "Engineer", "status": "screening"},
                headers=tokens.headers,
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
    await expect(page.locator("#activity li[data-type='resume.parsed']")).to_have_count(2)
    await expect(page.locator("#activity li[data-type='cover_letter.completed']")).to_have_count(1)
    await expect(page.locator("#activity li[data-type='cover_letter.cancelled']")).to_have_count(1)
    await expect(page.locator("#activity li[data-type='analysis.completed']")).to_have_count(1)
    assert await page.locator("#activity li[data-type='cover_letter.delta']").count() == 0
    await assert_contrast(page)
    await page.screenshot(path=str(shots / "07-live-activity.png"), full_page=True)

    # Responsive: the board in one column on a phone.
    await page.get_by_role("tab", name="Applications").click()
    await page.set_viewport_size({"width": 390, "height": 844})
    board_width = await page.locator("#board").evaluate("b => b.getBoundingClientRect().width")
    column_width = await _column(page, "wishlist").evaluate("c => c.getBoundingClientRect().width")
    assert column_width > board_width * 0.9  # one column per row
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    await assert_contrast(page)
    await page.screenshot(path=str(shots / "08-mobile-board.png"), full_page=True)

    # Sign out: back to the forms, the socket closed for good.
    await page.set_viewport_size({"width": 1280, "height": 860})
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(connection).to_have_attribute("data-state", "stopped")
    assert page_errors == []


async def _cover_letters(page: Page, stack: Stack, shots: Path, tokens: AccessTokens, publisher: Publisher) -> None:
    """From a card: generate a letter and watch it stream, edit, save and copy it; cancel a second one."""
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    card = page.locator(".app-card", has_text="Analytical Engines")
    await card.get_by_role("button", name="Cover letter").click()
    panel = page.locator("#panel-letters")
    await expect(panel).to_be_visible()
    application_id = await card.get_attribute("data-id")
    await expect(panel.get_by_label("Application")).to_have_value(application_id or "")
    assert await _unlabelled_fields(page) == []
    await panel.get_by_label("Resume version").select_option(label="Engineering resume — version 1")
    await panel.get_by_label("Tone").select_option("enthusiastic")
    await panel.get_by_label("Extra instructions").fill("Mention that I can start in May.")
    await panel.get_by_role("button", name="Generate").click()

    letter = page.locator("#letter")
    text = page.locator("#letter-text")
    await expect(letter).to_have_attribute("data-status", "streaming", timeout=AI_WITHIN)
    await page.wait_for_function("() => document.querySelector('#letter-text').value.length > 40", timeout=AI_WITHIN)
    partial = await text.input_value()
    await expect(text).to_have_attribute("readonly", "")
    # A delta sent again with a seq already shown (a replay, a resumed worker) is not shown twice.
    letter_id = await letter.get_attribute("data-id")
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        me = await http.get("/api/v1/me", headers=tokens.headers)
        user_id = me.json()["id"]
    resent = events.CoverLetterDeltaData(cover_letter_id=uuid.UUID(letter_id or ""), seq=1, text="RESENT-PIECE")
    await publisher.publish(user_id, events.CoverLetterDelta(data=resent))
    await page.wait_for_function(
        "n => document.querySelector('#letter-text').value.length > n", arg=len(partial) + 20, timeout=AI_WITHIN
    )
    streamed = await text.input_value()
    assert streamed.startswith(partial) and "RESENT-PIECE" not in streamed
    await assert_contrast(page)
    await page.screenshot(path=str(shots / "11-cover-letter-streaming.png"), full_page=True)
    await expect(letter).to_have_attribute("data-status", "completed", timeout=AI_WITHIN)
    written = await text.input_value()
    assert written.startswith(partial) and len(written) > len(partial)  # deltas in seq order, none twice
    assert "RESENT-PIECE" not in written
    assert "Analytical Engines" in written

    # Edit and save (PATCH), then copy to the clipboard.
    await text.fill(written + "\n\nP.S. I can start in May.")
    await panel.get_by_role("button", name="Save changes").click()
    await expect(page.locator("#letter-status")).to_have_text("Saved.")
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        stored = await http.get(f"/api/v1/cover-letters/{letter_id}", headers=tokens.headers)
        assert stored.json()["content"].endswith("P.S. I can start in May.")
    await panel.get_by_role("button", name="Copy").click()
    await expect(page.locator("#letter-status")).to_have_text("Copied to the clipboard.")
    assert (await page.evaluate("navigator.clipboard.readText()")).endswith("P.S. I can start in May.")
    await assert_contrast(page)
    await page.screenshot(path=str(shots / "12-cover-letter-edited.png"), full_page=True)

    # A second letter, cancelled while it streams: the text so far is kept, both are listed.
    await panel.get_by_label("Tone").select_option("concise")
    await panel.get_by_role("button", name="Generate").click()
    await expect(letter).to_have_attribute("data-status", "streaming", timeout=AI_WITHIN)
    await panel.get_by_role("button", name="Cancel").click()
    await expect(letter).to_have_attribute("data-status", "cancelled", timeout=AI_WITHIN)
    await expect(page.locator("#letter-list li")).to_have_count(2)
    await expect(page.locator("#letter-list li[data-status='cancelled']")).to_have_count(1)
    await expect(page.locator("#letter-list li[data-status='completed']")).to_have_count(1)
    await page.get_by_role("tab", name="Applications").click()


async def _analysis(page: Page, shots: Path) -> None:
    """From a card: analyse the resume against the job; the result appears on `analysis.completed`."""
    card = page.locator(".app-card", has_text="Analytical Engines")
    await card.get_by_role("button", name="Analyse").click()
    panel = page.locator("#panel-analyses")
    await expect(panel).to_be_visible()
    await expect(panel.get_by_label("Application")).to_have_value(await card.get_attribute("data-id") or "")
    assert await _unlabelled_fields(page) == []
    await panel.get_by_label("Resume version").select_option(label="Engineering resume — version 1")
    await panel.get_by_role("button", name="Run the analysis").click()
    result = page.locator("#analysis")
    await expect(result).to_have_attribute("data-status", "completed", timeout=AI_WITHIN)
    score = int(await page.locator("#analysis-score").inner_text())
    assert 0 <= score <= 100
    assert await page.locator("#analysis-meter").evaluate("m => m.value") == score
    keywords = await page.locator("#analysis-matched li, #analysis-missing li").all_inner_texts()
    assert any(word.lower() in ("python", "postgresql", "docker", "kubernetes", "react", "aws") for word in keywords)
    assert await page.locator("#analysis-checks li").count() >= 1
    await assert_contrast(page)
    await page.screenshot(path=str(shots / "13-analysis.png"), full_page=True)
    await page.get_by_role("tab", name="Applications").click()


async def _edit_and_stats(page: Page, stack: Stack, shots: Path, tokens: AccessTokens) -> None:
    """Edit every field of an application in its dialog; the card, the timeline and the stats follow."""
    stats = page.locator("#stats")
    await expect(stats.locator("#stats-total")).to_have_text("3")
    # the one moved to Applied, and the one created in Interview (an interview implies an application)
    await expect(stats.locator("#stats-applied")).to_have_text("2")
    card = page.locator(".app-card", has_text="Difference Works")
    await card.get_by_role("button", name="Edit").click()
    dialog = page.locator("#edit-application")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("Company")).to_have_value("Difference Works")
    await expect(dialog.get_by_label("Company")).to_be_focused()
    assert await _unlabelled_fields(page) == []
    await dialog.get_by_label("Status", exact=True).select_option("applied")
    await dialog.get_by_label("Note on the status change").fill("Sent by email")
    await dialog.get_by_label("Location").fill("London")
    await dialog.get_by_label("Work mode").select_option("hybrid")
    await dialog.get_by_label("Job URL").fill("https://jobs.example.com/difference")
    await dialog.get_by_label("Source").fill("referral")
    await dialog.get_by_label("Salary from").fill("50000")
    await dialog.get_by_label("Salary to").fill("70000")
    await dialog.get_by_label("Currency").fill("GBP")
    await dialog.get_by_label("Applied on").fill("2026-01-05T09:30")
    await dialog.get_by_label("Follow up on").fill("2026-02-01T10:00")
    await dialog.get_by_label("Tags").fill("maths, engines")
    await dialog.get_by_label("Resume version").select_option(label="Engineering resume — version 1")
    await dialog.get_by_label("Notes").fill("Ask about the difference engine.")
    await assert_contrast(page)
    await page.screenshot(path=str(shots / "14-application-edit.png"), full_page=True)
    await dialog.get_by_role("button", name="Save the application").click()
    await expect(dialog).to_be_hidden()

    await expect(_column(page, "applied")).to_contain_text("Difference Works")
    card = page.locator(".app-card", has_text="Difference Works")
    await expect(card.locator(".tags li")).to_have_text(["maths", "engines"])
    await expect(card.locator(".follow-up")).to_contain_text("1 Feb 2026")
    await expect(stats.locator("#stats-applied")).to_have_text("3")
    await expect(stats.locator("#stats-funnel li[data-status='applied'] .n")).to_have_text("2")
    await expect(stats.locator("#stats-sources")).to_contain_text("referral")
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        saved = (
            await http.get(
                f"/api/v1/applications/{await card.get_attribute('data-id')}",
                headers=tokens.headers,
            )
        ).json()
    assert saved["tags"] == ["maths", "engines"] and saved["remote"] == "hybrid" and saved["source"] == "referral"
    assert (saved["salary_min"], saved["salary_max"], saved["currency"]) == (50000, 70000, "GBP")
    assert saved["applied_at"].startswith("2026-01-05T09:30")  # the browser's zone is UTC (conftest)
    assert saved["next_follow_up_at"].startswith("2026-02-01T10:00")
    assert saved["resume_version_id"] is not None and saved["notes"] == "Ask about the difference engine."
    await card.get_by_role("button", name="Timeline").click()
    await expect(page.locator("#timeline")).to_contain_text("Wishlist → Applied — Sent by email")
    await page.keyboard.press("Escape")
    await stats.scroll_into_view_if_needed()
    await assert_contrast(page)
    await page.screenshot(path=str(shots / "15-applications-stats.png"), full_page=True)


async def _resume_versions(page: Page, shots: Path) -> None:
    """The versions of a resume, and a new version uploaded and parsed live."""
    await page.get_by_role("tab", name="Resumes").click()
    await page.get_by_text("Versions of Engineering resume").click()
    versions = page.locator("#resume-list .version-list li")
    await expect(versions).to_have_count(1)
    await expect(versions.first).to_contain_text("Version 1: resume-matcher-single-column.pdf, parsed")
    assert await _unlabelled_fields(page) == []
    await page.get_by_label("New version of Engineering resume (PDF)").set_input_files(str(SECOND_PDF))
    await page.get_by_role("button", name="Upload the new version", exact=True).click()
    await expect(page.locator("#parse-title")).to_have_text("Engineering resume, version 2")
    await expect(page.locator("#parsed")).to_be_visible(timeout=PARSE_WITHIN)
    await expect(versions).to_have_count(2, timeout=PARSE_WITHIN)
    parsed = page.locator("#resume-list .version-list li[data-status='parsed']")
    await expect(parsed).to_have_count(2, timeout=PARSE_WITHIN)
    await expect(page.locator("#resume-list")).to_contain_text("version 2, parsed")
    await assert_contrast(page)
    await page.screenshot(path=str(shots / "16-resume-versions.png"), full_page=True)
    await page.get_by_role("tab", name="Applications").click()


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
        # The loads after sign-in are done: a REST call answered 401 by the disable would sign out
        # through the refresh path ("session ended") before the socket's 4401 arrives.
        await page.wait_for_load_state("networkidle")

        response = await http.patch(
            f"/api/v1/admin/users/{user.user_id}", json={"is_active": False}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=LIVE_WITHIN)
    await expect(page.locator("#flash")).to_contain_text("disabled or deleted")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "stopped")
    # a reload does not bring the account back: the refresh cookie's session ended with the account
    await page.reload()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.locator("#account")).to_be_hidden()


async def test_a_session_ended_elsewhere_signs_the_dashboard_out_without_reconnecting(page: Page, stack: Stack) -> None:
    """Close code 4001: another session changes the password, which ends the dashboard's session;
    its socket is closed at once and the dashboard shows the sign-in forms without trying again."""
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        user = await factories.account(http)
        await page.goto(stack.url + "/")
        sign_in = page.locator("#sign-in")
        await sign_in.get_by_label("Email").fill(user.email)
        await sign_in.get_by_label("Password").fill(user.password)
        await sign_in.get_by_role("button", name="Sign in").click()
        await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)
        await page.wait_for_load_state("networkidle")  # no REST call left to notice the end first
        sockets: list[str] = []
        page.on("websocket", lambda ws: sockets.append(ws.url))

        change = await http.post(
            "/api/v1/me/password",
            json={"current_password": user.password, "new_password": "an entirely new passphrase"},
            headers=user.headers,
        )
        assert change.status_code == 204, change.text
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=5_000)
    await expect(page.locator("#flash")).to_contain_text("session ended")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "stopped")
    await page.wait_for_timeout(1_500)  # past the client's first retry delay
    assert sockets == []  # no reconnect attempt
