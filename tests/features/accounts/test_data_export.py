"""`GET /me/export` holds all of the user's data: resumes with their parsed data,
applications with their timelines, cover letters, analyses and the emails sent, decrypted where they
are stored encrypted, and nothing of another user's, and no secret."""

from __future__ import annotations

from typing import Any

import httpx

from backend.platform.db.tables import Analysis, CoverLetter, EmailOutbox
from backend.settings import Settings
from tests import ai_fixtures, factories, support
from tests.plugins.ai import wait_letter
from tests.plugins.processes import WORKER_ARGS
from tests.support import eventually, settings_env


async def test_the_export_holds_every_kind_of_the_users_data_and_nothing_else(
    client: httpx.AsyncClient, services: support.SessionServices, settings: Settings, spawn: Any, marcus: Any
) -> None:
    account, vid = marcus
    other = await factories.account(client)
    body = {"company": "Northwind Cloud", "role": "Data Engineer", "job_description": ai_fixtures.DATA_JOB}
    app = (await client.post("/api/v1/applications", json=body, headers=account.headers)).json()
    moved = {"status": "applied", "status_note": "sent via the careers page"}
    assert (await client.patch(f"/api/v1/applications/{app['id']}", json=moved, headers=account.headers)).is_success
    await client.post("/api/v1/applications", json={"company": "Not mine", "role": "X"}, headers=other.headers)
    spawn("backend.entrypoints.worker", settings_env(services), *WORKER_ARGS)
    letter = (
        await client.post("/api/v1/cover-letters", json={"application_id": app["id"]}, headers=account.headers)
    ).json()
    analysis = (
        await client.post("/api/v1/analyses", json={"application_id": app["id"]}, headers=account.headers)
    ).json()
    assert (await wait_letter(letter["id"]))["status"] == "completed"

    async def analysed() -> bool:
        return await Analysis.count().where((Analysis.id == analysis["id"]) & (Analysis.status == "completed")) > 0

    await eventually(analysed, 30, "the analysis to complete")

    response = await client.get("/api/v1/me/export", headers=account.headers)
    assert response.status_code == 200, response.text
    export = response.json()

    (resume,) = export["resumes"]
    (version,) = resume["versions"]
    assert version["id"] == str(vid) and version["status"] == "parsed"
    assert version["parsed"] == ai_fixtures.marcus(injected=True)  # decrypted, as stored
    (application,) = export["applications"]
    assert (application["id"], application["status"]) == (app["id"], "applied")
    timeline = [(e["from_status"], e["to_status"], e["note"]) for e in application["timeline"]]
    assert timeline == [(None, "wishlist", ""), ("wishlist", "applied", "sent via the careers page")]
    (exported_letter,) = export["cover_letters"]
    stored = await CoverLetter.select(CoverLetter.id).where(CoverLetter.id == letter["id"]).first()
    assert stored is not None and exported_letter["id"] == letter["id"]
    assert exported_letter["status"] == "completed" and len(exported_letter["content"]) > 200  # decrypted text
    assert (
        exported_letter["content"]
        == (await client.get(f"/api/v1/cover-letters/{letter['id']}", headers=account.headers)).json()["content"]
    )
    (exported_analysis,) = export["analyses"]
    assert exported_analysis["id"] == analysis["id"] and 0 <= exported_analysis["score"] <= 100
    sent = await EmailOutbox.select(EmailOutbox.template).where(EmailOutbox.user == account.user_id)
    assert sorted(e["template"] for e in export["emails"]) == sorted(e["template"] for e in sent) != []
    assert "Not mine" not in response.text and other.email not in response.text
    for secret in ("password_hash", "token_hash", account.refresh_token, "argon2", "token=", "context"):
        assert secret not in response.text
