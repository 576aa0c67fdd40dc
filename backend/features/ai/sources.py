"""The inputs of an AI task, owned by the user: a parsed resume version and a job (application or text)."""

from __future__ import annotations

import uuid
from typing import Any

from backend import errors
from backend.features.ai import queries
from backend.features.resumes import parsing
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.tables import Application, ResumeVersion


async def owned_application(user_id: uuid.UUID, application_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await Application.select(Application.id, Application.company, Application.role, Application.job_description,
                                 Application.resume_version_id)
        .where((Application.id == application_id) & (Application.user == user_id))
        .first()
    )  # fmt: skip
    if row is None:
        raise errors.NotFound("No such application")
    return row


async def parsed_version(user_id: uuid.UUID, version_id: uuid.UUID | None) -> uuid.UUID:
    """`version_id` if the user owns it and it is parsed; without one, the default resume's newest parsed version."""
    if version_id is not None:
        row = (
            await ResumeVersion.select(ResumeVersion.id, ResumeVersion.status)
            .where((ResumeVersion.id == version_id) & (ResumeVersion.user == user_id))
            .first()
        )
        if row is None:
            raise errors.NotFound("No such resume version")
        if row["status"] != "parsed":
            raise errors.Conflict("This resume version is not parsed (yet)", slug="resume-not-parsed")
        return version_id
    default = await queries.default_parsed_version(user_id)
    if default is None:
        raise errors.Unprocessable(
            "Upload a resume (and wait until it is parsed) first",
            errors=[errors.FieldError("resume_version_id", "no parsed resume version")],
        )
    return default


async def load_resume(envelope: Envelope, version_id: uuid.UUID) -> tuple[dict[str, Any], str] | None:
    """(parsed JSON Resume, extracted text) of a parsed version, decrypted; None when gone or unparsed."""
    row = (
        await ResumeVersion.select(ResumeVersion.parsed, ResumeVersion.text)
        .where((ResumeVersion.id == version_id) & (ResumeVersion.status == "parsed"))
        .first()
    )
    if row is None or row["parsed"] is None:
        return None
    parsed = envelope.decrypt_json(bytes(row["parsed"]), parsing.parsed_aad(version_id))
    text = envelope.decrypt_text(bytes(row["text"]), parsing.text_aad(version_id)) if row["text"] is not None else ""
    return (parsed if isinstance(parsed, dict) else {}), text
