"""The signed-in user's own data: profile, password, notification settings and erasure (export:
data_export.py)."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

import msgspec
from redis.asyncio import Redis

from backend import errors
from backend.features.accounts import erasure, schemas
from backend.features.accounts import queries as repo
from backend.features.accounts.service import Principal, check_password, reauthenticate
from backend.features.accounts.session_memo import AuthChanges, row_changed
from backend.platform import clock
from backend.platform.crypto import passwords, pii
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.engine import DB
from backend.platform.db.tables import NotificationSettings, User
from backend.platform.realtime.publisher import Publisher
from backend.platform.storage import ObjectStore
from backend.settings import AuthSettings


async def update_profile(user: User, body: schemas.ProfileUpdate, redis: Redis, envelope: Envelope) -> User:
    """Apply the fields present in `body`; absent ones keep their value. The personal details are
    re-sealed as one blob (backend/platform/crypto/pii.py), read and written under the row's lock so
    that concurrent edits of different fields do not undo each other."""
    changes: dict[Any, Any] = {}
    for name in ("headline",):
        value = getattr(body, name)
        if value is not msgspec.UNSET:
            changes[getattr(User, name)] = value.strip()
    if body.target_roles is not msgspec.UNSET:
        changes[User.target_roles] = [role.strip() for role in body.target_roles]
    details: dict[str, Any] = {}
    for name in ("full_name", "location", "phone"):
        value = getattr(body, name)
        if value is not msgspec.UNSET:
            details[name] = value.strip()
    if body.links is not msgspec.UNSET:
        details["links"] = [{"label": link.label, "url": link.url} for link in body.links]
    if changes or details:
        async with DB.transaction():
            if details:
                row = await repo.lock_user(user.id)
                if row is None:
                    raise errors.NotFound("No such account")
                current = pii.read(envelope, row)
                sealed = pii.seal(envelope, user.id, msgspec.structs.replace(current, **details))
                changes[User.pii] = sealed
                changes.update({getattr(User, name): value for name, value in pii.CLEARED.items()})
            changes[User.updated_at] = clock.now()
            await User.update(changes).where(User.id == user.id)
        await row_changed(redis, user.id)
    updated = await repo.user_by_id(user.id)
    assert updated is not None
    return updated


async def change_password(principal: Principal, body: schemas.PasswordChange, redis: Redis, auth: AuthSettings) -> None:
    """Change the password and end every other session of the user. Personal access tokens stay
    valid (integrations must not break silently; a password reset revokes them)."""
    await reauthenticate(redis, auth, principal.user, body.current_password, "current_password")
    check_password(body.new_password, "new_password")
    password_hash = await passwords.hash_password(body.new_password)
    now = clock.now()
    async with AuthChanges(redis) as changes, DB.transaction():
        await changes.add(principal.user.id)
        await User.update({User.password_hash: password_hash, User.updated_at: now}).where(User.id == principal.user.id)
        await repo.revoke_user_sessions(principal.user.id, "password_change", now, keep=principal.session_id)
        # The session that made the change goes on, and so do its sockets and personal tokens'.
        changes.end_sockets(principal.user.id, ["s:*"], keep=(principal.credential,))


async def notification_settings(user: User) -> schemas.NotificationSettingsBody:
    row = await NotificationSettings.objects().where(NotificationSettings.user == user.id).first()
    if row is None:
        return schemas.NotificationSettingsBody()
    return schemas.NotificationSettingsBody(
        in_app=row.in_app,
        email_follow_up_reminders=row.email_follow_up_reminders,
        email_status_changes=row.email_status_changes,
        reminder_lead_minutes=row.reminder_lead_minutes,
        time_zone=row.time_zone,
        ghosted_after_days=row.ghosted_after_days,
        email_interview_reminders=row.email_interview_reminders,
        interview_reminder_minutes=list(row.interview_reminder_minutes or []),
    )


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


async def put_notification_settings(
    user: User, body: schemas.NotificationSettingsBody
) -> schemas.NotificationSettingsBody:
    if body.time_zone not in _time_zones():
        problem = "must be an IANA time zone name such as 'Europe/Paris' or 'UTC'"
        raise errors.Unprocessable(errors=[errors.FieldError("time_zone", problem)])
    values = msgspec.structs.asdict(body)
    values["interview_reminder_minutes"] = sorted(set(body.interview_reminder_minutes), reverse=True)
    row = NotificationSettings(user=user.id, updated_at=clock.now(), **values)
    columns = [getattr(NotificationSettings, name) for name in values] + [NotificationSettings.updated_at]
    await NotificationSettings.insert(row).on_conflict(
        target=NotificationSettings.user, action="DO UPDATE", values=columns
    )
    return await notification_settings(user)


async def delete_account(
    user: User,
    body: schemas.AccountDeletion,
    publisher: Publisher,
    store: ObjectStore,
    redis: Redis,
    auth: AuthSettings,
) -> None:
    """Erase the account: the user row and every row of the user (ON DELETE CASCADE on each table)
    go in one transaction with the record of what is left outside Postgres (stored files, realtime
    history and sockets), which `erasure.finish` deletes now if it can and the worker otherwise,
    retrying until it is done (erasure.py). An object store outage cannot leave a half-erased
    account behind that the user could no longer ask to erase."""
    await reauthenticate(redis, auth, user, body.password, "password")
    async with AuthChanges(redis) as changes, DB.transaction():
        await changes.add(user.id)
        await User.delete().where(User.id == user.id)
        await erasure.record(user.id)
    await erasure.finish_inline(user.id, store, publisher, redis)
