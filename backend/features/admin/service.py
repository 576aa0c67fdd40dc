"""Account administration: list users, enable/disable them, grant or withdraw the admin role."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from redis.asyncio import Redis

from backend import errors
from backend.features.accounts import queries as account_repo
from backend.features.accounts import schemas as account_schemas
from backend.features.accounts import service as account_services
from backend.features.accounts.session_memo import AuthChanges
from backend.features.admin import schemas
from backend.platform.crypto import pii
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.engine import DB
from backend.platform.db.tables import User
from backend.platform.http import pagination
from backend.platform.realtime.publisher import Publisher

SEARCH_BATCH = 200  # users decrypted per query while searching
SEARCH_BUDGET = 2_000  # users decrypted per request at most: a search page may come back short, with a cursor


async def list_users(
    admin_id: uuid.UUID, limit: int, cursor: str | None, q: str | None, envelope: Envelope
) -> schemas.UserPage:
    """Users, newest first; `q` matches email or name (case-insensitive).

    Names are encrypted at rest (backend/platform/crypto/pii.py), so a search decrypts users in
    pages of `SEARCH_BATCH`, newest first from the cursor, and keeps the matches: at most
    `SEARCH_BUDGET` users per request. A page may therefore hold fewer than `limit` users (even
    none) and still carry a `next_cursor` that goes on from where the scan stopped."""
    pagination.check_limit(limit)
    scope = f"admin.users:{admin_id}:{q or ''}"
    key = pagination.decode_cursor(cursor, scope)
    after: tuple[datetime, uuid.UUID] | None = None
    if key is not None:
        try:
            after = (datetime.fromisoformat(key[0]), uuid.UUID(key[1]))
        except (ValueError, IndexError, TypeError, AttributeError):
            raise errors.BadRequest("The cursor is not valid", slug="invalid-cursor") from None

    def cursor_after(row: User) -> str:
        return pagination.encode_cursor([row.created_at.isoformat(), str(row.id)], scope)

    if not q:
        rows = await _newest(after, limit + 1)
        more, rows = len(rows) > limit, rows[:limit]
        items = [account_services.user_out(row, envelope) for row in rows]
        return schemas.UserPage(items=items, next_cursor=cursor_after(rows[-1]) if more else None)

    needle = q.casefold()
    found: list[User] = []
    scanned, last, exhausted = 0, None, False
    while len(found) < limit and scanned < SEARCH_BUDGET:
        size = min(SEARCH_BATCH, SEARCH_BUDGET - scanned)
        rows = await _newest(after, size)
        for row in rows:
            scanned, last, after = scanned + 1, row, (row.created_at, row.id)
            if needle in row.email.casefold() or needle in pii.read(envelope, row).full_name.casefold():
                found.append(row)
                if len(found) == limit:
                    break
        if len(rows) < size and (not rows or last is rows[-1]):  # read to the last user
            exhausted = True
            break
    next_cursor = cursor_after(last) if last is not None and not exhausted else None
    return schemas.UserPage(items=[account_services.user_out(row, envelope) for row in found], next_cursor=next_cursor)


async def _newest(after: tuple[datetime, uuid.UUID] | None, count: int) -> list[User]:
    query = User.objects().order_by(User.created_at, User.id, ascending=False).limit(count)
    if after is not None:
        created_at, last_id = after
        query = query.where((User.created_at < created_at) | ((User.created_at == created_at) & (User.id < last_id)))
    return list(await query)


async def update_user(
    admin: User,
    user_id: uuid.UUID,
    body: schemas.UserAdminUpdate,
    publisher: Publisher,
    redis: Redis,
    envelope: Envelope,
) -> account_schemas.UserOut:
    """Change a user's `is_active`/`role`. Disabling ends every session; an admin cannot lock themself out."""
    target = await account_repo.user_by_id(user_id)
    if target is None:
        raise errors.NotFound("No such user")
    if target.id == admin.id and (body.is_active is False or body.role == "user"):
        raise errors.Conflict("You cannot disable or demote yourself", slug="self-lockout")
    changes: dict[Any, Any] = {}
    if body.is_active is not msgspec.UNSET:
        changes[User.is_active] = body.is_active
    if body.role is not msgspec.UNSET:
        changes[User.role] = body.role
    now = datetime.now().astimezone()
    if changes:
        async with AuthChanges(redis) as auth_changes, DB.transaction():
            await auth_changes.add(user_id)
            await User.update({**changes, User.updated_at: now}).where(User.id == user_id)
            if body.is_active is False:
                await account_repo.revoke_user_sessions(user_id, "disabled", now)
        if body.is_active is False:
            await publisher.kick(user_id)
    updated = await account_repo.user_by_id(user_id)
    assert updated is not None
    return account_services.user_out(updated, envelope)


async def set_role(email: str, role: str, redis: Redis) -> bool:
    """For the `manage` CLI: give the account `email` the role; False when there is no such account."""
    user = await account_repo.user_by_email(email.strip().lower())
    if user is None:
        return False
    async with AuthChanges(redis) as changes, DB.transaction():
        await changes.add(user.id)
        await User.update({User.role: role}).where(User.id == user.id)
    return True
