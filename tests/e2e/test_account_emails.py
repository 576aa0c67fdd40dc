"""The links of the account emails open the dashboard: `PUBLIC_URL/verify-email?token=…`
confirms the address, "Forgot your password?" queues a reset email whose `PUBLIC_URL/reset-password?token=…`
link asks for a new password and signs in with it. The token never stays in the address bar."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from backend.platform.db.tables import User
from tests import factories
from tests.e2e.a11y import assert_contrast
from tests.e2e.stack import Stack

NEW_PASSWORD = "a brand new passphrase"


async def test_email_links_verify_and_reset(page: Page, stack: Stack, shots: Path, page_errors: list[str]) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        account = await factories.account(http, email=f"grace-{uuid.uuid4().hex[:8]}@example.com")
        assert (await http.get("/api/v1/me", headers=account.headers)).json()["email_verified"] is False

        # The verification link, as the email the worker sent has it: confirmed, and the token gone from the URL.
        [verification] = await stack.emails_to(account.email, 1)
        link = stack.link_in(verification, "verify-email")
        await page.goto(link)
        status = page.locator("#email-link-status")
        await expect(status).to_have_text("Your email address is confirmed. Thank you!")
        assert page.url == stack.url + "/"
        verified = await User.select(User.email_verified_at).where(User.id == uuid.UUID(account.user_id)).first()
        assert verified is not None and verified["email_verified_at"] is not None
        await assert_contrast(page)
        await page.screenshot(path=str(shots / "09-email-verified.png"), full_page=True)

        # The same link again: spent, said so.
        await page.goto(link)
        await expect(status).to_contain_text("could not confirm")

        # Forgot password: the form answers the same whether or not the account exists.
        await page.goto(stack.url + "/")
        await page.get_by_text("Forgot your password?").click()
        await page.locator("#forgot").get_by_label("Email").fill(account.email)
        await page.get_by_role("button", name="Email me a reset link").click()
        await expect(page.locator("#forgot-status")).to_contain_text("a reset link is on its way")

        # The reset link: a new password, then signed in with it; the old password no longer works.
        _, reset = await stack.emails_to(account.email, 2)
        link = stack.link_in(reset, "reset-password")
        await page.goto(link)
        assert page.url == stack.url + "/"
        form = page.locator("#reset-password")
        await expect(form).to_be_visible()
        await form.get_by_label("Email").fill(account.email)
        await form.get_by_label("New password").fill(NEW_PASSWORD)
        await assert_contrast(page)
        await page.screenshot(path=str(shots / "10-reset-password.png"), full_page=True)
        await form.get_by_role("button", name="Set the new password").click()
        await expect(page.locator("#workspace")).to_be_visible()
        await expect(page.locator("#email-link")).to_be_hidden()
        old = await http.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
        assert old.status_code == 401
    assert page_errors == []
