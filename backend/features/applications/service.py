"""Application rules: validation across fields, the status timeline, cached reads, live sync.
No Litestar import: tasks (e.g. follow-up reminders) reuse this."""

from __future__ import annotations

import functools
import hashlib
import statistics
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import msgspec
import structlog

from backend import errors
from backend.features.applications import activity, schemas
from backend.features.applications import queries as repo
from backend.features.notifications import ghosting, status_notices
from backend.platform import clock, redis_client
from backend.platform.cache import Cache, Hit
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.engine import DB
from backend.platform.db.replicas import routed_reads
from backend.platform.db.tables import Application, ApplicationSnapshot, ResumeVersion
from backend.platform.http import pagination
from backend.platform.realtime import events
from backend.platform.realtime.publisher import Publisher
from backend.platform.realtime.sink import publish_best_effort
from backend.platform.storage import ObjectStore

_encoder = msgspec.json.Encoder()
log = structlog.get_logger("career_copilot.applications")


def _aware(value: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def to_out(row: dict[str, Any]) -> schemas.ApplicationOut:
    return msgspec.convert({**row, "tags": list(row["tags"] or [])}, schemas.ApplicationOut, from_attributes=False)


def _check_salary(salary_min: int | None, salary_max: int | None) -> None:
    if salary_min is not None and salary_max is not None and salary_min > salary_max:
        raise errors.Unprocessable(errors=[errors.FieldError("salary_max", "must not be below salary_min")])


async def _check_resume_version(user_id: uuid.UUID, version_id: uuid.UUID | None) -> None:
    """A linked resume version must be one of the user's (another user's id is not even confirmed)."""
    if version_id is None:
        return
    owned = await ResumeVersion.exists().where((ResumeVersion.id == version_id) & (ResumeVersion.user == user_id))
    if not owned:
        raise errors.Unprocessable(errors=[errors.FieldError("resume_version_id", "no such resume version")])


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


_ETAG_SIZE = 34  # a cache entry is the ETag (quoted, 32 hex digits) then the JSON body


def cache_namespace(user_id: uuid.UUID) -> str:
    """Every cached answer of a user's applications; one version bump invalidates them all. Tagged
    with the user (`redis_client.tag`): on a Redis Cluster the version, the entries and the user's
    session stamp share a slot, read together by `Cache.guarded_lookup`."""
    return f"apps:{redis_client.tag(user_id)}"


@functools.lru_cache(maxsize=4096)
def list_cache_key(query: bytes) -> str:
    """A list page is cached under its query string, as sent: known before the session check, so
    that both are one Redis round trip (`Principal.prefetched`). Invalid queries never get here."""
    return "list:" + hashlib.sha256(query).hexdigest()[:24]


def one_cache_key(application_id: uuid.UUID) -> str:
    return f"one:{application_id}"


def stored_answer(hit: Hit | None) -> tuple[bytes, str] | None:
    """(JSON body, ETag) of a cache hit, as stored; None for a miss (or an entry of the older
    body-only layout)."""
    entry = hit.entry if hit is not None else None
    if entry is None or entry[:1] != b'"':
        return None
    return entry[_ETAG_SIZE:], entry[:_ETAG_SIZE].decode()


class ApplicationService:
    def __init__(
        self,
        cache: Cache,
        publisher: Publisher,
        prefetched: Hit | None = None,
        *,
        public_url: str = "",
        envelope: Envelope,
        store: ObjectStore | None = None,
    ) -> None:
        """`prefetched`: a cache lookup already made with the session check, used if it is the one
        a read asks for. `public_url`: the base of links in emails (status-change notices).
        `store`: where imported postings' pages are kept (deleted with their application)."""
        self.cache = cache
        self.publisher = publisher
        self.prefetched = prefetched
        self.public_url = public_url
        self.envelope = envelope  # decrypts the owner's name for status-change emails
        self.store = store

    async def _changed(self, user_id: uuid.UUID, application_id: uuid.UUID, op: str) -> None:
        """After a commit: bump the owner's cache version, tell their other tabs."""
        await self.cache.bump(cache_namespace(user_id))
        data = events.ApplicationChangedData(application_id, op)  # type: ignore[arg-type]
        await publish_best_effort(
            self.publisher, user_id, events.ApplicationChanged(data=data), log=log,
            lost="application_changed_not_published",
        )  # fmt: skip

    async def create(
        self,
        user_id: uuid.UUID,
        body: schemas.ApplicationCreate,
        *,
        also: Callable[[uuid.UUID], Awaitable[None]] | None = None,
    ) -> schemas.ApplicationOut:
        """`also(application_id)` runs in the transaction that inserts it (an import's page snapshot)."""
        _check_salary(body.salary_min, body.salary_max)
        await _check_resume_version(user_id, body.resume_version_id)
        values = msgspec.structs.asdict(body)
        values["applied_at"] = _aware(body.applied_at)
        values["next_follow_up_at"] = _aware(body.next_follow_up_at)
        if body.status == "applied" and values["applied_at"] is None:
            values["applied_at"] = clock.now()
        row = Application(user=user_id, **values)
        async with DB.transaction():
            await row.save()
            await repo.add_event(row.id, None, body.status)
            if also is not None:
                await also(row.id)
        await self._changed(user_id, row.id, "created")
        return to_out(await repo.get_owned(user_id, row.id))

    async def update(
        self, user_id: uuid.UUID, application_id: uuid.UUID, body: schemas.ApplicationUpdate
    ) -> schemas.ApplicationOut:
        changes = {k: v for k, v in msgspec.structs.asdict(body).items() if v is not msgspec.UNSET}
        note = changes.pop("status_note", "")
        if "resume_version_id" in changes:
            await _check_resume_version(user_id, changes["resume_version_id"])
        for field in ("applied_at", "next_follow_up_at"):
            if field in changes:
                changes[field] = _aware(changes[field])
        async with DB.transaction():
            current = await repo.get_owned(user_id, application_id, lock=True)
            _check_salary(
                changes.get("salary_min", current["salary_min"]), changes.get("salary_max", current["salary_max"])
            )
            new_status = changes.get("status", current["status"])
            if new_status != current["status"]:
                await self._status_change(user_id, current, changes, note)
            if changes:
                await self._write(application_id, changes)
        if changes:
            await self._changed(user_id, application_id, "updated")
        return to_out(await repo.get_owned(user_id, application_id))

    async def _status_change(
        self, user_id: uuid.UUID, current: dict[str, Any], changes: dict[str, Any], note: str
    ) -> None:
        """In the transaction of the change (the row locked): the timeline's event, `applied_at`
        filled on a move to `applied`, and the owner's status-change email if wanted."""
        new_status = changes["status"]
        await repo.add_event(current["id"], current["status"], new_status, note)
        if new_status == "applied" and changes.get("applied_at", current["applied_at"]) is None:
            changes["applied_at"] = clock.now()
        before = {**current, **changes, "status": current["status"]}  # its new company/role
        await status_notices.queue_if_wanted(user_id, before, new_status, clock.now(), self.public_url, self.envelope)

    async def _write(self, application_id: uuid.UUID, changes: dict[str, Any]) -> None:
        changes["updated_at"] = clock.now()
        await Application.update({getattr(Application, k): v for k, v in changes.items()}).where(
            Application.id == application_id
        )

    async def decide_ghosting(
        self, user_id: uuid.UUID, application_id: uuid.UUID, decision: ghosting.Decision
    ) -> schemas.ApplicationOut:
        """The user's answer to a ghosting suggestion (or ahead of one) for an application in
        `applied`: `confirmed` moves it to `ghosted` (timeline note: when it was applied), `dismissed`
        keeps it waiting and it is not suggested again until it is re-applied. Either marks the
        suggestion read. Answering again is a no-op; an application elsewhere in the pipeline: 409."""
        moved = False
        async with DB.transaction():
            current = await repo.get_owned(user_id, application_id, lock=True)
            if current["status"] == "ghosted" and decision == "confirmed":
                return to_out(current)
            if current["status"] != "applied":
                detail = f"Only an application in 'applied' awaits an answer; this one is {current['status']!r}"
                raise errors.Conflict(detail, slug="not-awaiting-answer")
            started = await ghosting.decide(user_id, application_id, decision, clock.now())
            if decision == "confirmed":
                since = started or current["applied_at"]
                note = f"No answer since applying on {since:%Y-%m-%d}" if since is not None else "No answer"
                changes: dict[str, Any] = {"status": "ghosted"}
                await self._status_change(user_id, current, changes, note)
                await self._write(application_id, changes)
                moved = True
        if moved:
            await self._changed(user_id, application_id, "updated")
        return to_out(await repo.get_owned(user_id, application_id))

    async def imported(self, user_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
        """After a committed import: one cache bump, and each new application announced."""
        for application_id in ids:
            await self._changed(user_id, application_id, "created")

    async def delete(self, user_id: uuid.UUID, application_id: uuid.UUID) -> None:
        """Delete the application, its timeline and the pages it was imported from (rows, then files)."""
        await repo.get_owned(user_id, application_id)
        pages = await ApplicationSnapshot.select(ApplicationSnapshot.object_key).where(
            ApplicationSnapshot.application == application_id
        )
        await Application.delete().where(Application.id == application_id).where(Application.user == user_id)
        await self._changed(user_id, application_id, "deleted")
        for page in pages:
            await self._forget_object(page["object_key"])

    async def _forget_object(self, key: str) -> None:
        if self.store is None:
            return
        try:
            await self.store.delete(key)
        except Exception as exc:  # an orphan object is harmless; the delete itself went through
            log.warning("orphan_object", error=type(exc).__name__)

    # -- reads (cache-aside, encoded and hashed once) ----------------------------------------------
    async def _cached(self, user_id: uuid.UUID, key: str, load: Any) -> tuple[bytes, str]:
        """(JSON body, ETag). A hit is served as stored: no decoding, encoding or hashing."""
        namespace = cache_namespace(user_id)
        hit = self.prefetched
        if hit is None or hit.namespace != namespace or hit.suffix != key:
            hit = await self.cache.lookup(namespace, key)
        stored = stored_answer(hit)
        if stored is not None:
            return stored
        body = _encoder.encode(await load())
        etag = etag_of(body)
        if hit.version is not None:
            await self.cache.set(Cache.key(namespace, hit.version, key), etag.encode() + body)
        return body, etag

    async def get_json(self, user_id: uuid.UUID, application_id: uuid.UUID) -> tuple[bytes, str]:
        async def load() -> schemas.ApplicationOut:
            with routed_reads(user_id):
                return to_out(await repo.get_owned(user_id, application_id))

        return await self._cached(user_id, one_cache_key(application_id), load)

    async def list_json(
        self,
        user_id: uuid.UUID,
        *,
        status: str | None,
        tag: str | None,
        q: str | None,
        sort: str,
        limit: int,
        cursor: str | None,
        cache_key: str,
    ) -> tuple[bytes, str]:
        """A page as JSON, cached under `cache_key` (`list_cache_key` of the query). The route's
        schema has checked `status` (schemas.STATUS_FILTER_PATTERN), `sort` and `limit`."""
        statuses = [s for s in (status or "").split(",") if s]
        scope = f"applications:{user_id}"
        key = pagination.decode_cursor(cursor, scope)
        if key is not None and (len(key) != 3 or key[0] != sort or not all(isinstance(k, str) for k in key)):
            raise errors.BadRequest("The cursor is not valid for this sort", slug="invalid-cursor")
        after = (key[1], key[2]) if key is not None else None

        async def load() -> schemas.ApplicationPage:
            with routed_reads(user_id):
                rows = await repo.page(
                    user_id, statuses=statuses, tag=tag, q=q, sort=sort, after=after, limit=limit + 1
                )
            more, rows = len(rows) > limit, rows[:limit]
            next_cursor = (
                pagination.encode_cursor([sort, rows[-1]["sort_key"], str(rows[-1]["id"])], scope) if more else None
            )
            return schemas.ApplicationPage(items=[to_out(r) for r in rows], next_cursor=next_cursor)

        return await self._cached(user_id, cache_key, load)

    async def timeline(self, user_id: uuid.UUID, application_id: uuid.UUID) -> list[schemas.ApplicationEventOut]:
        """Status changes, interviews and contacts, oldest first (status changes first at equal times)."""
        with routed_reads(user_id):
            await repo.get_owned(user_id, application_id)
            rows = await repo.events(application_id)
            others = await activity.entries(self.envelope, application_id)
        return merge_timeline(rows, others)

    async def stats(self, user_id: uuid.UUID) -> schemas.ApplicationStats:
        with routed_reads(user_id):
            rows = await repo.stats_rows(user_id)
        by_status = dict.fromkeys(schemas.STATUSES, 0)
        sources: dict[str, list[dict[str, Any]]] = defaultdict(list)
        days: list[float] = []
        for row in rows:
            by_status[row["status"]] += 1
            sources[row["source"] or ""].append(row)
            if row["first_response_at"] is not None and row["applied_at"] is not None:
                days.append(max(0.0, (row["first_response_at"] - row["applied_at"]).total_seconds() / 86400))
        applied, responded = _funnel(rows)
        return schemas.ApplicationStats(
            total=len(rows),
            by_status=by_status,
            applied=applied,
            responded=responded,
            response_rate=round(responded / applied, 4) if applied else None,
            median_days_to_first_response=round(statistics.median(days), 2) if days else None,
            by_source=[
                schemas.SourceStats(
                    source=name,
                    total=len(group),
                    applied=(a := _funnel(group))[0],
                    responded=a[1],
                    response_rate=round(a[1] / a[0], 4) if a[0] else None,
                )
                for name, group in sorted(sources.items())
            ],
        )

    async def analytics(self, user_id: uuid.UUID, start: str | None, end: str | None) -> schemas.ApplicationAnalytics:
        return await outcome_analytics(user_id, start, end)


def _funnel(rows: list[dict[str, Any]]) -> tuple[int, int]:
    """(applied, responded) as queries.OUTCOMES defines them (analytics counts the same)."""
    return sum(1 for r in rows if r["applied"]), sum(1 for r in rows if r["applied"] and r["responded"])


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _funnel_counts(row: dict[str, Any]) -> dict[str, Any]:
    """A group's counts (a row of queries.funnels) with its rates and whether it is a small sample."""
    applied, responded, interviewed, offered = (int(row[k]) for k in ("applied", "responded", "interviewed", "offered"))
    return {
        "applied": applied,
        "responded": responded,
        "interviewed": interviewed,
        "offered": offered,
        "response_rate": _rate(responded, applied),
        "interview_rate": _rate(interviewed, applied),
        "offer_rate": _rate(offered, applied),
        "interviews_per_response": _rate(interviewed, responded),
        "offers_per_interview": _rate(offered, interviewed),
        "small_sample": applied < schemas.SMALL_SAMPLE,
    }


def _version_label(row: dict[str, Any]) -> str:
    if row["resume_version_id"] is None:
        return "No resume version"
    if row["version_number"] is None:
        return "Deleted resume version"
    return f"{row['resume_title']} v{row['version_number']}"


async def outcome_analytics(user_id: uuid.UUID, start: str | None, end: str | None) -> schemas.ApplicationAnalytics:
    """The outcome analytics of the user's applications that started from `start` to `end` (ISO
    dates, both included, in the owner's time zone; see schemas.ApplicationAnalytics)."""
    first, last = _day("from", start), _day("to", end)
    if first is not None and last is not None and first > last:
        raise errors.Unprocessable(errors=[errors.FieldError("to", "must not be before `from`")])
    with routed_reads(user_id):
        zone = await repo.time_zone(user_id)
        nodes, links = await repo.flow(user_id, first, last)
        groups = await repo.funnels(user_id, first, last)
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in groups:
        by[row["dimension"]].append(row)
    overall = by["overall"][0] if by["overall"] else {"applied": 0, "responded": 0, "interviewed": 0, "offered": 0}
    bands = {row["band"]: row for row in by["match_band"]}
    empty = {"applied": 0, "responded": 0, "interviewed": 0, "offered": 0}
    order = {status: index for index, status in enumerate(schemas.STATUSES)}
    return schemas.ApplicationAnalytics(
        from_=first,
        to=last,
        time_zone=zone,
        flow=schemas.Flow(
            nodes=[
                schemas.FlowNode(status=row["status"], applications=int(row["applications"]))
                for row in sorted(nodes, key=lambda row: order.get(row["status"], len(order)))
            ],
            links=[
                schemas.FlowLink(source=row["source"], target=row["target"], applications=int(row["applications"]))
                for row in sorted(links, key=lambda row: (order.get(row["source"], 99), order.get(row["target"], 99)))
            ],
        ),
        overall=schemas.Funnel(**_funnel_counts(overall)),
        by_resume_version=[
            schemas.ResumeVersionFunnel(
                resume_version_id=row["resume_version_id"], label=_version_label(row), **_funnel_counts(row)
            )
            for row in sorted(by["resume_version"], key=lambda row: (-int(row["applied"]), _version_label(row)))
        ],
        by_source=[
            schemas.SourceFunnel(source=row["source"], **_funnel_counts(row))
            for row in sorted(by["source"], key=lambda row: (-int(row["applied"]), row["source"]))
        ],
        by_match_band=[
            schemas.MatchBandFunnel(band=band, **_funnel_counts(bands.get(band, empty)))  # type: ignore[arg-type]
            for band in schemas.MATCH_BANDS
        ],
        by_week=[
            schemas.WeekFunnel(week=row["week"] or "none", **_funnel_counts(row))
            for row in sorted(by["week"], key=lambda row: row["week"] or "~")
        ],
    )


def _day(field: str, value: str | None) -> date | None:
    """An ISO date of a query (its shape checked by the route's pattern); a day that does not exist: 422."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise errors.Unprocessable(errors=[errors.FieldError(field, "must be a date that exists")]) from None


def merge_timeline(
    status_rows: list[dict[str, Any]], others: list[tuple[dict[str, Any], activity.Snapshot]]
) -> list[schemas.ApplicationEventOut]:
    """Status changes and the other entries in one list, oldest first (status changes first at equal times)."""
    merged = [msgspec.convert(row, schemas.ApplicationEventOut) for row in status_rows]
    merged += [_activity_out(row, snapshot) for row, snapshot in others]
    return sorted(merged, key=lambda entry: (entry.at, entry.kind != "status"))


def _activity_out(row: dict[str, Any], snapshot: activity.Snapshot) -> schemas.ApplicationEventOut:
    entry = schemas.ApplicationEventOut(
        id=row["id"], at=row["at"], kind=row["kind"], from_status=None, to_status=None, note=""
    )
    if row["kind"].startswith("interview_") and snapshot.interview_kind is not None and snapshot.starts_at is not None:
        entry.interview = msgspec.convert(
            {
                "id": row["subject_id"],
                "kind": snapshot.interview_kind,
                "starts_at": snapshot.starts_at,
                "previous_starts_at": snapshot.previous_starts_at,
                "outcome": snapshot.outcome,
                "previous_outcome": snapshot.previous_outcome,
            },
            schemas.TimelineInterview,
        )
    elif row["kind"].startswith("contact_"):
        entry.contact = schemas.TimelineContact(id=row["subject_id"], name=snapshot.contact_name or "")
    return entry
