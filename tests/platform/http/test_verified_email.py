"""REQUIRE_VERIFIED_EMAIL: costly routes (uploads, cover letters, analyses) answer 403
`email-not-verified` to a user who has not confirmed their address, and work once they have. On by
default in production only."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from backend.platform.db.tables import Analysis, CoverLetter, ResumeVersion
from backend.settings import Settings
from tests import ai_fixtures, factories, support
from tests.features.resumes.test_uploads import make_pdf
from tests.plugins.ai import parsed_resume
from tests.plugins.services import served
from tests.support import settings_env

LETTER = {"company": "Northwind Cloud", "role": "Senior Data Engineer", "job_description": ai_fixtures.DATA_JOB}
PRODUCTION = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql://db/app",
    "REDIS_URL": "redis://cache:6379/0",
    "JWT_KEYS": "k:" + os.urandom(24).hex(),
    "SMTP_HOST": "smtp.example.com",
    "ENCRYPTION_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
    "PUBLIC_URL": "https://careers.example.com",
}


def test_on_by_default_in_production_only() -> None:
    assert Settings.from_env(PRODUCTION).auth.require_verified_email is True
    assert Settings.from_env({**PRODUCTION, "REQUIRE_VERIFIED_EMAIL": "false"}).auth.require_verified_email is False
    assert Settings.from_env({"APP_ENV": "development"}).auth.require_verified_email is False
    assert Settings.from_env({"APP_ENV": "test"}).auth.require_verified_email is False
    assert Settings.from_env({"APP_ENV": "test", "REQUIRE_VERIFIED_EMAIL": "true"}).auth.require_verified_email


@pytest_asyncio.fixture
async def strict(services: support.SessionServices, db: None) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an api with REQUIRE_VERIFIED_EMAIL on."""
    from backend.entrypoints.api import create_app

    settings = Settings.from_env(settings_env(services, REQUIRE_VERIFIED_EMAIL="true"))
    async with served(create_app(settings)) as url, httpx.AsyncClient(base_url=url, timeout=60) as http:
        yield http


async def costly_requests(
    client: httpx.AsyncClient, settings: Settings, account: factories.Account
) -> list[httpx.Response]:
    """An upload, a new version, a cover letter and both forms of analysis, as `account`."""
    vid = await parsed_resume(settings, account.user_id, ai_fixtures.marcus())
    rid = (await ResumeVersion.select(ResumeVersion.resume).where(ResumeVersion.id == vid).first() or {})["resume"]
    pdf, other = (make_pdf(["Ada Lovelace", f"analyst {uuid.uuid4().hex}", "ada@example.com"]) for _ in range(2))
    files = {"file": ("cv.pdf", pdf, "application/pdf")}
    headers = account.headers
    analysis = {"resume_version_id": str(vid), "job_description": "Python and SQL"}
    return [
        await client.post("/api/v1/resumes", files=files, headers=headers),
        await client.post(
            f"/api/v1/resumes/{rid}/versions", files={"file": ("v.pdf", other, "application/pdf")}, headers=headers
        ),
        await client.post("/api/v1/cover-letters", json=LETTER, headers=headers),
        await client.post("/api/v1/analyses", json=analysis, headers=headers),
        await client.post(
            f"/api/v1/resumes/{rid}/versions/{vid}/analyses", json={"job_description": "Python"}, headers=headers
        ),
    ]


async def test_unverified_users_get_403_on_every_costly_route_and_nothing_is_done(
    strict: httpx.AsyncClient, settings: Settings
) -> None:
    account = await factories.account(strict)
    responses = await costly_requests(strict, settings, account)
    for response in responses:
        assert response.status_code == 403, (response.request.url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["type"].endswith(":email-not-verified")
        assert "verification email" in body["detail"] and "verify-email/resend" in body["detail"]
    assert await ResumeVersion.count() == 1  # only the parsed resume the test wrote itself
    assert await CoverLetter.count() == 0 and await Analysis.count() == 0
    # reads stay open
    assert (await strict.get("/api/v1/resumes", headers=account.headers)).status_code == 200


async def test_a_verified_user_passes(strict: httpx.AsyncClient, settings: Settings) -> None:
    account = await factories.verified_account(strict)
    statuses = [response.status_code for response in await costly_requests(strict, settings, account)]
    assert statuses == [202] * 5


async def test_off_in_the_test_environment(client: httpx.AsyncClient, settings: Settings) -> None:
    account = await factories.account(client)
    statuses = [response.status_code for response in await costly_requests(client, settings, account)]
    assert statuses == [202] * 5
