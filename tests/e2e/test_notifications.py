"""The notification bell in a real browser: the unread count, the list, mark one read and
all read; new notifications arrive live (`notification.created`), and while the tab is hidden a
browser Notification is shown too, once the user has allowed it with a click.

The page's `Notification` API and visibility are replaced by recording fakes (headless Chromium shows
no system notifications to assert on); everything else is the real stack.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from playwright.async_api import Page, expect
from redis import asyncio as aioredis

from backend.features.notifications import service as notifications
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings
from tests import factories
from tests.e2e.a11y import assert_contrast
from tests.e2e.stack import Stack

LIVE_WITHIN = 20_000

FAKE_NOTIFICATIONS = """
window.__shown = [];
window.__hidden = false;
class FakeNotification {
  static permission = "default";
  static async requestPermission() { FakeNotification.permission = "granted"; return "granted"; }
  constructor(title, options) { window.__shown.push({ title, body: options && options.body }); }
}
Object.defineProperty(window, "Notification", { value: FakeNotification, configurable: true, writable: true });
Object.defineProperty(document, "visibilityState", {
  get: () => (window.__hidden ? "hidden" : "visible"), configurable: true,
});
"""


async def test_the_notification_bell(
    page: Page, stack: Stack, shots: Path, page_errors: list[str], settings: Settings, redis: aioredis.Redis
) -> None:
    publisher = Publisher(redis, settings.realtime)

    async def notify(title: str, body: str) -> None:
        note = await notifications.create(uuid.UUID(account.user_id), "follow_up_reminder", title, body)
        await notifications.announce(publisher, uuid.UUID(account.user_id), note)

    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        account = await factories.account(http)
    await page.add_init_script(FAKE_NOTIFICATIONS)
    await page.goto(stack.url + "/")
    sign_in = page.locator("#sign-in")
    await sign_in.get_by_label("Email").fill(account.email)
    await sign_in.get_by_label("Password").fill(account.password)
    await sign_in.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)
    bell = page.get_by_role("button", name="Notifications, 0 unread")
    await expect(bell).to_be_visible()
    await expect(page.locator("#bell-count")).to_be_hidden()

    # Browser notifications are asked for on a click, never on load.
    await bell.click()
    await expect(page.locator("#bell-panel")).to_be_visible()
    await expect(bell).to_have_attribute("aria-expanded", "true")
    await page.get_by_role("button", name="Enable browser notifications").click()
    await expect(page.locator("#bell-permission-status")).to_contain_text("Browser notifications are on")
    await expect(page.get_by_role("button", name="Enable browser notifications")).to_be_hidden()
    await page.keyboard.press("Escape")
    await expect(page.locator("#bell-panel")).to_be_hidden()

    # Live: a notification while the tab is visible updates the bell only ...
    await notify("Follow up with Analytical Engines", "You applied a week ago.")
    await expect(page.locator("#bell-count")).to_have_text("1", timeout=LIVE_WITHIN)
    await expect(page.get_by_role("button", name="Notifications, 1 unread")).to_be_visible()
    assert await page.evaluate("window.__shown.length") == 0
    # ... and one while it is hidden shows a browser notification too.
    await page.evaluate("window.__hidden = true")
    await notify("Follow up with Royal Society", "Your interview was on Monday.")
    await expect(page.locator("#bell-count")).to_have_text("2", timeout=LIVE_WITHIN)
    shown = await page.evaluate("window.__shown")
    assert shown == [{"title": "Follow up with Royal Society", "body": "Your interview was on Monday."}]
    await page.evaluate("window.__hidden = false")

    # The list, newest first; mark one read, then all.
    await page.get_by_role("button", name="Notifications, 2 unread").click()
    items = page.locator("#bell-list li")
    await expect(items).to_have_count(2)
    await expect(items.first).to_contain_text("Royal Society")
    await assert_contrast(page)
    await page.screenshot(path=str(shots / "17-notifications.png"), full_page=True)
    await page.get_by_role("button", name='Mark "Follow up with Royal Society" as read').click()
    await expect(page.locator("#bell-count")).to_have_text("1")
    await expect(page.locator("#bell-list li.unread")).to_have_count(1)
    await _reloaded_from_rest(page, stack)
    await page.get_by_role("button", name="Mark all as read").click()
    await expect(page.locator("#bell-count")).to_be_hidden()
    await expect(page.locator("#bell-list li.read")).to_have_count(2)
    await expect(page.get_by_role("button", name="Notifications, 0 unread")).to_be_visible()

    # The count is the server's: still 0 after a reload.
    await page.reload()
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)
    await expect(page.get_by_role("button", name="Notifications, 0 unread")).to_be_visible()
    assert page_errors == []


async def _reloaded_from_rest(page: Page, stack: Stack) -> None:
    """After a reload the unread count and list come from REST (GET /notifications)."""
    await page.reload()
    await expect(page.locator("#bell-count")).to_have_text("1", timeout=LIVE_WITHIN)
    await page.get_by_role("button", name="Notifications, 1 unread").click()
    await expect(page.locator("#bell-list li")).to_have_count(2)
