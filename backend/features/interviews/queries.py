"""Queries of the interviews area; every one is scoped to its owner (other users' rows: 404)."""

from __future__ import annotations

import uuid
from typing import Any

from backend import errors
from backend.platform.db.tables import Contact, Interview

_COLUMNS = (
    "id, application AS application_id, kind, starts_at, duration_minutes, outcome, details, created_at, updated_at"
)


async def of_application(user_id: uuid.UUID, application_id: uuid.UUID) -> list[dict[str, Any]]:
    """The application's interviews, soonest first."""
    sql = f'SELECT {_COLUMNS} FROM interviews WHERE "user" = {{}} AND application = {{}} ORDER BY starts_at, id'  # noqa: S608
    return list(await Interview.raw(sql, user_id, application_id))


async def count_of_application(application_id: uuid.UUID) -> int:
    return int(await Interview.count().where(Interview.application == application_id))


async def get_owned(
    user_id: uuid.UUID, application_id: uuid.UUID, interview_id: uuid.UUID, *, lock: bool = False
) -> dict[str, Any]:
    sql = f'SELECT {_COLUMNS} FROM interviews WHERE id = {{}} AND "user" = {{}} AND application = {{}}'  # noqa: S608
    rows = await Interview.raw(sql + (" FOR UPDATE" if lock else ""), interview_id, user_id, application_id)
    if not rows:
        raise errors.NotFound("No such interview")
    return dict(rows[0])


async def all_of(user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every interview of the user, soonest first, with its application's company and role."""
    return list(
        await Interview.raw(
            """
            SELECT i.id, i.application AS application_id, i.kind, i.starts_at, i.duration_minutes, i.outcome,
                   i.details, i.created_at, i.updated_at, a.company, a.role
            FROM interviews i JOIN applications a ON a.id = i.application
            WHERE i."user" = {} ORDER BY i.starts_at, i.id
            """,
            user_id,
        )
    )


async def own_contacts(user_id: uuid.UUID, contact_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `contact_ids` are the user's contacts."""
    if not contact_ids:
        return set()
    rows = await Contact.raw('SELECT id FROM contacts WHERE "user" = {} AND id = ANY({})', user_id, contact_ids)
    return {row["id"] for row in rows}


async def insert(values: dict[str, Any]) -> None:
    await Interview(**values).save()


async def update(interview_id: uuid.UUID, values: dict[str, Any]) -> None:
    await Interview.update({getattr(Interview, k): v for k, v in values.items()}).where(Interview.id == interview_id)


async def delete(interview_id: uuid.UUID) -> None:
    await Interview.delete().where(Interview.id == interview_id)
