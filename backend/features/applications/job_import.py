"""Import a job posting from its URL: fetch the page (or take the one the user's browser sent), read
its fields with the job_posting engine, keep the page encrypted as the application's snapshot, and
create the application. No Litestar import.

- Budget: `JOB_IMPORTS_PER_HOUR` per user (429 + Retry-After), counted before the fetch; a page sent
  in `html` is at most `JOB_FETCH_MAX_BYTES` (413), as a fetched one is (422).
- A page that cannot be fetched (refused address, timeout, too large, not HTML, an error status) or
  read (no job title on it) answers 422 `job-page-unreadable` / `job-posting-not-found`, saying why and
  carrying the `url` back, so the client can offer to paste the page instead; nothing is created then.
- The page goes to the object store before the transaction that inserts the application, its first
  timeline event and the snapshot row: never a row without its file; a failed insert deletes the file.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import uuid
from typing import Any

import anyio
import anyio.to_thread
import structlog
from redis.asyncio import Redis

from backend import errors
from backend.engines.job_posting import Posting, extract
from backend.features.applications import schemas
from backend.features.applications.service import ApplicationService
from backend.platform import ratelimit, redis_client
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.replicas import routed_reads
from backend.platform.db.tables import ApplicationSnapshot
from backend.platform.outbound.fetch import FetchRefused, Page, Policy, fetch
from backend.platform.storage import ObjectStore

log = structlog.get_logger("career_copilot.applications.import")

MAX_TEXT = 200  # company, role, location (the columns' width)
MAX_DESCRIPTION = 50_000
MAX_SALARY = 100_000_000
YEARLY = (None, "YEAR", "YEARLY", "ANNUAL", "ANNUALLY", "P1Y")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


EXTRACTIONS = 2  # pages read at once per process (CPU in threads: up to ~1 s each for a 2 MB page)
_limiter: anyio.CapacityLimiter | None = None


def _extractions() -> anyio.CapacityLimiter:
    global _limiter  # created in the event loop on first use
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(EXTRACTIONS)
    return _limiter


def snapshot_key(user_id: uuid.UUID, snapshot_id: uuid.UUID) -> str:
    return f"users/{user_id}/job-pages/{snapshot_id}"


class JobImport:
    def __init__(
        self,
        applications: ApplicationService,
        store: ObjectStore,
        envelope: Envelope,
        policy: Policy,
        *,
        redis: Redis | None,
        imports_per_hour: int,
    ) -> None:
        self.applications = applications
        self.store = store
        self.envelope = envelope
        self.policy = policy  # Policy.for_job_postings(settings.outbound)
        self.redis = redis
        self.imports_per_hour = imports_per_hour

    async def run(self, user_id: uuid.UUID, body: schemas.ApplicationImport) -> schemas.ImportedApplication:
        if body.html is not None:
            size = len(body.html.encode())
            if size > self.policy.max_bytes:
                raise errors.PayloadTooLarge(
                    f"The page sent is {size:,} bytes; at most {self.policy.max_bytes:,} are read. "
                    "Send the posting's text alone, or only the part of the page that holds it."
                )
        await self._take(user_id)
        if body.html is not None:
            html, read_from, origin = body.html, body.url, "browser"
        else:
            page = await self._fetch(body.url)
            html, read_from, origin = decode(page).replace("\x00", ""), page.url, "fetched"
        posting: Posting = await anyio.to_thread.run_sync(extract, html, read_from, limiter=_extractions())
        if not posting.role:
            raise errors.UnreadablePage(
                "No job title was found on this page. Paste the posting's text, or fill in the application by hand.",
                url=body.url,
                slug="job-posting-not-found",
            )
        create, notes = _application(posting, body)
        data = html.encode()
        snapshot_id = uuid.uuid4()
        key = snapshot_key(user_id, snapshot_id)
        await self.store.put(key, data, "text/html")  # before the commit: never a row without its file

        async def record(application_id: uuid.UUID) -> None:
            await ApplicationSnapshot(
                id=snapshot_id, application=application_id, user=user_id, url=body.url,
                final_url=read_from if origin == "fetched" else "", origin=origin, size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), object_key=key, object_kid=self.envelope.active_kid,
                method=posting.method, sources=dict(posting.sources),
            ).save()  # fmt: skip

        try:
            application = await self.applications.create(user_id, create, also=record)
        except BaseException:
            await self._forget(key)
            raise
        log.info("job_imported", method=posting.method, board=posting.source or "", origin=origin, notes=bool(notes))
        return schemas.ImportedApplication(
            application=application,
            method=posting.method,  # type: ignore[arg-type]  # a role was found: never "none"
            sources=dict(posting.sources),  # type: ignore[arg-type]
            snapshot_id=snapshot_id,
            page=origin,  # type: ignore[arg-type]
        )

    async def _take(self, user_id: uuid.UUID) -> None:
        """Count the import in the user's hourly window, or raise TooManyRequests (429, Retry-After)."""
        if self.redis is None:
            return
        window = ratelimit.Window(f"rl:job-import:{redis_client.tag(user_id)}", self.imports_per_hour, 3600)
        if wait := await ratelimit.take(self.redis, [window]):
            raise errors.TooManyRequests(
                f"At most {self.imports_per_hour} job imports an hour; try again in {wait} seconds", retry_after=wait
            )

    async def _fetch(self, url: str) -> Page:
        try:
            return await fetch(url, self.policy)
        except FetchRefused as refused:
            raise errors.UnreadablePage(
                f"The page could not be read: {refused}. Paste the posting's text instead, or send the page "
                "as your browser shows it.",
                url=url,
            ) from None

    async def _forget(self, key: str) -> None:
        try:
            await self.store.delete(key)
        except Exception as exc:  # an orphan object is harmless; the real error matters more
            log.warning("orphan_object", error=type(exc).__name__)


async def snapshot_page(store: ObjectStore, user_id: uuid.UUID, application_id: uuid.UUID) -> bytes:
    """The page the user's application was imported from (the latest, UTF-8 HTML); 404 when it has none
    or is another user's."""
    with routed_reads(user_id):
        row = (
            await ApplicationSnapshot.select(ApplicationSnapshot.object_key)
            .where((ApplicationSnapshot.application == application_id) & (ApplicationSnapshot.user == user_id))
            .order_by(ApplicationSnapshot.created_at, ascending=False)
            .first()
        )
    if row is None:
        raise errors.NotFound("This application has no saved job posting page")
    return await store.get(row["object_key"])


def decode(page: Page) -> str:
    """The page's text: the charset of its Content-Type, else of its `<meta>`, else UTF-8."""
    if "charset=" in page.content_type.lower():
        return page.text
    found = _META_CHARSET.search(page.body[:4096])
    charset = found.group(1).decode("ascii", "replace") if found else "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    return page.body.decode(charset, errors="replace")


def _application(posting: Posting, body: schemas.ApplicationImport) -> tuple[schemas.ApplicationCreate, str]:
    """The application's fields from the posting, cut to the columns' limits; (create, notes)."""
    low, high, currency, notes = _salary(posting)
    values: dict[str, Any] = {
        "company": _cut(posting.company, MAX_TEXT) or "Unknown company",
        "role": _cut(posting.role, MAX_TEXT) or "",
        "status": body.status,
        "location": _cut(posting.location, MAX_TEXT) or "",
        "remote": posting.remote if posting.remote in ("onsite", "hybrid", "remote") else None,
        "salary_min": low,
        "salary_max": high,
        "currency": currency,
        "job_url": body.url,
        "job_description": _cut(posting.description, MAX_DESCRIPTION) or "",
        "source": posting.source or "",
        "notes": notes,
    }
    return schemas.ApplicationCreate(**values), notes


def _salary(posting: Posting) -> tuple[int | None, int | None, str | None, str]:
    """(min, max, currency, notes): a yearly range as the application's salary; pay by the hour, day
    or month stays out of those fields (they are yearly) and is noted as the posting states it."""
    low, high = posting.salary_min, posting.salary_max
    if low is None and high is None:
        return None, None, None, ""
    currency = (posting.salary_currency or "").strip().upper()
    currency_or_none = currency if re.fullmatch(r"[A-Z]{3}", currency) else None
    period = (posting.salary_period or "").strip().upper() or None
    if period not in YEARLY:
        shown = " to ".join(dict.fromkeys(f"{v:,.2f}".removesuffix(".00") for v in (low, high) if v is not None))
        unit = f"{currency} " if currency else ""
        return None, None, None, f"Pay as the posting states it: {shown} {unit}per {period.lower()}"
    yearly = [round(v) for v in (low, high) if v is not None and 0 <= v <= MAX_SALARY]
    if not yearly:
        return None, None, None, ""
    return min(yearly), max(yearly), currency_or_none, ""


def _cut(value: str | None, limit: int) -> str | None:
    if not value:
        return None
    value = value.strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"
