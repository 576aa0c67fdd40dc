"""Queries of the applications area; every one is scoped to its owner (other users' rows: 404)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from backend import errors
from backend.features.applications import schemas
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


def _in(statuses: tuple[str, ...]) -> str:
    """A constant varchar[] literal of statuses (from schemas: no input in the SQL)."""
    return "ARRAY[" + ", ".join(f"'{status}'" for status in statuses) + "]::varchar[]"


# Per application of the user: what it is, when it started (`applied_at`, else `created_at`; `started_on`
# is that day in the owner's time zone), every status it has been in (`reached`: its timeline and its
# current status) and where that puts it in the funnel, each stage implying the ones before it
# (stats and analytics count from this one definition):
#   applied      `applied_at` set, or reached applied, ghosted or any answer
#   responded    reached an answer: screening, interview, offer, accepted or rejected
#   interviewed  reached interview, offer or accepted
#   offered      reached offer or accepted
# `first_response_at`: its first move to an answer (not a status it was created in).
_OUTCOMES = f"""
SELECT a.id, a.status, a.source, a.applied_at, a.created_at, a.resume_version_id,
       (COALESCE(a.applied_at, a.created_at) AT TIME ZONE z.tz)::date AS started_on,
       to_char(a.applied_at AT TIME ZONE z.tz, 'IYYY-"W"IW') AS week,
       t.reached, t.first_response_at,
       a.applied_at IS NOT NULL OR t.reached && {_in(("applied", "ghosted", *schemas.RESPONSE_STATUSES))} AS applied,
       t.reached && {_in(schemas.RESPONSE_STATUSES)} AS responded,
       t.reached && {_in(schemas.INTERVIEW_STATUSES)} AS interviewed,
       t.reached && {_in(schemas.OFFER_STATUSES)} AS offered
FROM applications a
CROSS JOIN (
    SELECT COALESCE((SELECT time_zone FROM notification_settings WHERE "user" = {{user}}), 'UTC') AS tz
) z
CROSS JOIN LATERAL (
    SELECT array_append(COALESCE(array_agg(e.to_status), ARRAY[]::varchar[]), a.status) AS reached,
           min(e.at) FILTER (
               WHERE e.from_status IS NOT NULL AND e.to_status = ANY({_in(schemas.RESPONSE_STATUSES)})
           ) AS first_response_at
    FROM application_events e WHERE e.application = a.id
) t
WHERE a."user" = {{user}}
"""  # noqa: S608 - constants only


def _outcomes() -> str:
    """The outcomes CTE's body; its placeholders are `{}`, both the owner (pass it twice)."""
    return _OUTCOMES.format(user="{}")


async def stats_rows(user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Per application: status, source, when it was applied and first answered, and its funnel stages."""
    sql = f"""
        WITH outcomes AS ({_outcomes()})
        SELECT id, status, source, applied_at, first_response_at, applied, responded FROM outcomes
    """  # noqa: S608 - constants only
    return list(await Application.raw(sql, user_id, user_id))


# -- analytics ---------------------------------------------------------------------------------------
# The cohort: the owner's applications that started (`started_on`) from `from` to `to`, both included
# (a null bound: open); four placeholders after the outcomes' two: from, from, to, to.
_COHORT = f"""
WITH outcomes AS ({_outcomes()}),
cohort AS (
    SELECT * FROM outcomes
    WHERE ({{}}::date IS NULL OR started_on >= {{}}::date) AND ({{}}::date IS NULL OR started_on <= {{}}::date)
)
"""  # noqa: S608 - constants only

# Every transition of the cohort's timelines, each application counted once per transition.
_FLOW_LINKS = (
    _COHORT
    + """
SELECT e.from_status AS source, e.to_status AS target, count(DISTINCT e.application) AS applications
FROM application_events e JOIN cohort c ON c.id = e.application
WHERE e.from_status IS NOT NULL AND e.from_status <> e.to_status
GROUP BY e.from_status, e.to_status
ORDER BY e.from_status, e.to_status
"""
)
# Every status the cohort's applications have been in, with how many were.
_FLOW_NODES = (
    _COHORT
    + """
SELECT s.status, count(DISTINCT c.id) AS applications
FROM cohort c CROSS JOIN LATERAL unnest(c.reached) AS s(status)
GROUP BY s.status
"""
)
# The funnel of the cohort's applied applications, overall and per resume version, source, match band
# (the best score of the application's completed analyses) and ISO week of `applied_at`, in one pass.
_FUNNELS = (
    _COHORT  # noqa: S608 - constants only
    + """
, scored AS (
    SELECT c.*,
           CASE WHEN best.score IS NULL THEN 'none'
                WHEN best.score < 50 THEN '0-49'
                WHEN best.score < 70 THEN '50-69'
                WHEN best.score < 85 THEN '70-84'
                ELSE '85-100' END AS band
    FROM cohort c
    CROSS JOIN LATERAL (
        SELECT max(an.score) AS score FROM analyses an
        WHERE an.application = c.id AND an.status = 'completed' AND an.score IS NOT NULL
    ) best
    WHERE c.applied
)
SELECT CASE WHEN GROUPING(s.resume_version_id) = 0 THEN 'resume_version'
            WHEN GROUPING(s.source) = 0 THEN 'source'
            WHEN GROUPING(s.band) = 0 THEN 'match_band'
            WHEN GROUPING(s.week) = 0 THEN 'week'
            ELSE 'overall' END AS dimension,
       s.resume_version_id, s.source, s.band, s.week,
       min(rv.number) AS version_number, min(r.title) AS resume_title,
       count(*) AS applied,
       count(*) FILTER (WHERE s.responded) AS responded,
       count(*) FILTER (WHERE s.interviewed) AS interviewed,
       count(*) FILTER (WHERE s.offered) AS offered
FROM scored s
LEFT JOIN resume_versions rv ON rv.id = s.resume_version_id AND rv."user" = {}
LEFT JOIN resumes r ON r.id = rv.resume
GROUP BY GROUPING SETS ((), (s.resume_version_id), (s.source), (s.band), (s.week))
"""
)


def _cohort_args(user_id: uuid.UUID, start: date | None, end: date | None) -> list[Any]:
    return [user_id, user_id, start, start, end, end]


async def flow(
    user_id: uuid.UUID, start: date | None, end: date | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(nodes, links) of the transitions of the user's applications that started in [start, end]."""
    args = _cohort_args(user_id, start, end)
    nodes = await Application.raw(_FLOW_NODES, *args)
    links = await Application.raw(_FLOW_LINKS, *args)
    return list(nodes), list(links)


async def funnels(user_id: uuid.UUID, start: date | None, end: date | None) -> list[dict[str, Any]]:
    """The funnel counts of the user's applied applications that started in [start, end], one row per
    group (`dimension`: overall, resume_version, source, match_band, week)."""
    return list(await Application.raw(_FUNNELS, *_cohort_args(user_id, start, end), user_id))


async def time_zone(user_id: uuid.UUID) -> str:
    rows = await Application.raw(
        """SELECT COALESCE((SELECT time_zone FROM notification_settings WHERE "user" = {}), 'UTC') AS tz""", user_id
    )
    return str(rows[0]["tz"])
