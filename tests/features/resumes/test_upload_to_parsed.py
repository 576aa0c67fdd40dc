"""End to end, on the local-disk store and on S3 (a moto server on loopback):
an upload through the real api reaches a real worker through the outbox; the owner's socket hears
the parse progress and then `resume.parsed`; the file rests encrypted in the store; the owner reads
the parsed version back over REST, while another user gets 404s and hears nothing but pings."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from backend.platform.crypto.envelope import Envelope
from tests import factories
from tests.plugins.processes import WORKER_ARGS, Spawn
from tests.plugins.realtime import history, user_socket
from tests.plugins.resumes import GOOD_PDF, Stack, version

URL = "/api/v1/resumes"
PARSE_WITHIN = 60  # seconds, overall: the worker starts, relays the job and parses


def _ended(events: list[dict[str, Any]]) -> bool:
    return bool(events) and events[-1]["type"] in ("resume.parsed", "resume.parse.failed")


def _event_id(event: dict[str, Any]) -> tuple[int, int]:
    milliseconds, sequence = event["id"].split("-")
    return int(milliseconds), int(sequence)


async def test_an_upload_is_parsed_announced_to_its_owner_only_and_readable_by_its_owner_only(
    stack: Stack, db: None, redis: aioredis.Redis, spawn: Spawn
) -> None:
    worker = spawn("backend.entrypoints.worker", stack.worker_env, *WORKER_ARGS)
    pdf = GOOD_PDF.read_bytes()
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
        owner, other = await factories.account(client), await factories.account(client)
        async with (
            user_socket(redis, stack.api_url, owner.user_id) as owner_socket,
            user_socket(redis, stack.api_url, other.user_id) as other_socket,
        ):
            files = {"file": ("cv.pdf", pdf, "application/pdf")}
            response = await client.post(URL, files=files, headers=owner.headers)
            assert response.status_code == 202, response.text
            resume_id, version_id = response.json()["id"], response.json()["latest_version"]["id"]
            try:
                events = await owner_socket.until(_ended, PARSE_WITHIN)
            except TimeoutError:
                pytest.fail(f"the parse did not end within {PARSE_WITHIN}s: {owner_socket.frames}\n{worker.output()}")
            await other_socket.alive()  # open all along: it got every frame sent to it

        # The owner heard progress with increasing percentages, then `resume.parsed`, ids increasing:
        # every event published to them, live.
        types = [event["type"] for event in events]
        assert types == ["resume.parse.progress"] * (len(types) - 1) + ["resume.parsed"], events
        percents = [event["data"]["percent"] for event in events[:-1]]
        assert len(percents) >= 2 and percents == sorted(set(percents)) and percents[-1] == 100
        assert all(event["data"]["version_id"] == version_id for event in events)
        assert events[-1]["data"] == {"resume_id": resume_id, "version_id": version_id}
        ids = [_event_id(event) for event in events]
        assert ids == sorted(set(ids))
        assert [event["id"] for event in events] == [e["id"] for e in await history(redis, uuid.UUID(owner.user_id))]
        # The other user heard nothing but the answers to our two pings (and server pings, if any).
        assert [frame for frame in other_socket.frames if frame != {"type": "ping"}] == [{"type": "pong"}] * 2
        assert await history(redis, uuid.UUID(other.user_id)) == []  # nothing was published to them at all

        # The file rests encrypted in the stack's store (and only there).
        key = (await version(uuid.UUID(version_id)))["object_key"]
        at_rest = stack.read_raw(key)
        assert not at_rest.startswith(b"%PDF") and len(at_rest) > len(pdf)
        assert Envelope.key_id(at_rest) == "dev"  # our envelope, sealed with the test key
        if stack.store == "s3":
            assert not stack.local_dir.joinpath(key).exists()

        # Over REST: the owner reads the parsed version and the original file; the other user gets 404s.
        version_url = f"{URL}/{resume_id}/versions/{version_id}"
        body = (await client.get(version_url, headers=owner.headers)).json()
        assert body["status"] == "parsed" and body["error"] is None
        assert body["parsed"]["basics"]["name"] and body["parsed"]["work"]
        download = await client.get(f"{version_url}/file", headers=owner.headers)
        assert download.status_code == 200 and download.content == pdf
        for url in (f"{URL}/{resume_id}", version_url, f"{version_url}/file"):
            assert (await client.get(url, headers=other.headers)).status_code == 404, url
