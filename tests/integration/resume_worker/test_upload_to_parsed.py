"""End to end (issue 4 "must show"): an upload through the real api reaches a real worker through
the outbox, and the owner reads the parsed version back over REST while another user sees a 404."""

from __future__ import annotations

import uuid

import httpx
import redis.asyncio as aioredis

from tests import factories, support
from tests.conftest import settings_env
from tests.integration.resume_worker.conftest import GOOD_PDF, WORKER_ARGS, wait_ended, wait_settled
from tests.integration.tasks.conftest import Spawn

URL = "/api/v1/resumes"


async def test_an_upload_through_the_api_ends_parsed_and_readable_by_its_owner_only(
    services: support.SessionServices, client: httpx.AsyncClient, redis: aioredis.Redis, spawn: Spawn
) -> None:
    spawn("tasks.worker", settings_env(services), *WORKER_ARGS)
    owner, other = await factories.account(client), await factories.account(client)
    files = {"file": ("cv.pdf", GOOD_PDF.read_bytes(), "application/pdf")}
    response = await client.post(URL, files=files, headers=owner.headers)
    assert response.status_code == 202, response.text
    resume_id, version_id = response.json()["id"], response.json()["latest_version"]["id"]

    await wait_settled(uuid.UUID(version_id))
    url = f"{URL}/{resume_id}/versions/{version_id}"
    body = (await client.get(url, headers=owner.headers)).json()
    assert body["status"] == "parsed" and body["error"] is None
    assert body["parsed"]["basics"]["name"] and body["parsed"]["work"]
    events = await wait_ended(redis, await _user_id(client, owner))
    assert events[-1]["type"] == "resume.parsed" and events[-1]["data"]["version_id"] == version_id
    assert (await client.get(url, headers=other.headers)).status_code == 404


async def _user_id(client: httpx.AsyncClient, account: factories.Account) -> uuid.UUID:
    me = (await client.get("/api/v1/me", headers=account.headers)).json()
    return uuid.UUID(me["id"])
