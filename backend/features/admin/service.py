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
from backend.platform.db.engine import DB
from backend.platform.db.tables import User
from backend.platform.http import pagination
from backend.platform.realtime.publisher import Publisher


async def list_users(admin_id: uuid.UUID, limit: int, cursor: str | None, q: str | None) -> schemas.UserPage:
    """Users, newest first; `q` matches email or name (case-insensitive)."""
    pagination.check_limit(limit)
    scope = f"admin.users:{admin_id}:{q or ''}"
    key = pagination.decode_cursor(cursor, scope)
    query = User.objects().order_by(User.created_at, User.id, ascending=False).limit(limit + 1)
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(User.email.ilike(pattern) | User.full_name.ilike(pattern))
    if key is not None:
        try:
            created_at, last_id = datetime.fromisoformat(key[0]), uuid.UUID(key[1])
        except (ValueError, IndexError, TypeError):
            raise errors.BadRequest("The cursor is not valid", slug="invalid-cursor") from None
        query = query.where((User.created_at < created_at) | ((User.created_at == created_at) & (User.id < last_id)))
    rows = await query
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = pagination.encode_cursor([rows[-1].created_at.isoformat(), str(rows[-1].id)], scope) if more else None
    return schemas.UserPage(items=[account_services.user_out(row) for row in rows], next_cursor=next_cursor)


async def update_user(
    admin: User, user_id: uuid.UUID, body: schemas.UserAdminUpdate, publisher: Publisher, redis: Redis
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
    return account_services.user_out(updated)


async def set_role(email: str, role: str, redis: Redis) -> bool:
    """For the `manage` CLI: give the account `email` the role; False when there is no such account."""
    user = await account_repo.user_by_email(email.strip().lower())
    if user is None:
        return False
    async with AuthChanges(redis) as changes, DB.transaction():
        await changes.add(user.id)
        await User.update({User.role: role}).where(User.id == user.id)
    return True
