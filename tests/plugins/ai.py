"""What the AI tests share: users with a parsed resume (`marcus`, `parsed_resume`) and cover letters
read back (`wait_letter`, `letter_text`, `deltas`)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest_asyncio

from backend.features.cover_letters.service import decrypt_content
from backend.features.resumes import parsing
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.tables import CoverLetter, Resume, ResumeVersion
from backend.settings import Settings
from tests import ai_fixtures, factories
from tests.support import eventually

FINAL = ("completed", "failed", "cancelled")


async def parsed_resume(settings: Settings, user_id: str, resume: dict[str, Any], text: str = "") -> uuid.UUID:
    """A parsed resume version of the user, stored as the parse worker stores it (encrypted)."""
    envelope = Envelope.from_settings(settings.encryption)
    rid, vid = uuid.uuid4(), uuid.uuid4()
    await Resume(id=rid, user=uuid.UUID(user_id), title="Resume", is_default=True).save()
    await ResumeVersion(
        id=vid, resume=rid, user=uuid.UUID(user_id), number=1, status="parsed", filename="resume.pdf", size=1,
        sha256=uuid.uuid4().hex, object_key=f"k/{vid}", pages=1,
        parsed=envelope.encrypt_json(resume, parsing.parsed_aad(vid)),
        text=envelope.encrypt_text(text or ai_fixtures.marcus_text(), parsing.text_aad(vid)),
    ).save()  # fmt: skip
    return vid


@pytest_asyncio.fixture
async def marcus(client: httpx.AsyncClient, settings: Settings) -> tuple[factories.Account, uuid.UUID]:
    """A user whose default resume is the adversarial fixture (injection included)."""
    account = await factories.account(client)
    vid = await parsed_resume(settings, account.user_id, ai_fixtures.marcus(injected=True))
    return account, vid


async def letter_row(letter_id: str) -> dict[str, Any]:
    row = await CoverLetter.select().where(CoverLetter.id == uuid.UUID(letter_id)).first()
    assert row is not None
    return row


async def letter_text(settings: Settings, row: dict[str, Any]) -> str:
    return decrypt_content(Envelope.from_settings(settings.encryption), row)


async def wait_letter(letter_id: str, within: float = 30) -> dict[str, Any]:
    async def final() -> dict[str, Any] | None:
        row = await letter_row(letter_id)
        return row if row["status"] in FINAL else None

    row = await eventually(final, within, f"cover letter {letter_id} to settle")
    assert isinstance(row, dict)
    return row


def deltas(events: list[dict[str, Any]], letter_id: str) -> list[dict[str, Any]]:
    return [
        e["data"] for e in events if e["type"] == "cover_letter.delta" and e["data"]["cover_letter_id"] == letter_id
    ]


def settled(events: list[dict[str, Any]], letter_id: str) -> bool:
    return any(
        e["type"] in ("cover_letter.completed", "cover_letter.failed", "cover_letter.cancelled")
        and e["data"]["cover_letter_id"] == letter_id
        for e in events
    )
