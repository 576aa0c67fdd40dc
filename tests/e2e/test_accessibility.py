"""Keyboard and contrast: the board operated with the keyboard alone (sign
in, reach the board, move a card, edit it, delete one after a confirmation), and a WCAG contrast
check of the text on the screen, which is itself shown to catch low-contrast text."""

from __future__ import annotations

import httpx
from playwright.async_api import Locator, Page, expect

from tests import factories
from tests.e2e.a11y import assert_contrast, low_contrast, tab_to
from tests.e2e.stack import Stack

LIVE_WITHIN = 20_000


def _column(page: Page, status: str) -> Locator:
    return page.locator(f".column[data-status='{status}']")


async def _focused(page: Page) -> str:
    return str(await page.evaluate("document.activeElement?.id || document.activeElement?.textContent || ''"))


async def test_the_board_by_keyboard_alone(page: Page, stack: Stack, page_errors: list[str]) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        account = await factories.account(http)
        ids = {}
        for company in ("Analytical Engines", "Difference Works"):
            body = {"company": company, "role": "Programmer", "status": "wishlist"}
            response = await http.post("/api/v1/applications", json=body, headers=account.headers)
            assert response.status_code == 201, response.text
            ids[company] = response.json()["id"]

    # Sign in: Tab to the fields, type, Enter submits.
    await page.goto(stack.url + "/")
    await tab_to(page, "#sign-in-email")
    await page.keyboard.type(account.email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(account.password)
    await page.keyboard.press("Enter")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)

    # The tab list: one Tab stop, arrow keys move between tabs.
    await tab_to(page, "#tab-resumes")
    await page.keyboard.press("ArrowRight")
    await expect(page.locator("#panel-applications")).to_be_visible()
    await expect(_column(page, "wishlist")).to_contain_text("Analytical Engines")
    await assert_contrast(page)

    # Move a card: its status select, the arrow key, and the focus stays on it after the reload.
    engines = ids["Analytical Engines"]
    await tab_to(page, f"#move-{engines}")
    await page.keyboard.press("ArrowDown")  # wishlist -> applied
    await expect(_column(page, "applied")).to_contain_text("Analytical Engines")
    await expect(page.locator(f"#move-{engines}")).to_be_focused()

    # Edit it: Enter on "Edit" opens the dialog on its first field; Enter in a field saves.
    card = page.locator(f".app-card[data-id='{engines}']")
    await tab_to(page, card.get_by_role("button", name="Edit"))
    await page.keyboard.press("Enter")
    dialog = page.locator("#edit-application")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("Company")).to_be_focused()
    await assert_contrast(page)
    await page.keyboard.press("Tab")  # Role
    await page.keyboard.press("Control+A")
    await page.keyboard.type("Chief programmer")
    await page.keyboard.press("Enter")
    await expect(dialog).to_be_hidden()
    await expect(card).to_contain_text("Chief programmer")
    await expect(page.locator(f"#move-{engines}")).to_be_focused()

    # Delete: the confirmation opens on "Keep it"; Escape keeps the card and gives the focus back.
    await tab_to(page, card.get_by_role("button", name="Delete Analytical Engines, Chief programmer"))
    await page.keyboard.press("Enter")
    confirm = page.locator("#confirm")
    await expect(confirm).to_be_visible()
    await expect(confirm.get_by_role("button", name="Keep it")).to_be_focused()
    await assert_contrast(page)
    await page.keyboard.press("Escape")
    await expect(confirm).to_be_hidden()
    await expect(card).to_be_visible()
    await expect(card.get_by_role("button", name="Delete Analytical Engines, Chief programmer")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(confirm.get_by_role("button", name="Keep it")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(confirm.get_by_role("button", name="Delete the application")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(card).to_have_count(0)
    await expect(page.locator("#flash")).to_have_text("Deleted Analytical Engines, Chief programmer.")
    await assert_contrast(page)  # the "info" flash too
    # The focus is not lost: it went to the "Add an application" summary (no other card in the column).
    assert await _focused(page) == "Add an application"
    await expect(_column(page, "wishlist")).to_contain_text("Difference Works")
    assert page_errors == []


async def test_the_contrast_check_catches_low_contrast_text(page: Page, stack: Stack) -> None:
    """The check is not vacuous: faint text, text made faint by opacity and dark-on-dark text fail it."""
    await page.goto(stack.url + "/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert await low_contrast(page) == []
    await page.evaluate(
        # styled through the CSSOM: the page's CSP blocks style="" attributes
        """() => {
          const add = (parent, tag, id, text, style) => {
            const element = Object.assign(document.createElement(tag), { textContent: text });
            if (id) element.id = id;
            Object.assign(element.style, style);
            parent.append(element);
            return element;
          };
          const auth = document.querySelector('#auth');
          add(auth, 'p', 'faint', 'faint grey on white', { color: '#aaaaaa' });
          add(add(auth, 'div', '', '', { opacity: '.3' }), 'p', 'see-through', 'dimmed by opacity', {});
          add(add(auth, 'div', '', '', { background: '#1b1f24' }), 'p', 'dark', 'dark on dark', { color: '#333b45' });
          add(auth, 'p', 'fine', 'dark grey on white is fine', { color: '#595959' });
        }"""
    )
    failures = await low_contrast(page)
    assert [failure.split(" ")[0] for failure in failures] == ["#faint", "#see-through", "#dark"], failures
    assert failures[0] == '#faint "faint grey on white": 2.15:1 (rgb(170, 170, 170) on rgb(245, 246, 248))'
