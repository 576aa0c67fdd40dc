"""Interview rounds of an application: validation, the envelope of their private details, and the
timeline entries they add (scheduled, moved, given an outcome, removed), written in the transaction
of the change. Reminders before them are the notifications feature's (`interview_reminders.py`),
which reads `starts_at` and `outcome`: moving an interview reschedules them, an outcome other than
`pending` stops them. Stateless module functions (no Litestar import)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import msgspec

from backend import errors
from backend.features.applications import activity
from backend.features.applications import queries as applications
from backend.features.interviews import queries as repo
from backend.features.interviews import schemas
from backend.platform import clock
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.engine import DB
from backend.platform.db.replicas import routed_reads

_PRIVATE = ("place_or_link", "people", "contact_ids", "prep_notes")


def aad(interview_id: uuid.UUID | str) -> str:
    return f"interviews.details:{interview_id}"


def details_of(envelope: Envelope, row: dict[str, Any]) -> schemas.Details:
    blob = row.get("details")
    if blob is None:
        return schemas.Details()
    return envelope.decrypt_json(bytes(blob), aad(row["id"]), schemas.Details)


def to_out(envelope: Envelope, row: dict[str, Any], live_contacts: set[uuid.UUID]) -> schemas.InterviewOut:
    details = details_of(envelope, row)
    return schemas.InterviewOut(
        id=row["id"],
        application_id=row["application_id"],
        kind=row["kind"],
        starts_at=row["starts_at"],
        ends_at=row["starts_at"] + timedelta(minutes=row["duration_minutes"]),
        duration_minutes=row["duration_minutes"],
        place_or_link=details.place_or_link,
        link=details.place_or_link if schemas.is_link(details.place_or_link) else None,
        people=details.people,
        contact_ids=[c for c in details.contact_ids if c in live_contacts],
        prep_notes=details.prep_notes,
        outcome=row["outcome"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def _outs(envelope: Envelope, user_id: uuid.UUID, rows: list[dict[str, Any]]) -> list[schemas.InterviewOut]:
    """Rows as answers; contact ids of deleted contacts are left out."""
    decrypted = [(row, details_of(envelope, row)) for row in rows]
    mentioned = list({c for _, details in decrypted for c in details.contact_ids})
    live = await repo.own_contacts(user_id, mentioned)
    return [to_out(envelope, row, live) for row, _ in decrypted]


async def _check_contacts(user_id: uuid.UUID, contact_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    unique = list(dict.fromkeys(contact_ids))
    if set(unique) - await repo.own_contacts(user_id, unique):
        raise errors.Unprocessable(errors=[errors.FieldError("contact_ids", "no such contact")])
    return unique


def _people(names: list[str]) -> list[str]:
    return [name.strip() for name in names]


async def list_for(envelope: Envelope, user_id: uuid.UUID, application_id: uuid.UUID) -> list[schemas.InterviewOut]:
    with routed_reads(user_id):
        await applications.get_owned(user_id, application_id)
        rows = await repo.of_application(user_id, application_id)
        return await _outs(envelope, user_id, rows)


async def get(
    envelope: Envelope, user_id: uuid.UUID, application_id: uuid.UUID, interview_id: uuid.UUID
) -> schemas.InterviewOut:
    with routed_reads(user_id):
        row = await repo.get_owned(user_id, application_id, interview_id)
        return (await _outs(envelope, user_id, [row]))[0]


async def create(
    envelope: Envelope, user_id: uuid.UUID, application_id: uuid.UUID, body: schemas.InterviewCreate
) -> schemas.InterviewOut:
    contact_ids = await _check_contacts(user_id, body.contact_ids)
    interview_id, now = uuid.uuid4(), clock.now()
    details = schemas.Details(
        place_or_link=body.place_or_link,
        people=_people(body.people),
        contact_ids=contact_ids,
        prep_notes=body.prep_notes,
    )
    async with DB.transaction():
        await applications.get_owned(user_id, application_id, lock=True)  # one create at a time per application
        if await repo.count_of_application(application_id) >= schemas.MAX_PER_APPLICATION:
            raise errors.Conflict(
                f"An application holds at most {schemas.MAX_PER_APPLICATION} interviews", slug="too-many-interviews"
            )
        await repo.insert(
            {
                "id": interview_id,
                "application": application_id,
                "user": user_id,
                "kind": body.kind,
                "starts_at": body.starts_at,
                "duration_minutes": body.duration_minutes,
                "outcome": body.outcome,
                "details": envelope.encrypt_json(details, aad(interview_id)),
                "created_at": now,
                "updated_at": now,
            }
        )
        snapshot = activity.Snapshot(interview_kind=body.kind, starts_at=body.starts_at)
        await activity.record(envelope, application_id, "interview_scheduled", interview_id, snapshot, at=now)
    return await get(envelope, user_id, application_id, interview_id)


async def update(
    envelope: Envelope,
    user_id: uuid.UUID,
    application_id: uuid.UUID,
    interview_id: uuid.UUID,
    body: schemas.InterviewUpdate,
) -> schemas.InterviewOut:
    changes = {k: v for k, v in msgspec.structs.asdict(body).items() if v is not msgspec.UNSET}
    if "contact_ids" in changes:
        changes["contact_ids"] = await _check_contacts(user_id, changes["contact_ids"])
    if "people" in changes:
        changes["people"] = _people(changes["people"])
    now = clock.now()
    async with DB.transaction():
        current = await repo.get_owned(user_id, application_id, interview_id, lock=True)
        values = {k: v for k, v in changes.items() if k not in _PRIVATE}
        private = {k: v for k, v in changes.items() if k in _PRIVATE}
        if private:
            details = msgspec.structs.replace(details_of(envelope, current), **private)
            values["details"] = envelope.encrypt_json(details, aad(interview_id))
        if not values:
            return await get(envelope, user_id, application_id, interview_id)
        values["updated_at"] = now
        await repo.update(interview_id, values)
        kind = values.get("kind", current["kind"])
        starts_at = values.get("starts_at", current["starts_at"])
        if starts_at != current["starts_at"]:
            moved = activity.Snapshot(interview_kind=kind, starts_at=starts_at, previous_starts_at=current["starts_at"])
            await activity.record(envelope, application_id, "interview_rescheduled", interview_id, moved, at=now)
        outcome = values.get("outcome", current["outcome"])
        if outcome != current["outcome"]:
            decided = activity.Snapshot(
                interview_kind=kind, starts_at=starts_at, outcome=outcome, previous_outcome=current["outcome"]
            )
            await activity.record(envelope, application_id, "interview_outcome", interview_id, decided, at=now)
    return await get(envelope, user_id, application_id, interview_id)


async def delete(envelope: Envelope, user_id: uuid.UUID, application_id: uuid.UUID, interview_id: uuid.UUID) -> None:
    async with DB.transaction():
        current = await repo.get_owned(user_id, application_id, interview_id, lock=True)
        await repo.delete(interview_id)
        snapshot = activity.Snapshot(interview_kind=current["kind"], starts_at=current["starts_at"])
        await activity.record(envelope, application_id, "interview_removed", interview_id, snapshot)


async def all_out(envelope: Envelope, user_id: uuid.UUID) -> list[schemas.InterviewOut]:
    """Every interview of the user, soonest first (the account export)."""
    return await _outs(envelope, user_id, await repo.all_of(user_id))
