"""A cover letter refused by the grounding check, in a real browser, with a model endpoint configured
(the scripted OpenAI-compatible server of the AI tests, on loopback).

The model's first letter names an employer the resume does not hold: the dashboard shows why in one
clean sentence, never shows the streamed text as the letter (it is folded away as a discarded draft)
and offers "Try again", which writes a new letter from the same inputs; the model's second letter is
grounded and kept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Page, expect

from backend.settings import Settings
from tests import ai_fixtures, factories
from tests.e2e.a11y import assert_contrast, tab_to
from tests.e2e.stack import Stack
from tests.plugins.ai import parsed_resume
from tests.plugins.fake_openai import FakeOpenAI, Reply, words

LIVE_WITHIN = 20_000
AI_WITHIN = 60_000
GROUNDED = (
    "Dear Hiring Team at Northwind Cloud,\n\nI am applying for the Senior Data Engineer role. As a Data Engineer at "
    "Corvus Analytics I built Spark pipelines processing 2TB of event data daily and designed a Snowflake "
    "warehouse that cut query costs by 30%.\n\nSincerely,\nMarcus Webb\n"
)
INVENTED = GROUNDED.replace("Sincerely", "Before that, I led the data platform at Initech Systems.\n\nSincerely")
REFUSAL = (
    "The letter was not kept because it named what your resume and the job description do not hold: "
    "the employer “Initech Systems”. Try again to write a new one."
)


@pytest_asyncio.fixture
async def model() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI(script=[Reply(pieces=words(INVENTED), delay=0.01), Reply(pieces=words(GROUNDED), delay=0.01)])
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def stack_env(model: FakeOpenAI) -> dict[str, str]:
    return {"OPENAI_BASE_URL": model.url, "OPENAI_API_KEY": "sk-test", "OPENAI_MODEL": "test-model"}


async def test_a_refused_letter_says_why_hides_its_draft_and_try_again_writes_a_new_one(
    page: Page, stack: Stack, settings: Settings, model: FakeOpenAI, shots: Path, page_errors: list[str]
) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        account = await factories.account(http)
        await parsed_resume(settings, account.user_id, ai_fixtures.marcus(injected=False))
        body = {"company": "Northwind Cloud", "role": "Senior Data Engineer", "job_description": ai_fixtures.DATA_JOB}
        created = await http.post("/api/v1/applications", json=body, headers=account.headers)
        assert created.status_code == 201, created.text

        await page.goto(stack.url + "/")
        form = page.locator("#sign-in")
        await form.get_by_label("Email").fill(account.email)
        await form.get_by_label("Password").fill(account.password)
        await form.get_by_role("button", name="Sign in").click()
        await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)
        await page.get_by_role("tab", name="Applications").click()
        await page.locator(".app-card", has_text="Northwind Cloud").get_by_role("button", name="Cover letter").click()
        panel = page.locator("#panel-letters")
        await panel.get_by_role("button", name="Generate").click()

        # Refused: the reason in one sentence, no letter to edit or copy, the draft folded away.
        letter = page.locator("#letter")
        await expect(letter).to_have_attribute("data-status", "failed", timeout=AI_WITHIN)
        await expect(page.locator("#letter-status")).to_have_text(REFUSAL)
        for hidden in ("#letter-text", "#letter-copy", "#letter-save", "#letter-cancel"):
            await expect(page.locator(hidden)).to_be_hidden()
        draft = page.locator("#letter-draft")
        await expect(draft).to_be_visible()
        await expect(page.locator("#letter-draft-text")).to_be_hidden()  # folded until asked for
        await draft.get_by_text("Show the discarded draft (not kept)").click()
        await expect(page.locator("#letter-draft-text")).to_have_text(INVENTED.strip())
        await expect(page.locator("#letter-list li[data-status='failed']")).to_have_count(1)
        await assert_contrast(page)
        await page.screenshot(path=str(shots / "21-cover-letter-refused.png"), full_page=True)

        # REST says the same as the dashboard: failed, the same sentence, the refused text as the draft.
        failed_id = await letter.get_attribute("data-id")
        got = (await http.get(f"/api/v1/cover-letters/{failed_id}", headers=account.headers)).json()
        assert (got["status"], got["error"], got["content"]) == ("failed", REFUSAL, INVENTED)

        # "Try again", from the keyboard: a new letter from the same inputs, streamed and kept.
        await tab_to(page, page.get_by_role("button", name="Try again"))
        await page.keyboard.press("Enter")
        await expect(letter).to_have_attribute("data-status", "completed", timeout=AI_WITHIN)
        assert await letter.get_attribute("data-id") != failed_id
        await expect(page.locator("#letter-text")).to_have_value(GROUNDED)
        await expect(page.locator("#letter-text")).to_be_focused()
        await expect(page.locator("#letter-failure")).to_be_hidden()
        await expect(draft).to_be_hidden()
        await expect(page.locator("#letter-copy")).to_be_visible()
        await expect(page.locator("#letter-list li[data-status='completed']")).to_have_count(1)
        await expect(page.locator("#letter-list li[data-status='failed']")).to_have_count(1)
        assert len(model.requests) == 2
        first, second = (r["messages"][-1]["content"] for r in model.requests)
        for asked in (first, second):  # the same application, resume and tone both times
            assert "Northwind Cloud" in asked and "Senior Data Engineer" in asked and "Corvus Analytics" in asked
    assert page_errors == []
