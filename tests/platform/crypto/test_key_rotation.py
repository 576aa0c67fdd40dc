"""Rotating the envelope's master key to the end: add a new key as the active one, write, run
`manage rewrap`, remove the old key, and everything still decrypts (users' details, stored answers,
letters, parsed resumes, the stored files: resume PDFs and imported job pages). Removing the old key
before the rewrap is refused at start by the api and the worker, with a message naming the key and
what it still wraps."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import uuid
from asyncio.subprocess import PIPE

import httpx
import pytest

from backend.entrypoints.api import create_app
from backend.features.resumes.parsing import parsed_aad
from backend.platform.crypto import key_usage
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.tables import CoverLetter, IdempotencyRecord, ResumeVersion, User
from backend.settings import Settings
from tests import factories
from tests.plugins.services import served
from tests.support import ROOT, SessionServices, settings_env

OLD, NEW = os.urandom(32), os.urandom(32)


def _keys(*pairs: tuple[str, bytes]) -> str:
    return ",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in pairs)


def _pdf() -> bytes:
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Rotating Keys, rotating@example.com")
    data: bytes = doc.tobytes()
    doc.close()
    return data


async def _run(env: dict[str, str], *args: str, timeout: float = 120) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(*args, cwd=ROOT, env=env, stdout=PIPE, stderr=PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_rotate_write_rewrap_remove_the_old_key_and_everything_still_decrypts(
    services: SessionServices, db: None
) -> None:
    env_old = settings_env(services, ENCRYPTION_KEYS=_keys(("old", OLD)), ENCRYPTION_ACTIVE_KID="old")
    env_both = settings_env(services, ENCRYPTION_KEYS=_keys(("old", OLD), ("new", NEW)), ENCRYPTION_ACTIVE_KID="new")
    env_new = settings_env(services, ENCRYPTION_KEYS=_keys(("new", NEW)), ENCRYPTION_ACTIVE_KID="new")
    idem = {"Idempotency-Key": "rotate-1"}
    body = {"company": "Rotor", "role": "Keeper"}

    # 1. Everything written under the old key.
    async with served(create_app(Settings.from_env(env_old))) as url, httpx.AsyncClient(base_url=url) as client:
        first = await factories.account(client)
        await client.patch("/api/v1/me", json={"phone": "+1 555 0100"}, headers=first.headers)
        made = await client.post("/api/v1/applications", json=body, headers={**first.headers, **idem})
        assert made.status_code == 201, made.text
        uploaded = await client.post(
            "/api/v1/resumes", files={"file": ("cv.pdf", _pdf(), "application/pdf")}, headers=first.headers
        )
        assert uploaded.status_code == 202, uploaded.text
        resume = uploaded.json()
        page = {"url": "https://rotor.example/jobs/keeper", "html": "<title>Keeper</title><p>Keep the keys.</p>"}
        imported = await client.post("/api/v1/applications/import-url", json=page, headers=first.headers)
        assert imported.status_code == 201, imported.text
        imported_id = imported.json()["application"]["id"]
    old_envelope = Envelope({"old": OLD}, "old")
    version_id = uuid.UUID(resume["latest_version"]["id"])
    await ResumeVersion.update(
        {ResumeVersion.parsed: old_envelope.encrypt_json({"basics": {"name": "R"}}, parsed_aad(version_id))}
    ).where(ResumeVersion.id == version_id)
    letter_id = uuid.uuid4()
    await CoverLetter(
        id=letter_id, user=uuid.UUID(first.user_id), company="Rotor", role="Keeper", status="completed",
        content=old_envelope.encrypt_text("Dear Rotor,", f"cover_letters.content:{letter_id}"),
    ).save()  # fmt: skip

    # 2. Rotation: the new key is active, the old one still listed; new writes use the new key.
    async with served(create_app(Settings.from_env(env_both))) as url, httpx.AsyncClient(base_url=url) as client:
        second = await factories.account(client)
        assert (await client.get("/api/v1/me", headers=first.headers)).json()["phone"] == "+1 555 0100"
    usage = await key_usage.usage()
    assert usage["users.pii"] == {"old": 1, "new": 1}
    assert usage[key_usage.FILES] == {"old": 1}
    assert usage["application_snapshots.object_kid"] == {"old": 1}

    # 3. Removing the old key now is refused, by the check and by the processes at start.
    with pytest.raises(key_usage.MissingKeyError) as refused:
        await key_usage.check_keys({"new"})
    message = str(refused.value)
    assert "master key 'old' wraps 6 stored blob(s)" in message, message
    assert "users.pii: 1" in message and "resume_versions.object_kid: 1" in message and "manage rewrap" in message
    assert "application_snapshots.object_kid: 1" in message
    status, _, err = await _run(env_new, sys.executable, "-m", "backend.entrypoints.worker", "--workers", "1")
    assert status == 2 and "master key 'old' wraps 6 stored blob(s)" in err, err
    api = (sys.executable, "-m", "uvicorn", "--factory", "backend.entrypoints.api:app_from_env", "--port", "0")
    status, out, err = await _run(env_new, *api)
    assert status != 0 and "master key 'old' wraps 6 stored blob(s)" in out + err, out + err

    # 4. The rewrap, resumable and with progress; run twice, the second has nothing to do.
    manage = (sys.executable, "-m", "backend.entrypoints.manage")
    status, out, err = await _run(env_both, *manage, "rewrap", "--batch", "1")
    assert status == 0, out + err
    report = json.loads(out)
    assert (
        report["rewrapped"]
        == {
            "users.pii": 1,
            "idempotency_records.response_body": 1,
            "cover_letters.content": 1,
            "resume_versions.parsed": 1,
            "resume_versions.object_kid": 1,
            "application_snapshots.object_kid": 1,
        }
        and report["left"] == {}
    ), report
    assert "users.pii: 1/1" in err  # progress
    status, out, _ = await _run(env_both, *manage, "rewrap")
    assert status == 0 and json.loads(out)["rewrapped"] == {}
    await key_usage.check_keys({"new"})

    # 5. The old key gone: everything still decrypts through the api.
    async with served(create_app(Settings.from_env(env_new))) as url, httpx.AsyncClient(base_url=url) as client:
        me = (await client.get("/api/v1/me", headers=first.headers)).json()
        assert (me["full_name"], me["phone"]) == ("Ada Lovelace", "+1 555 0100")
        assert (await client.get("/api/v1/me", headers=second.headers)).status_code == 200
        replayed = await client.post("/api/v1/applications", json=body, headers={**first.headers, **idem})
        assert replayed.headers.get("idempotent-replayed") == "true" and replayed.json() == made.json()
        letter = await client.get(f"/api/v1/cover-letters/{letter_id}", headers=first.headers)
        assert letter.status_code == 200 and letter.json()["content"] == "Dear Rotor,", letter.text
        file = await client.get(f"/api/v1/resumes/{resume['id']}/versions/{version_id}/file", headers=first.headers)
        assert file.status_code == 200 and file.content.startswith(b"%PDF"), file.text
        snapshot = await client.get(f"/api/v1/applications/{imported_id}/snapshot", headers=first.headers)
        assert snapshot.status_code == 200 and snapshot.text == page["html"], snapshot.text
        exported = (await client.get("/api/v1/me/export", headers=first.headers)).json()
        assert exported["user"]["phone"] == "+1 555 0100"
    new_envelope = Envelope({"new": NEW}, "new")
    row = await ResumeVersion.select(ResumeVersion.parsed).where(ResumeVersion.id == version_id).first()
    assert row is not None
    assert new_envelope.decrypt_json(bytes(row["parsed"]), parsed_aad(version_id)) == {"basics": {"name": "R"}}
    stored = await IdempotencyRecord.select(IdempotencyRecord.response_body).first()
    assert stored is not None and Envelope.key_id(bytes(stored["response_body"])) == "new"
    assert await User.count() == 2
