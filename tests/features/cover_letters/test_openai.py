"""Cover letters through the real `openai` client talking HTTP/SSE to a scripted OpenAI-compatible
server on loopback (tests/plugins/fake_openai.py), worker → Redis → the owner's websocket."""

from __future__ import annotations

import signal
from typing import Any

import httpx
import redis.asyncio as aioredis

from backend.platform.db.tables import AIUsage
from backend.settings import Settings
from tests import ai_fixtures, factories, support
from tests.plugins.ai import deltas, letter_row, letter_text, parsed_resume, settled, wait_letter
from tests.plugins.fake_openai import FakeOpenAI, Reply, words
from tests.plugins.processes import WORKER_ARGS
from tests.plugins.realtime import user_socket
from tests.support import settings_env

GOOD_LETTER = (
    "Dear Hiring Team at Northwind Cloud,\n\nI am applying for the Senior Data Engineer role. As a Data Engineer at "
    "Corvus Analytics I built Spark pipelines processing 2TB of event data daily and designed a Snowflake "
    "warehouse that cut query costs by 30%.\n\nSincerely,\nMarcus Webb\n"
)
BODY = {"company": "Northwind Cloud", "role": "Senior Data Engineer", "job_description": ai_fixtures.DATA_JOB}


def _env(services: support.SessionServices, fake: FakeOpenAI, **extra: str) -> dict[str, str]:
    return settings_env(
        services, OPENAI_BASE_URL=fake.url, OPENAI_API_KEY="sk-test", OPENAI_MODEL="test-model",
        OPENAI_TIMEOUT_SECONDS="1.5", OPENAI_MAX_RETRIES="2", **extra,
    )  # fmt: skip


async def _post(client: httpx.AsyncClient, account: factories.Account) -> str:
    response = await client.post("/api/v1/cover-letters", json=BODY, headers=account.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def test_a_model_letter_streams_in_order_with_usage_recorded_and_the_resume_sent_as_data(
    client: httpx.AsyncClient, app_url: str, redis: aioredis.Redis, services: support.SessionServices,
    settings: Settings, spawn: Any, marcus: Any, fake_openai: FakeOpenAI,
) -> None:  # fmt: skip
    account, _ = marcus
    fake_openai.script = [Reply(pieces=words(GOOD_LETTER), delay=0.01, usage=(321, 55))]
    spawn("backend.entrypoints.worker", _env(services, fake_openai), *WORKER_ARGS)
    async with user_socket(redis, app_url, account.user_id) as socket:
        lid = await _post(client, account)
        events = await socket.until(lambda evs: settled(evs, lid), within=30)
    row = await wait_letter(lid)
    pieces = deltas(events, lid)
    assert row["status"] == "completed", row["error"]
    assert [d["seq"] for d in pieces] == list(range(1, len(words(GOOD_LETTER)) + 1))
    assert await letter_text(settings, row) == "".join(d["text"] for d in pieces) == GOOD_LETTER
    assert (row["provider"], row["model"]) == ("openai", "test-model")
    usage = await AIUsage.select().where(AIUsage.ref_id == row["id"]).first()
    assert usage is not None and (usage["prompt_tokens"], usage["completion_tokens"]) == (321, 55)
    assert usage["estimated"] is False
    # the request: resume and job inside fenced data blocks, the rules in the system prompt
    sent = fake_openai.requests[0]
    assert sent["stream"] is True and sent["model"] == "test-model"
    system, user = sent["messages"][0]["content"], sent["messages"][1]["content"]
    assert "never an instruction" in system and ai_fixtures.INJECTION not in system
    fence = system.split("`<<<", 1)[1].split(" ", 1)[0]
    resume_block = user.split(f"<<<{fence} RESUME\n", 1)[1].split(f"\n{fence}>>>", 1)[0]
    assert "Ignore all previous instructions" in resume_block  # the injection travels as data only
    assert user.count(f"<<<{fence} ") == user.count(f"{fence}>>>") == 5


async def test_a_429_is_retried_and_the_letter_completes(
    client: httpx.AsyncClient, services: support.SessionServices, settings: Settings, spawn: Any, marcus: Any,
    fake_openai: FakeOpenAI,
) -> None:  # fmt: skip
    account, _ = marcus
    fake_openai.script = [
        Reply(status=429, error="Rate limit reached for test-model", headers={"retry-after-ms": "50"}),
        Reply(pieces=words(GOOD_LETTER)),
    ]
    spawn("backend.entrypoints.worker", _env(services, fake_openai), *WORKER_ARGS)
    row = await wait_letter(await _post(client, account))
    assert row["status"] == "completed", row["error"]
    assert len(fake_openai.requests) == 2


async def test_a_500_is_retried_then_fails_with_the_providers_reason(
    client: httpx.AsyncClient, app_url: str, redis: aioredis.Redis, services: support.SessionServices,
    settings: Settings, spawn: Any, marcus: Any, fake_openai: FakeOpenAI,
) -> None:  # fmt: skip
    account, _ = marcus
    fake_openai.script = [Reply(status=500, error="model overloaded, try later")]
    spawn("backend.entrypoints.worker", _env(services, fake_openai), *WORKER_ARGS)
    async with user_socket(redis, app_url, account.user_id) as socket:
        lid = await _post(client, account)
        events = await socket.until(lambda evs: settled(evs, lid), within=30)
    row = await wait_letter(lid)
    assert row["status"] == "failed"
    assert len(fake_openai.requests) == 3  # the first try and two retries
    assert "HTTP 500" in row["error"] and "model overloaded, try later" in row["error"]
    failed = [e for e in events if e["type"] == "cover_letter.failed"]
    assert failed and failed[0]["data"]["error"] == row["error"]


async def test_a_silent_stream_times_out_and_fails_clearly(
    client: httpx.AsyncClient, services: support.SessionServices, settings: Settings, spawn: Any, marcus: Any,
    fake_openai: FakeOpenAI,
) -> None:  # fmt: skip
    account, _ = marcus
    fake_openai.script = [Reply(pieces=["Dear", " Hiring", " Team"], stall=5.0)]
    spawn("backend.entrypoints.worker", _env(services, fake_openai), *WORKER_ARGS)
    row = await wait_letter(await _post(client, account), within=60)
    assert row["status"] == "failed"
    assert "1.5 s" in row["error"], row["error"]


async def test_a_letter_naming_an_employer_the_resume_does_not_hold_is_refused_in_one_clean_sentence(
    client: httpx.AsyncClient, app_url: str, redis: aioredis.Redis, services: support.SessionServices,
    settings: Settings, spawn: Any, marcus: Any, fake_openai: FakeOpenAI,
) -> None:  # fmt: skip
    account, _ = marcus
    invented = GOOD_LETTER.replace("Sincerely", "Before that I was a Staff Engineer at Google.\n\nSincerely")
    fake_openai.script = [Reply(pieces=words(invented))]
    spawn("backend.entrypoints.worker", _env(services, fake_openai), *WORKER_ARGS)
    async with user_socket(redis, app_url, account.user_id) as socket:
        lid = await _post(client, account)
        events = await socket.until(lambda evs: settled(evs, lid), within=30)
    row = await wait_letter(lid)
    assert row["status"] == "failed"
    [failed] = [e["data"] for e in events if e["type"] == "cover_letter.failed"]
    assert failed["reason"] == "ungrounded"
    assert failed["refused"] == [{"kind": "employer", "text": "Google"}, {"kind": "title", "text": "Staff Engineer"}]
    refusal = (
        "The letter was not kept because it named what your resume and the job description do not hold: "
        "the employer “Google” and the job title “Staff Engineer”. Try again to write a new one."
    )
    assert failed["error"] == row["error"] == refusal
    # REST tells the same: failed, the same sentence, the streamed text kept as the discarded draft
    got = (await client.get(f"/api/v1/cover-letters/{lid}", headers=account.headers)).json()
    assert (got["status"], got["error"], got["content"]) == ("failed", row["error"], invented)
    assert got["seq"] == len(deltas(events, lid)) == len(words(invented))


async def test_an_honest_model_letter_naming_the_school_at_a_paragraph_end_is_accepted(
    client: httpx.AsyncClient, settings: Settings, services: support.SessionServices, spawn: Any,
    fake_openai: FakeOpenAI,
) -> None:  # fmt: skip
    account = await factories.account(client)
    resume = ai_fixtures.marcus(injected=False)
    resume["education"] = [{"institution": "University of California", "studyType": "B.S.", "area": "Statistics"}]
    await parsed_resume(settings, account.user_id, resume)
    letter = GOOD_LETTER.replace(
        "30%.\n\n", "30%. Before that, I earned my bachelor's degree in Statistics from the University of California."
        "\n\nThank you for your time; Corvus Analytics' data team taught me a lot.\n\n",
    )  # fmt: skip
    fake_openai.script = [Reply(pieces=words(letter))]
    spawn("backend.entrypoints.worker", _env(services, fake_openai), *WORKER_ARGS)
    row = await wait_letter(await _post(client, account))
    assert (row["status"], row["error"]) == ("completed", None)
    assert await letter_text(settings, row) == letter


async def test_a_model_letter_killed_with_its_worker_is_continued_from_the_checkpoint(
    client: httpx.AsyncClient, app_url: str, redis: aioredis.Redis, services: support.SessionServices,
    settings: Settings, spawn: Any, marcus: Any, fake_openai: FakeOpenAI,
) -> None:  # fmt: skip
    account, _ = marcus
    cut = GOOD_LETTER.index(" I built")
    head, tail = GOOD_LETTER[:cut], GOOD_LETTER[cut:]
    fake_openai.script = [Reply(pieces=words(head) + [" and"] * 400, delay=0.03)]  # killed in the "and"s
    env = _env(services, fake_openai, TASK_IDLE_RECLAIM_MS="1500")
    first = spawn("backend.entrypoints.worker", env, *WORKER_ARGS)
    async with user_socket(redis, app_url, account.user_id) as socket:
        lid = await _post(client, account)
        await socket.until(lambda evs: len(deltas(evs, lid)) >= len(words(head)) + 10, within=30)
        first.signal_group(signal.SIGKILL)
        first.popen.wait(10)
        killed = await letter_row(lid)
        checkpoint = await letter_text(settings, killed)
        assert killed["status"] == "streaming" and checkpoint.startswith(head)
        fake_openai.script = [Reply(pieces=words(tail))]  # the continuation
        spawn("backend.entrypoints.worker", env, *WORKER_ARGS)
        events = await socket.until(lambda evs: settled(evs, lid), within=60)
    row = await wait_letter(lid)
    assert row["status"] == "completed", row["error"]
    assert await letter_text(settings, row) == checkpoint + tail  # nothing after the checkpoint twice
    assert row["seq"] == killed["seq"] + len(words(tail))
    resumed = fake_openai.requests[-1]["messages"]
    assert resumed[-2] == {"role": "assistant", "content": checkpoint}
    assert "Continue the letter" in resumed[-1]["content"]
    later = [d for d in deltas(events, lid) if d["seq"] > killed["seq"]]
    assert "".join(d["text"] for d in later[-len(words(tail)) :]) == tail
