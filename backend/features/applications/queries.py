"""Queries of the applications area; every one is scoped to its owner (other users' rows: 404)."""

from __future__ import annotations

import uuid
from typing import Any

from backend import errors
from backend.platform.db.tables import Application, ApplicationEvent

# sort name -> (SQL expression, direction, parameter cast). Nullable keys sort last either way.
SORTS: dict[str, tuple[str, str, str]] = {
    "-updated_at": ("updated_at", "DESC", "timestamptz"),
    "updated_at": ("updated_at", "ASC", "timestamptz"),
    "-created_at": ("created_at", "DESC", "timestamptz"),
    "created_at": ("created_at", "ASC", "timestamptz"),
    "company": ("lower(company)", "ASC", "text"),
    "-company": ("lower(company)", "DESC", "text"),
    "applied_at": ("COALESCE(applied_at, 'infinity')", "ASC", "timestamptz"),
    "-applied_at": ("COALESCE(applied_at, '-infinity')", "DESC", "timestamptz"),
    "next_follow_up_at": ("COALESCE(next_follow_up_at, 'infinity')", "ASC", "timestamptz"),
}


async def get_owned(user_id: uuid.UUID, application_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any]:
    query = Application.select().where(Application.id == application_id).where(Application.user == user_id)
    if lock:
        query = query.lock_rows("UPDATE")
    row = await query.first()
    if row is None:
        raise errors.NotFound("No such application")
    return row


async def page(
    user_id: uuid.UUID,
    *,
    statuses: list[str],
    tag: str | None,
    q: str | None,
    sort: str,
    after: tuple[str, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to `limit` rows after the keyset position `after` = (sort key as text, id)."""
    expr, direction, cast = SORTS[sort]
    clauses, args = ['"user" = {}'], [user_id]
    if statuses:
        clauses.append("status = ANY({})")
        args.append(statuses)  # type: ignore[arg-type]
    if tag:
        clauses.append("{} = ANY(tags)")
        args.append(tag)  # type: ignore[arg-type]
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append("(company ILIKE {0} OR role ILIKE {0} OR notes ILIKE {0})".replace("{0}", "{}"))
        args += [f"%{escaped}%"] * 3  # type: ignore[list-item]
    if after is not None:
        op = "<" if direction == "DESC" else ">"
        clauses.append(f"({expr}, id) {op} ({{}}::text::{cast}, {{}}::uuid)")
        args += [after[0], after[1]]  # type: ignore[list-item]
    sql = (
        f"SELECT *, ({expr})::text AS sort_key FROM applications WHERE {' AND '.join(clauses)} "  # noqa: S608
        f"ORDER BY {expr} {direction}, id {direction} LIMIT {int(limit)}"
    )
    return list(await Application.raw(sql, *args))


async def events(application_id: uuid.UUID) -> list[dict[str, Any]]:
    return list(
        await ApplicationEvent.select()
        .where(ApplicationEvent.application == application_id)
        .order_by(ApplicationEvent.at)
        .order_by(ApplicationEvent.id)
    )


async def all_with_timelines(user_id: uuid.UUID) -> tuple[list[dict[str, Any]], dict[Any, list[dict[str, Any]]]]:
    """Every application of the user, oldest first, and each one's events, oldest first (by
    application id): two queries, whatever the number of applications (CSV export, data export)."""
    apps = await Application.select().where(Application.user == user_id).order_by(Application.created_at)
    history = await ApplicationEvent.raw(
        """SELECT e.* FROM application_events e JOIN applications a ON a.id = e.application
           WHERE a."user" = {} ORDER BY e.at, e.id""",
        user_id,
    )
    timelines: dict[Any, list[dict[str, Any]]] = {}
    for event in history:
        timelines.setdefault(event["application"], []).append(event)
    return list(apps), timelines


async def add_event(application_id: uuid.UUID, from_status: str | None, to_status: str, note: str = "") -> None:
    await ApplicationEvent(application=application_id, from_status=from_status, to_status=to_status, note=note).save()


async def stats_rows(user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Per application: status, source, when it was applied, and its first status after `applied`."""
    return list(
        await Application.raw(
            """
            SELECT a.id, a.status, a.source, a.applied_at,
                   (SELECT min(e.at) FROM application_events e
                     WHERE e.application = a.id AND e.from_status = 'applied'
                       AND e.to_status NOT IN ('applied', 'ghosted', 'withdrawn', 'wishlist')) AS first_response_at,
                   EXISTS (SELECT 1 FROM application_events e
                     WHERE e.application = a.id AND e.to_status = 'applied') AS was_applied
            FROM applications a WHERE a."user" = {}
            """,
            user_id,
        )
    )
