"""A user's personal details at rest: full name, phone, location and links, one envelope blob.

They live in `users.pii` (backend/platform/crypto/envelope.py, aad `users.pii:<user id>`, so a blob
copied to another user's row does not decrypt). Rows written by releases before it hold them in the
plaintext columns `full_name`, `phone`, `location` and `links` instead; `read` takes those while
`pii` is NULL, and `python -m backend.entrypoints.manage encrypt-pii` moves them into `pii` and
empties the columns. New writes always go to `pii` and leave the columns empty (`CLEARED`).

What stays in clear on `users`, and why: `email` (sign-in looks it up by equality and it must be
unique), `headline` and `target_roles` (the professional summary the user writes for the AI, not
contact data), and the account's role, flags and timestamps.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import msgspec

from backend.platform.crypto.envelope import Envelope


class Details(msgspec.Struct, frozen=True, kw_only=True):
    full_name: str = ""
    phone: str = ""
    location: str = ""
    links: list[dict[str, str]] = msgspec.field(default_factory=list)


# What the plaintext columns hold once `pii` does.
CLEARED: dict[str, Any] = {"full_name": "", "phone": "", "location": "", "links": []}


def aad(user_id: uuid.UUID | str) -> str:
    return f"users.pii:{user_id}"


def seal(envelope: Envelope, user_id: uuid.UUID | str, details: Details) -> bytes:
    """The blob of `details` for user `user_id`, under the active master key."""
    return envelope.encrypt_json(details, aad(user_id))


def _field(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


def read(envelope: Envelope, row: Any) -> Details:
    """The details of a `users` row (a `User` or a mapping with `id`, `pii` and, for rows not yet
    moved, the plaintext columns)."""
    blob = _field(row, "pii")
    if blob is not None:
        return envelope.decrypt_json(bytes(blob), aad(_field(row, "id")), Details)
    links = _field(row, "links") or []
    if isinstance(links, str | bytes):  # Piccolo hands JSONB back as text unless asked otherwise
        links = msgspec.json.decode(links)
    return Details(
        full_name=_field(row, "full_name") or "",
        phone=_field(row, "phone") or "",
        location=_field(row, "location") or "",
        links=list(links),
    )
