"""Queries of the contacts area; every one is scoped to its owner (other users' rows: 404)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from backend import errors
from backend.platform.db.tables import Application, Contact, ContactApplication

_COLUMNS = "id, role, company, details, created_at, updated_at"


async def get_owned(user_id: uuid.UUID, contact_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any]:
    sql = f'SELECT {_COLUMNS} FROM contacts WHERE id = {{}} AND "user" = {{}}'  # noqa: S608
    rows = await Contact.raw(sql + (" FOR UPDATE" if lock else ""), contact_id, user_id)
    if not rows:
        raise errors.NotFound("No such contact")
    return dict(rows[0])


async def count(user_id: uuid.UUID) -> int:
    return int(await Contact.count().where(Contact.user == user_id))


async def batch(
    user_id: uuid.UUID, *, application_id: uuid.UUID | None, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` contacts, newest first, after the keyset position `after`; only those linked to
    `application_id` when it is given."""
    clauses, args = ['c."user" = {}'], [user_id]
    if application_id is not None:
        clauses.append("EXISTS (SELECT 1 FROM contact_applications l WHERE l.contact = c.id AND l.application = {})")
        args.append(application_id)
    if after is not None:
        clauses.append("(c.created_at, c.id) < ({}, {})")
        args += [after[0], after[1]]  # type: ignore[list-item]
    sql = (
        f"SELECT c.id, c.role, c.company, c.details, c.created_at, c.updated_at FROM contacts c "  # noqa: S608
        f"WHERE {' AND '.join(clauses)} ORDER BY c.created_at DESC, c.id DESC LIMIT {int(limit)}"
    )
    return list(await Contact.raw(sql, *args))


async def all_of(user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every contact of the user, oldest first."""
    sql = f'SELECT {_COLUMNS} FROM contacts WHERE "user" = {{}} ORDER BY created_at, id'  # noqa: S608
    return list(await Contact.raw(sql, user_id))


async def links(contact_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The applications each contact is linked to, newest link first."""
    if not contact_ids:
        return {}
    rows = await ContactApplication.raw(
        "SELECT contact, application FROM contact_applications WHERE contact = ANY({}) ORDER BY created_at DESC, id",
        contact_ids,
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for row in rows:
        found.setdefault(row["contact"], []).append(row["application"])
    return found


async def own_applications(user_id: uuid.UUID, application_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not application_ids:
        return set()
    rows = await Application.raw(
        'SELECT id FROM applications WHERE "user" = {} AND id = ANY({})', user_id, application_ids
    )
    return {row["id"] for row in rows}


async def insert(values: dict[str, Any]) -> None:
    await Contact(**values).save()


async def update(contact_id: uuid.UUID, values: dict[str, Any]) -> None:
    await Contact.update({getattr(Contact, k): v for k, v in values.items()}).where(Contact.id == contact_id)


async def delete(contact_id: uuid.UUID) -> None:
    await Contact.delete().where(Contact.id == contact_id)


async def link(user_id: uuid.UUID, contact_id: uuid.UUID, application_id: uuid.UUID) -> bool:
    """Link them; False when they already were."""
    rows = await ContactApplication.raw(
        """
        INSERT INTO contact_applications (id, contact, application, "user", created_at)
        VALUES ({}, {}, {}, {}, now())
        ON CONFLICT (contact, application) DO NOTHING RETURNING id
        """,
        uuid.uuid4(),
        contact_id,
        application_id,
        user_id,
    )
    return bool(rows)


async def unlink(contact_id: uuid.UUID, application_id: uuid.UUID) -> bool:
    """Unlink them; False when they were not linked."""
    rows = await ContactApplication.raw(
        "DELETE FROM contact_applications WHERE contact = {} AND application = {} RETURNING id",
        contact_id,
        application_id,
    )
    return bool(rows)
