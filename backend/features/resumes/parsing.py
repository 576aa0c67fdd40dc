"""Parsing a stored resume version in the worker: state transitions and the stored result.

Framework-free (no taskiq import): `backend.features.resumes.jobs` wraps it in thin tasks. A version moves

    queued ──claim──▶ parsing ──▶ parsed            (result encrypted into `parsed` and `text`)
                         │  ╰────▶ failed            (`error` for the user, `error_code` for code)
                         ╰── transient error: raised, the broker retries; the last attempt ends `failed`

Idempotent under redelivery (delivery is at least once): a version already `parsed`/`failed` is
skipped; one left `parsing` by a killed worker is claimed again. Every claim increments `attempts`,
and the result is written only while `attempts` still equals the claim's value (a fencing token):
when two deliveries of one version overlap, the older one's result is dropped, so one version
announces `resume.parsed` once. Claims past `ParseLimits.max_attempts` end the version `failed`.

Events on the owner's channel, at most `MAX_PROGRESS_EVENTS` progress events per run,
percent increasing: downloading 5 · extracting 20 · layout 40 · sections 60 · fields 80 (the
parser's stages) · saving 90 · done 100, then `resume.parsed`; or `resume.parse.failed`.
Events are best effort: Postgres holds the truth, and a client that missed one refetches it (§5).

`sweep_stuck` re-enqueues versions whose job was lost.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import structlog

from backend.engines import resume_parser
from backend.platform.crypto.envelope import DecryptionError, Envelope
from backend.platform.db.tables import ResumeVersion
from backend.platform.jobs import claim as fenced
from backend.platform.jobs import sweep
from backend.platform.jobs.claim import JobRows
from backend.platform.realtime import events
from backend.platform.realtime.sink import EventSink, publish_best_effort
from backend.platform.storage import ObjectNotFound, ObjectStore

log = structlog.get_logger("career_copilot.resumes.parsing")

PARSE_TASK = "resumes.parse_version"  # the task the api enqueues (kwargs: version_id=str)
MAX_PROGRESS_EVENTS = 10

# Failures that are not the PDF's fault; `ResumeParseError` brings its own code and reason.
FAILURES: dict[str, str] = {
    "file_missing": "The uploaded file is missing from storage. Please upload the resume again.",
    "file_unreadable": "The stored file could not be decrypted. Please upload the resume again.",
    "unavailable": (
        "The resume could not be processed because a service was unavailable, even after several "
        "tries. Please upload it again later."
    ),
    "too_many_attempts": (
        "Processing this resume was interrupted too many times, so it was stopped. "
        "Please upload it again, or export a simpler PDF."
    ),
}

ParseFunction = Callable[..., Awaitable[resume_parser.ParseResult]]


class ParseLimits(msgspec.Struct, frozen=True):
    """Limits of one parse (the child process's sandbox) and of the retries around it."""

    max_pages: int = 20
    cpu_seconds: int = 20
    memory_mb: int = 512
    wall_seconds: float = 30.0
    max_attempts: int = 6  # parse runs per version: broker retries, crash redeliveries and sweeps
    stuck_after: timedelta = timedelta(minutes=10)  # a queued/parsing version this old is re-enqueued


VERSION_ROWS = JobRows(
    ResumeVersion, ("queued", "parsing"), "parsing", returning=("id", "user", "resume", "object_key", "attempts")
)


class Claim(msgspec.Struct, frozen=True):
    """A version this run owns while `attempts` in the row is still `attempts`."""

    version_id: uuid.UUID
    user_id: uuid.UUID
    resume_id: uuid.UUID
    object_key: str
    attempts: int


def parsed_aad(version_id: uuid.UUID | str) -> str:
    return f"resume_versions.parsed:{version_id}"


def text_aad(version_id: uuid.UUID | str) -> str:
    return f"resume_versions.text:{version_id}"


async def _publish(sink: EventSink, user_id: uuid.UUID, event: events.Event) -> None:
    await publish_best_effort(sink, user_id, event, log=log, lost="resume_event_lost")


class Superseded(Exception):
    """A later delivery claimed the version: this run stops and stores nothing."""


class _Progress:
    """Publishes `resume.parse.progress`: percent strictly increasing, at most MAX_PROGRESS_EVENTS.

    Before each event after the first it checks that the run still owns the version, and raises
    Superseded when not: a run overtaken by a redelivery goes quiet and stops its parse (the
    sandbox kills its child), instead of reporting progress after the version is parsed.
    """

    def __init__(self, sink: EventSink, claim: Claim) -> None:
        self.sink, self.claim = sink, claim
        self.last, self.sent = -1, 0

    async def __call__(self, stage: str, percent: int, *, check: bool = True) -> None:
        if percent <= self.last or self.sent >= MAX_PROGRESS_EVENTS:
            return
        if check and self.sent and not await _still_owned(self.claim):
            raise Superseded
        self.last, self.sent = percent, self.sent + 1
        data = events.ResumeParseProgressData(self.claim.resume_id, self.claim.version_id, stage, percent)
        await _publish(self.sink, self.claim.user_id, events.ResumeParseProgress(data=data))

    async def parser(self, stage: str, percent: int) -> None:
        """The parser's own stages; its `done` is ours only once the result is saved."""
        if stage != "done":
            await self(stage, min(max(percent, 6), 89))


class VersionParser:
    """Runs one delivery of the parse task for a version (see the module docstring)."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        envelope: Envelope,
        sink: EventSink,
        limits: ParseLimits | None = None,
        parse: ParseFunction | None = None,
    ) -> None:
        self.store, self.envelope, self.sink = store, envelope, sink
        self.limits = limits or ParseLimits()
        self._parse = parse

    async def run(self, version_id: uuid.UUID, *, final_attempt: bool) -> str:
        """Parse the version; returns `parsed`, `failed`, `skipped` or `superseded`.

        Raises on transient errors (storage, Postgres, Redis) so the broker retries; when
        `final_attempt` is true (no retry follows) the version is marked `failed` first.
        """
        claim = await claim_version(version_id)
        if claim is None:
            return "skipped"  # done already, or deleted
        if claim.attempts > self.limits.max_attempts:
            return await self.fail(claim, "too_many_attempts", FAILURES["too_many_attempts"])
        try:
            return await self._run(claim)
        except Exception:
            if final_attempt or claim.attempts >= self.limits.max_attempts:
                try:
                    await self.fail(claim, "unavailable", FAILURES["unavailable"])
                except Exception as exc:  # e.g. Postgres down too: the sweeper and the attempt cap finish it
                    log.warning("resume_fail_not_recorded", version_id=str(version_id), error=type(exc).__name__)
            raise

    async def _run(self, claim: Claim) -> str:
        try:
            return await self._parse_and_store(claim)
        except Superseded:
            log.info("resume_parse_superseded", version_id=str(claim.version_id), attempts=claim.attempts)
            return "superseded"

    async def _parse_and_store(self, claim: Claim) -> str:
        progress = _Progress(self.sink, claim)
        await progress("downloading", 5)
        try:
            data = await self.store.get(claim.object_key)
        except ObjectNotFound:
            return await self.fail(claim, "file_missing", FAILURES["file_missing"])
        except DecryptionError:
            return await self.fail(claim, "file_unreadable", FAILURES["file_unreadable"])
        parse = self._parse or resume_parser.parse_isolated_async  # looked up late: tests wrap it
        limits = self.limits
        try:
            result = await parse(
                data,
                max_pages=limits.max_pages,
                cpu_seconds=limits.cpu_seconds,
                memory_mb=limits.memory_mb,
                wall_seconds=limits.wall_seconds,
                progress=progress.parser,
            )
        except resume_parser.ResumeParseError as exc:
            return await self.fail(claim, exc.code, exc.reason)
        await progress("saving", 90)
        if not await self._save(claim, result):
            return "superseded"
        await progress("done", 100, check=False)  # saved: the version is no longer `parsing`
        parsed = events.ResumeParsed(data=events.ResumeVersionRef(claim.resume_id, claim.version_id))
        await _publish(self.sink, claim.user_id, parsed)
        log.info("resume_parsed", version_id=str(claim.version_id), pages=result.pages, attempts=claim.attempts)
        return "parsed"

    async def _save(self, claim: Claim, result: resume_parser.ParseResult) -> bool:
        vid = claim.version_id
        values: dict[Any, Any] = {
            ResumeVersion.status: "parsed",
            ResumeVersion.parsed: self.envelope.encrypt_json(result.resume, parsed_aad(vid)),
            ResumeVersion.text: self.envelope.encrypt_text(result.text, text_aad(vid)),
            ResumeVersion.pages: result.pages,
            ResumeVersion.parsed_at: datetime.now(UTC),
            ResumeVersion.error: None,
            ResumeVersion.error_code: None,
        }
        return await _update_claimed(claim, values)

    async def fail(self, claim: Claim, code: str, reason: str) -> str:
        """End the claimed version `failed` with a reason for the user, and say so on its channel."""
        values: dict[Any, Any] = {
            ResumeVersion.status: "failed",
            ResumeVersion.error: reason[:500],
            ResumeVersion.error_code: code[:40],
            ResumeVersion.parsed: None,
            ResumeVersion.text: None,
        }
        if not await _update_claimed(claim, values):
            return "superseded"
        await announce_failure(self.sink, claim.user_id, claim.resume_id, claim.version_id, reason)
        log.info("resume_parse_failed", version_id=str(claim.version_id), code=code, attempts=claim.attempts)
        return "failed"


async def announce_failure(
    sink: EventSink, user_id: uuid.UUID, resume_id: uuid.UUID, version_id: uuid.UUID, reason: str
) -> None:
    data = events.ResumeParseFailedData(resume_id, version_id, reason)
    await _publish(sink, user_id, events.ResumeParseFailed(data=data))


async def claim_version(version_id: uuid.UUID) -> Claim | None:
    """Move a queued or parsing version to `parsing` and count the attempt; None when it is settled."""
    row = await fenced.claim(VERSION_ROWS, version_id)
    if row is None:
        return None
    return Claim(row["id"], row["user"], row["resume"], row["object_key"], row["attempts"])


async def _still_owned(claim: Claim) -> bool:
    try:
        return await fenced.still_claimed(VERSION_ROWS, claim.version_id, claim.attempts)
    except Exception:  # a failed check is no reason to stop: the fenced save decides
        return True


async def _update_claimed(claim: Claim, values: dict[Any, Any]) -> bool:
    """Apply `values` if this run still owns the version (no later claim, not settled)."""
    return await fenced.update_fenced(VERSION_ROWS, claim.version_id, claim.attempts, values)


# -- the sweeper -------------------------------------------------------------------------------------
class SweepReport(msgspec.Struct, frozen=True):
    requeued: int
    failed: int


def lost_versions(limits: ParseLimits) -> sweep.LostJobs:
    """Versions whose parse job was lost: stuck `limits.stuck_after` after upload, given up (failed)
    after `limits.max_attempts` claims."""
    return sweep.LostJobs(
        VERSION_ROWS, PARSE_TASK, "version_id", "created_at", limits.stuck_after, limits.max_attempts,
        lambda _: {
            ResumeVersion.status: "failed", ResumeVersion.error: FAILURES["too_many_attempts"],
            ResumeVersion.error_code: "too_many_attempts",
        },
        lambda row: events.ResumeParseFailed(
            data=events.ResumeParseFailedData(row["resume"], row["id"], FAILURES["too_many_attempts"])
        ),
        columns=("id", "user", "resume", "attempts"),
    )  # fmt: skip


async def sweep_stuck(
    now: datetime, sink: EventSink, limits: ParseLimits | None = None, *, batch: int = 500
) -> SweepReport:
    """Re-enqueue versions still queued/parsing `stuck_after` after upload and after their last send.

    A version whose outbox row is pending (Redis down) or was sent recently is left alone: the relay
    or that delivery will handle it. A version whose attempts are used up ends `failed` instead.
    The new outbox row is written in the sweep's transaction; two sweepers skip each other's rows.
    """
    kind = lost_versions(limits or ParseLimits())
    [(requeued, failed)] = await sweep.sweep((kind,), now, sink, log=log, lost="resume_event_lost", batch=batch)
    if requeued or failed:
        log.warning("resume_versions_swept", requeued=requeued, failed=failed)
    return SweepReport(requeued=requeued, failed=failed)
