"""Contacts: the people a user meets while applying, linked to applications, exported as vCard 4.0.

A contact's name, email, phone, LinkedIn URL and notes are another person's data: one envelope blob
(`contacts.details`, aad `contacts.details:<id>`), never in clear. So the text filter of the list
reads the user's contacts decrypted, newest first, in batches, until the page is full (at most
MAX_CONTACTS per user keeps that bounded). Linking and unlinking enter the application's timeline
(`applications.activity`) in the transaction of the change. Stateless module functions (no
Litestar import)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from backend import errors
from backend.features.applications import activity
from backend.features.applications import queries as applications
from backend.features.contacts import queries as repo
from backend.features.contacts import schemas, vcard
from backend.platform import clock
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.engine import DB
from backend.platform.db.replicas import routed_reads
from backend.platform.db.tables import Contact
from backend.platform.http import pagination

_PRIVATE = ("name", "email", "phone", "linkedin_url", "notes")
_BATCH = 200


def aad(contact_id: uuid.UUID | str) -> str:
    return f"contacts.details:{contact_id}"


def details_of(envelope: Envelope, row: dict[str, Any]) -> schemas.Details:
    return envelope.decrypt_json(bytes(row["details"]), aad(row["id"]), schemas.Details)


def _out(row: dict[str, Any], details: schemas.Details, application_ids: list[uuid.UUID]) -> schemas.ContactOut:
    return schemas.ContactOut(
        id=row["id"],
        name=details.name,
        role=row["role"],
        company=row["company"],
        email=details.email,
        phone=details.phone,
        linkedin_url=details.linkedin_url,
        notes=details.notes,
        application_ids=application_ids,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _matches(query: str, row: dict[str, Any], details: schemas.Details) -> bool:
    fields = (details.name, row["role"], row["company"], details.email, details.phone, details.notes)
    return any(query in field.casefold() for field in fields)


async def _check_applications(user_id: uuid.UUID, application_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    unique = list(dict.fromkeys(application_ids))
    if set(unique) - await repo.own_applications(user_id, unique):
        raise errors.Unprocessable(errors=[errors.FieldError("application_ids", "no such application")])
    return unique


async def _linked(
    envelope: Envelope, user_id: uuid.UUID, contact_id: uuid.UUID, name: str, application_id: uuid.UUID
) -> None:
    if await repo.link(user_id, contact_id, application_id):
        snapshot = activity.Snapshot(contact_name=name)
        await activity.record(envelope, application_id, "contact_linked", contact_id, snapshot)


async def _unlinked(envelope: Envelope, contact_id: uuid.UUID, name: str, application_id: uuid.UUID) -> None:
    if await repo.unlink(contact_id, application_id):
        snapshot = activity.Snapshot(contact_name=name)
        await activity.record(envelope, application_id, "contact_unlinked", contact_id, snapshot)


async def get(envelope: Envelope, user_id: uuid.UUID, contact_id: uuid.UUID) -> schemas.ContactOut:
    with routed_reads(user_id):
        row = await repo.get_owned(user_id, contact_id)
        links = await repo.links([contact_id])
    return _out(row, details_of(envelope, row), links.get(contact_id, []))


async def list_page(
    envelope: Envelope,
    user_id: uuid.UUID,
    *,
    q: str | None,
    application_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> schemas.ContactPage:
    """A page of contacts, newest first; `q` matches name, role, company, email, phone and notes
    (case-insensitive); `application_id` keeps those linked to that application."""
    pagination.check_limit(limit)
    scope = f"contacts:{user_id}"
    key = pagination.decode_cursor(cursor, scope)
    after: tuple[datetime, uuid.UUID] | None = None
    if key is not None:
        try:
            after = (datetime.fromisoformat(key[0]), uuid.UUID(key[1]))
        except (ValueError, IndexError, TypeError, AttributeError):
            raise errors.BadRequest("The cursor is not valid", slug="invalid-cursor") from None
    query = (q or "").strip().casefold()
    found: list[tuple[dict[str, Any], schemas.Details]] = []
    with routed_reads(user_id):
        if application_id is not None:
            await applications.get_owned(user_id, application_id)
        while len(found) <= limit:
            rows = await repo.batch(user_id, application_id=application_id, after=after, limit=_BATCH)
            for row in rows:
                details = details_of(envelope, row)
                if not query or _matches(query, row, details):
                    found.append((row, details))
            if len(rows) < _BATCH:
                break
            after = (rows[-1]["created_at"], rows[-1]["id"])
        more, found = len(found) > limit, found[:limit]
        links = await repo.links([row["id"] for row, _ in found])
    next_cursor = None
    if more:
        last = found[-1][0]
        next_cursor = pagination.encode_cursor([last["created_at"].isoformat(), str(last["id"])], scope)
    return schemas.ContactPage(
        items=[_out(row, details, links.get(row["id"], [])) for row, details in found], next_cursor=next_cursor
    )


async def create(envelope: Envelope, user_id: uuid.UUID, body: schemas.ContactCreate) -> schemas.ContactOut:
    application_ids = await _check_applications(user_id, body.application_ids)
    contact_id, now = uuid.uuid4(), clock.now()
    details = schemas.Details(
        name=body.name.strip(), email=body.email, phone=body.phone, linkedin_url=body.linkedin_url, notes=body.notes
    )
    async with DB.transaction():
        await Contact.raw("SELECT pg_advisory_xact_lock(hashtextextended({}, 0))", f"contacts:{user_id}")
        if await repo.count(user_id) >= schemas.MAX_CONTACTS:
            raise errors.Conflict(f"At most {schemas.MAX_CONTACTS} contacts per user", slug="too-many-contacts")
        await repo.insert(
            {
                "id": contact_id,
                "user": user_id,
                "role": body.role.strip(),
                "company": body.company.strip(),
                "details": envelope.encrypt_json(details, aad(contact_id)),
                "created_at": now,
                "updated_at": now,
            }
        )
        for application_id in application_ids:
            await _linked(envelope, user_id, contact_id, details.name, application_id)
    return await get(envelope, user_id, contact_id)


async def update(
    envelope: Envelope, user_id: uuid.UUID, contact_id: uuid.UUID, body: schemas.ContactUpdate
) -> schemas.ContactOut:
    changes = {k: v for k, v in msgspec.structs.asdict(body).items() if v is not msgspec.UNSET}
    wanted = changes.pop("application_ids", None)
    if wanted is not None:
        wanted = await _check_applications(user_id, wanted)
    for field in ("name", "role", "company"):
        if field in changes:
            changes[field] = changes[field].strip()
    async with DB.transaction():
        current = await repo.get_owned(user_id, contact_id, lock=True)
        details = details_of(envelope, current)
        values = {k: v for k, v in changes.items() if k not in _PRIVATE}
        private = {k: v for k, v in changes.items() if k in _PRIVATE}
        if private:
            details = msgspec.structs.replace(details, **private)
            values["details"] = envelope.encrypt_json(details, aad(contact_id))
        if values:
            values["updated_at"] = clock.now()
            await repo.update(contact_id, values)
        if wanted is not None:
            have = (await repo.links([contact_id])).get(contact_id, [])
            for application_id in have:
                if application_id not in wanted:
                    await _unlinked(envelope, contact_id, details.name, application_id)
            for application_id in wanted:
                if application_id not in have:
                    await _linked(envelope, user_id, contact_id, details.name, application_id)
    return await get(envelope, user_id, contact_id)


async def link(
    envelope: Envelope, user_id: uuid.UUID, contact_id: uuid.UUID, application_id: uuid.UUID
) -> schemas.ContactOut:
    """Link the contact to the application (linking again changes nothing)."""
    async with DB.transaction():
        row = await repo.get_owned(user_id, contact_id, lock=True)
        await applications.get_owned(user_id, application_id)
        if len((await repo.links([contact_id])).get(contact_id, [])) >= schemas.MAX_LINKS:
            raise errors.Conflict(
                f"A contact is linked to at most {schemas.MAX_LINKS} applications", slug="too-many-links"
            )
        await _linked(envelope, user_id, contact_id, details_of(envelope, row).name, application_id)
    return await get(envelope, user_id, contact_id)


async def unlink(envelope: Envelope, user_id: uuid.UUID, contact_id: uuid.UUID, application_id: uuid.UUID) -> None:
    """Unlink the contact from the application (404 when either is not the user's)."""
    async with DB.transaction():
        row = await repo.get_owned(user_id, contact_id, lock=True)
        await applications.get_owned(user_id, application_id)
        await _unlinked(envelope, contact_id, details_of(envelope, row).name, application_id)


async def delete(envelope: Envelope, user_id: uuid.UUID, contact_id: uuid.UUID) -> None:
    """Delete the contact; each application it was linked to records the unlink in its timeline."""
    async with DB.transaction():
        row = await repo.get_owned(user_id, contact_id, lock=True)
        name = details_of(envelope, row).name
        for application_id in (await repo.links([contact_id])).get(contact_id, []):
            await _unlinked(envelope, contact_id, name, application_id)
        await repo.delete(contact_id)


def _card(row: dict[str, Any], details: schemas.Details) -> str:
    return vcard.card(
        contact_id=row["id"],
        name=details.name,
        role=row["role"],
        company=row["company"],
        email=details.email,
        phone=details.phone,
        linkedin_url=details.linkedin_url,
        notes=details.notes,
        updated_at=row["updated_at"],
    )


async def vcard_of(envelope: Envelope, user_id: uuid.UUID, contact_id: uuid.UUID) -> tuple[str, str]:
    """(vCard text, a file name) of one contact."""
    with routed_reads(user_id):
        row = await repo.get_owned(user_id, contact_id)
    details = details_of(envelope, row)
    return _card(row, details), f"contact-{contact_id}.vcf"


async def export_all(envelope: Envelope, user_id: uuid.UUID) -> str:
    """Every contact of the user as vCards, oldest first."""
    with routed_reads(user_id):
        rows = await repo.all_of(user_id)
    return vcard.cards(_card(row, details_of(envelope, row)) for row in rows)


async def all_out(envelope: Envelope, user_id: uuid.UUID) -> list[schemas.ContactOut]:
    """Every contact of the user, oldest first (the account export)."""
    rows = await repo.all_of(user_id)
    links = await repo.links([row["id"] for row in rows])
    return [_out(row, details_of(envelope, row), links.get(row["id"], [])) for row in rows]
