"""Cover letters with the builtin offline provider, end to end: api → outbox → worker → Redis → the
owner's real websocket."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import httpx
import redis.asyncio as aioredis

from backend.engines.llm import grounding
from backend.settings import Settings
from tests import ai_fixtures, factories, support
from tests.plugins.ai import deltas, letter_row, letter_text, parsed_resume, settled, wait_letter
from tests.plugins.processes import WORKER_ARGS
from tests.plugins.realtime import user_socket
from tests.support import settings_env

Marcus = tuple[factories.Account, Any]


def _body(**extra: Any) -> dict[str, Any]:
    return {
        "company": "Northwind Cloud",
        "role": "Senior Data Engineer",
        "job_description": ai_fixtures.DATA_JOB,
        **extra,
    }


async def test_a_letter_streams_to_the_owners_socket_in_order_and_is_stored_as_streamed(
    client: httpx.AsyncClient, app_url: str, redis: aioredis.Redis, services: support.SessionServices,
    settings: Settings, spawn: Any, marcus: Marcus,
) -> None:  # fmt: skip
    account, _ = marcus
    worker = spawn("backend.entrypoints.worker", settings_env(services, AI_BUILTIN_TOKEN_DELAY_MS="2"), *WORKER_ARGS)
    async with user_socket(redis, app_url, account.user_id) as socket:
        # warm-up: the worker's first task pays for imports and connections
        warm = await client.post("/api/v1/cover-letters", json=_body(), headers=account.headers)
        assert warm.status_code == 202, warm.text
        await socket.until(lambda evs: settled(evs, warm.json()["id"]), within=30)
        assert (await letter_row(warm.json()["id"]))["status"] == "completed", worker.output()

        posted = time.monotonic()
        response = await client.post("/api/v1/cover-letters", json=_body(tone="enthusiastic"), headers=account.headers)
        assert response.status_code == 202, response.text
        letter = response.json()
        assert letter["status"] == "queued" and letter["content"] == ""
        lid = letter["id"]
        try:
            await socket.until(lambda evs: bool(deltas(evs, lid)), within=10)
        except TimeoutError:
            raise AssertionError(f"{await letter_row(lid)}\n{worker.output()[-3000:]}") from None
        first_delta_ms = (time.monotonic() - posted) * 1000
        events = await socket.until(lambda evs: settled(evs, lid), within=30)

    mine = [e for e in events if e.get("data", {}).get("cover_letter_id") == lid]
    assert mine[-1]["type"] == "cover_letter.completed"
    pieces = deltas(events, lid)
    assert [d["seq"] for d in pieces] == list(range(1, len(pieces) + 1))
    assert all(e["type"] == "cover_letter.delta" for e in mine[:-1])
    row = await letter_row(lid)
    stored = await letter_text(settings, row)
    assert stored == "".join(d["text"] for d in pieces)
    assert (row["status"], row["provider"], row["seq"]) == ("completed", "builtin", len(pieces))
    got = (await client.get(f"/api/v1/cover-letters/{lid}", headers=account.headers)).json()
    assert got["content"] == stored and got["provider"] == "builtin" and got["status"] == "completed"
    # grounded, readable, about this job
    assert stored.startswith("Dear Hiring Team at Northwind Cloud,")
    assert "Corvus Analytics" in stored and "Senior Data Engineer" in stored and stored.rstrip().endswith("Marcus Webb")
    for skill in ("Spark", "Airflow", "Python", "Snowflake", "dbt"):
        assert skill in stored
    assert "hacked" not in stored and "Ignore" not in stored
    assert grounding.check(stored, ai_fixtures.marcus(), company="Northwind Cloud", role="Senior Data Engineer",
                           job_description=ai_fixtures.DATA_JOB) == []  # fmt: skip
    print(f"\nbuiltin: POST -> first delta on the socket {first_delta_ms:.0f} ms, {len(pieces)} deltas")


async def test_the_builtin_letter_of_a_two_page_resume_naming_a_university_is_completed(
    client: httpx.AsyncClient, app_url: str, redis: aioredis.Redis, services: support.SessionServices,
    settings: Settings, spawn: Any,
) -> None:  # fmt: skip
    """No model configured, a real two-page resume: the writer's own sentence naming the school ends a
    paragraph, and the letter is kept."""
    account = await factories.account(client)
    await parsed_resume(settings, account.user_id, ai_fixtures.onyx())
    spawn("backend.entrypoints.worker", settings_env(services, AI_BUILTIN_TOKEN_DELAY_MS="0"), *WORKER_ARGS)
    body = {
        "company": "Northwind Cloud",
        "role": "Senior Frontend Engineer",
        "job_description": ai_fixtures.FRONTEND_JOB,
    }
    async with user_socket(redis, app_url, account.user_id) as socket:
        lid = (await client.post("/api/v1/cover-letters", json=body, headers=account.headers)).json()["id"]
        events = await socket.until(lambda evs: settled(evs, lid), within=30)
    assert [e["type"] for e in events if e["type"] != "cover_letter.delta"][-1] == "cover_letter.completed"
    got = (await client.get(f"/api/v1/cover-letters/{lid}", headers=account.headers)).json()
    assert (got["status"], got["error"]) == ("completed", None)
    assert "at University of California.\n\nThank you" in got["content"]
    assert len(deltas(events, lid)) > 100


async def test_cancel_stops_the_stream_within_a_second_and_keeps_the_partial_text(
    client: httpx.AsyncClient, app_url: str, redis: aioredis.Redis, services: support.SessionServices,
    settings: Settings, spawn: Any, marcus: Marcus,
) -> None:  # fmt: skip
    account, _ = marcus
    spawn("backend.entrypoints.worker", settings_env(services, AI_BUILTIN_TOKEN_DELAY_MS="50"), *WORKER_ARGS)
    async with user_socket(redis, app_url, account.user_id) as socket:
        lid = (await client.post("/api/v1/cover-letters", json=_body(), headers=account.headers)).json()["id"]
        await socket.until(lambda evs: len(deltas(evs, lid)) >= 5, within=30)
        asked = time.monotonic()
        response = await client.post(f"/api/v1/cover-letters/{lid}/cancel", headers=account.headers)
        assert response.status_code == 202, response.text
        events = await socket.until(lambda evs: settled(evs, lid), within=5)
        cancel_ms = (time.monotonic() - asked) * 1000
        await asyncio.sleep(0.3)  # nothing may follow the cancelled event
        events = socket.events
    mine = [e for e in events if e.get("data", {}).get("cover_letter_id") == lid]
    assert mine[-1]["type"] == "cover_letter.cancelled"
    assert cancel_ms < 1000, cancel_ms
    row = await letter_row(lid)
    partial = await letter_text(settings, row)
    assert row["status"] == "cancelled"
    assert partial == "".join(d["text"] for d in deltas(events, lid)) and partial
    again = await client.post(f"/api/v1/cover-letters/{lid}/cancel", headers=account.headers)
    assert again.status_code == 202 and again.json()["status"] == "cancelled"
    print(f"\ncancel: POST cancel -> cover_letter.cancelled on the socket {cancel_ms:.0f} ms")


async def test_a_letter_killed_with_its_worker_is_finished_by_another_without_duplicate_text(
    client: httpx.AsyncClient, app_url: str, redis: aioredis.Redis, services: support.SessionServices,
    settings: Settings, spawn: Any, marcus: Marcus,
) -> None:  # fmt: skip
    account, _ = marcus
    env = settings_env(services, AI_BUILTIN_TOKEN_DELAY_MS="40", TASK_IDLE_RECLAIM_MS="1500")
    first = spawn("backend.entrypoints.worker", env, *WORKER_ARGS)
    async with user_socket(redis, app_url, account.user_id) as socket:
        lid = (await client.post("/api/v1/cover-letters", json=_body(), headers=account.headers)).json()["id"]
        await socket.until(lambda evs: len(deltas(evs, lid)) >= 20, within=30)
        first.signal_group(signal.SIGKILL)
        first.popen.wait(10)
        killed = await letter_row(lid)
        assert killed["status"] == "streaming" and killed["seq"] > 0  # a checkpoint was written
        second = spawn("backend.entrypoints.worker", env, *WORKER_ARGS)  # nothing new is posted
        try:
            events = await socket.until(lambda evs: settled(evs, lid), within=60)
        except TimeoutError:
            raise AssertionError(
                f"{await letter_row(lid)}\n{first.output()[-2000:]}\n{second.output()[-3000:]}"
            ) from None
    row = await wait_letter(lid)
    stored = await letter_text(settings, row)
    assert row["status"] == "completed" and row["attempts"] == 2
    # a client that keeps the first delta of each seq has exactly the stored text
    by_seq: dict[int, str] = {}
    for delta in deltas(events, lid):
        by_seq.setdefault(delta["seq"], delta["text"])
    assert sorted(by_seq) == list(range(1, len(by_seq) + 1))
    assert "".join(by_seq[s] for s in sorted(by_seq)) == stored
    # and no text twice: the same letter a single uninterrupted run writes
    account2 = await factories.account(client)
    await parsed_resume(settings, account2.user_id, ai_fixtures.marcus(injected=True))
    lid2 = (await client.post("/api/v1/cover-letters", json=_body(), headers=account2.headers)).json()["id"]
    try:
        again = await wait_letter(lid2, within=30)
    except BaseException:
        from backend.platform.db.tables import TaskOutbox

        raise AssertionError(
            f"{await letter_row(lid2)}\n{await TaskOutbox.select()}\n{second.output()[-3000:]}"
        ) from None
    assert await letter_text(settings, again) == stored


async def test_other_users_letters_are_404_and_bad_input_is_a_problem(
    client: httpx.AsyncClient, settings: Settings, marcus: Marcus
) -> None:
    account, vid = marcus
    other = await factories.account(client)
    created = await client.post("/api/v1/cover-letters", json=_body(), headers=account.headers)
    lid = created.json()["id"]
    for method, path, body in (
        ("GET", f"/api/v1/cover-letters/{lid}", None),
        ("PATCH", f"/api/v1/cover-letters/{lid}", {"content": "mine now"}),
        ("POST", f"/api/v1/cover-letters/{lid}/cancel", None),
        ("DELETE", f"/api/v1/cover-letters/{lid}", None),
    ):
        response = await client.request(method, path, json=body, headers=other.headers)
        assert response.status_code == 404, (method, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/api/v1/cover-letters", headers=other.headers)).json()["items"] == []
    # another user's resume version or application cannot be used either
    stolen = await client.post("/api/v1/cover-letters", json=_body(resume_version_id=str(vid)), headers=other.headers)
    assert stolen.status_code == 404
    app = await client.post("/api/v1/applications", json={"company": "A", "role": "B"}, headers=account.headers)
    assert app.status_code == 201, app.text
    stolen = await client.post(
        "/api/v1/cover-letters", json={"application_id": app.json()["id"]}, headers=other.headers
    )
    assert stolen.status_code == 404
    # bad input: problem details with field errors
    missing = await client.post("/api/v1/cover-letters", json={"company": "X"}, headers=account.headers)
    assert missing.status_code == 422 and missing.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in missing.json()["errors"]} >= {"role", "job_description"}
    for bad in ({"tone": "rude", **_body()}, {"surprise": 1, **_body()}, {"instructions": "x" * 5000, **_body()}):
        response = await client.post("/api/v1/cover-letters", json=bad, headers=account.headers)
        assert response.status_code in (400, 422), response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    no_resume = await factories.account(client)
    response = await client.post("/api/v1/cover-letters", json=_body(), headers=no_resume.headers)
    assert response.status_code == 422
    assert (await client.get("/api/v1/cover-letters/not-a-uuid", headers=account.headers)).status_code in (400, 404)


async def test_letters_are_listed_per_application_edited_and_deleted(
    client: httpx.AsyncClient, settings: Settings, marcus: Marcus
) -> None:
    account, _ = marcus
    app = (
        await client.post(
            "/api/v1/applications",
            json={"company": "Northwind Cloud", "role": "Data Engineer", "job_description": ai_fixtures.DATA_JOB},
            headers=account.headers,
        )
    ).json()
    one = (
        await client.post("/api/v1/cover-letters", json={"application_id": app["id"]}, headers=account.headers)
    ).json()
    assert (one["company"], one["role"], one["application_id"]) == ("Northwind Cloud", "Data Engineer", app["id"])
    await client.post("/api/v1/cover-letters", json=_body(), headers=account.headers)
    listed = (await client.get(f"/api/v1/cover-letters?application_id={app['id']}", headers=account.headers)).json()
    assert [item["id"] for item in listed["items"]] == [one["id"]]
    page = (await client.get("/api/v1/cover-letters?limit=1", headers=account.headers)).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = await client.get(f"/api/v1/cover-letters?limit=1&cursor={page['next_cursor']}", headers=account.headers)
    assert rest.json()["items"][0]["id"] == one["id"]
    # a queued letter cannot be edited; a cancelled one can
    busy = await client.patch(f"/api/v1/cover-letters/{one['id']}", json={"content": "x"}, headers=account.headers)
    assert busy.status_code == 409
    await client.post(f"/api/v1/cover-letters/{one['id']}/cancel", headers=account.headers)
    edited = await client.patch(
        f"/api/v1/cover-letters/{one['id']}", json={"content": "My own words."}, headers=account.headers
    )
    assert edited.status_code == 200 and edited.json()["content"] == "My own words."
    assert (await client.delete(f"/api/v1/cover-letters/{one['id']}", headers=account.headers)).status_code == 204
    assert (await client.get(f"/api/v1/cover-letters/{one['id']}", headers=account.headers)).status_code == 404


async def test_posting_a_letter_honours_the_idempotency_key(client: httpx.AsyncClient, marcus: Marcus) -> None:
    account, _ = marcus
    headers = {**account.headers, "Idempotency-Key": "letter-1"}
    first = await client.post("/api/v1/cover-letters", json=_body(), headers=headers)
    again = await client.post("/api/v1/cover-letters", json=_body(), headers=headers)
    assert first.status_code == again.status_code == 202 and first.json()["id"] == again.json()["id"]
    other = await client.post("/api/v1/cover-letters", json=_body(tone="concise"), headers=headers)
    assert other.status_code == 422
    listed = (await client.get("/api/v1/cover-letters", headers=account.headers)).json()["items"]
    assert len(listed) == 1
