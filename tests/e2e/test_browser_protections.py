"""In Chromium: the dashboard works under its Content Security Policy (inline code is blocked, the
dashboard's own code is not), and its refresh token lives in an HttpOnly cookie no script can read,
which keeps the session across a reload and is gone after signing out.

Every browser test also fails on any CSP violation (the `page` fixture), so the whole journey (sign-up,
board, streaming cover letter, email links) runs under the policy."""

from __future__ import annotations

import asyncio

import httpx
from playwright.async_api import Page, expect

from tests import factories
from tests.e2e.stack import AccessTokens, Stack

LIVE_WITHIN = 20_000  # ms

# What a script can read of the browser's storage and cookies.
_STORAGE = """() => JSON.stringify({
  session: Object.fromEntries(Object.entries(sessionStorage)),
  local: Object.fromEntries(Object.entries(localStorage)),
  cookie: document.cookie,
})"""


async def test_inline_code_is_blocked_and_the_dashboard_is_not(
    page: Page, stack: Stack, csp_violations: list[str]
) -> None:
    answer = await page.goto(stack.url + "/")
    assert answer is not None
    policy = await answer.header_value("content-security-policy")
    assert policy is not None and "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()  # the module script ran

    # What an injected payload would try: an inline script, an inline event handler, an inline style.
    await page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__inline = 1";
          document.head.append(script);
          const image = document.createElement("img");
          image.setAttribute("onerror", "window.__handler = 1");
          image.src = "/no-such-image.png";
          document.body.append(image);
          const styled = document.createElement("div");
          styled.setAttribute("style", "color: red");
          document.body.append(styled);
        }"""
    )
    await page.wait_for_function("() => document.querySelector('img[onerror]').complete")
    assert await page.evaluate("window.__inline") is None
    assert await page.evaluate("window.__handler") is None
    for _ in range(50):  # the reports arrive through the page's binding, asynchronously
        if sum("script-src" in v for v in csp_violations) >= 2 and any("style-src" in v for v in csp_violations):
            break
        await asyncio.sleep(0.1)
    assert any("script-src-elem" in violation for violation in csp_violations), csp_violations  # <script>
    assert any("script-src-attr" in violation for violation in csp_violations), csp_violations  # onerror=
    assert any("style-src-attr" in violation for violation in csp_violations), csp_violations  # style=
    csp_violations.clear()  # seen: the fixture checks that nothing else broke the policy


async def test_the_refresh_token_is_an_httponly_cookie_that_survives_a_reload(page: Page, stack: Stack) -> None:
    tokens = AccessTokens(page)
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        user = await factories.account(http)
    await page.goto(stack.url + "/")
    sign_in = page.locator("#sign-in")
    await sign_in.get_by_label("Email").fill(user.email)
    await sign_in.get_by_label("Password").fill(user.password)
    await sign_in.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#who")).to_have_text("Ada Lovelace")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)

    # Chromium kept the Secure cookie on http://127.0.0.1, HttpOnly, SameSite=Strict, for the auth routes only.
    [cookie] = [c for c in await page.context.cookies() if c["name"] == "ccp_refresh"]
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/api/v1/auth" and cookie["domain"] == "127.0.0.1"
    assert cookie["expires"] > 0  # outlives the browser session, like the refresh token
    first_access = tokens.latest
    assert first_access is not None
    readable = await page.evaluate(_STORAGE)
    assert cookie["value"] not in readable and first_access not in readable
    assert "ccp_refresh" not in readable and "token" not in readable

    # A reload: the page asks the api for a new access token with the cookie, and stays signed in.
    await page.reload()
    await expect(page.locator("#who")).to_have_text("Ada Lovelace")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)
    assert tokens.latest is not None and tokens.latest != first_access
    [rotated] = [c for c in await page.context.cookies() if c["name"] == "ccp_refresh"]
    assert rotated["value"] != cookie["value"]  # spent and replaced
    readable = await page.evaluate(_STORAGE)
    assert rotated["value"] not in readable and tokens.latest not in readable
    # A second tab of the same browser shares the session (one rotation at a time, no reuse alarm).
    second = await page.context.new_page()
    await second.goto(stack.url + "/")
    await expect(second.locator("#who")).to_have_text("Ada Lovelace")
    await second.close()
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        assert (await http.get("/api/v1/me", headers=tokens.headers)).status_code == 200

    # Sign out: the session ends on the server and the cookie is gone; a reload stays signed out.
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert not [c for c in await page.context.cookies() if c["name"] == "ccp_refresh"]
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        assert (await http.get("/api/v1/me", headers=tokens.headers)).status_code == 401
    await page.reload()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.locator("#account")).to_be_hidden()
