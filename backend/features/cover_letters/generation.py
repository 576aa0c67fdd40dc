"""Writing one cover letter in the worker: stream, checkpoint, cancel, resume.

    queued ──claim──▶ streaming ──▶ completed      (content = every delta joined, grounded, usage recorded)
                          │ ├──────▶ failed         (provider error or ungrounded letter; text kept as a draft)
                          │ ╰──────▶ cancelled      (by the owner, via the api; partial text kept)
                          ╰── crash: redelivered, claimed again, resumed from the checkpoint

Each text piece is published as `cover_letter.delta {seq, text}`, seq increasing by one. Every
`checkpoint_interval` s the text so far is written (encrypted) with its seq, fenced by `attempts`;
the same round trip tells the run whether the letter was cancelled, deleted or claimed by a later
delivery, and the run stops within that interval even while the provider is silent.

Redelivery resumes from the checkpoint: `content` and `seq` continue. The builtin provider is
deterministic, so its stream is replayed and the checkpointed prefix skipped: deltas a client saw
after the checkpoint come again with the same seq and text (clients keep the first of each seq). A
model is asked to continue the checkpointed text instead; `cover_letter.completed` tells clients
to refetch the stored text, which is what counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
import structlog
from redis.asyncio import Redis

from backend.engines import llm
from backend.engines.llm import grounding, prompts
from backend.features.ai import quota, sources, work
from backend.features.cover_letters.service import content_aad
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.engine import DB
from backend.platform.db.tables import CoverLetter
from backend.platform.jobs import claim as fenced
from backend.platform.realtime import events
from backend.platform.realtime.sink import EventSink, publish_best_effort
from backend.settings import AISettings

log = structlog.get_logger("career_copilot.cover_letters.generation")
MAX_ATTEMPTS = work.LETTER_MAX_ATTEMPTS
FAILURES = {
    "resume_gone": "The resume version this letter was based on is gone. Please choose another resume.",
    "unavailable": "The letter could not be written because a service was unavailable. Please try again.",
    "too_many_attempts": work.LETTER_INTERRUPTED,
}


class Claim(msgspec.Struct, frozen=True):
    letter_id: uuid.UUID
    user_id: uuid.UUID
    attempts: int
    row: dict[str, Any]


class Stop(Exception):
    """The run must stop: the letter was cancelled (`cancelled`), deleted or claimed again."""

    def __init__(self, cancelled: bool) -> None:
        super().__init__("cancelled" if cancelled else "superseded")
        self.cancelled = cancelled


class _Text:
    """The letter so far: pieces and the seq of the last one."""

    def __init__(self, prefix: str, seq: int) -> None:
        self.pieces, self.seq, self.saved_seq = [prefix] if prefix else [], seq, seq
        self.first_delta_at: float | None = None

    @property
    def value(self) -> str:
        return "".join(self.pieces)


class LetterGenerator:
    """Runs one delivery of `cover_letters.generate` (see the module docstring)."""

    def __init__(
        self,
        *,
        envelope: Envelope,
        sink: EventSink,
        provider: llm.Provider,
        settings: AISettings,
        checkpoint_interval: float = 0.2,
        redis: Redis | None = None,
    ) -> None:
        self.envelope, self.sink, self.provider, self.settings = envelope, sink, provider, settings
        self.redis = redis  # the day's global AI spend (quota.count_spend)
        self.interval = checkpoint_interval

    async def run(self, letter_id: uuid.UUID, *, final_attempt: bool) -> str:
        """Returns completed, failed, cancelled, skipped or superseded; raises on transient errors."""
        claim = await _claim(letter_id)
        if claim is None:
            return "skipped"
        if claim.attempts > MAX_ATTEMPTS:
            return await self._fail(claim, FAILURES["too_many_attempts"], None, "interrupted")
        text: _Text | None = None
        try:
            loaded = (
                await sources.load_resume(self.envelope, claim.row["resume_version"])
                if claim.row["resume_version"]
                else None
            )
            if loaded is None:
                return await self._fail(claim, FAILURES["resume_gone"], None, "resume_gone")
            resume, _ = loaded
            prefix = self._decrypt(claim)
            text = _Text(prefix, claim.row["seq"] if prefix else 0)
            request = self._request(claim, resume, prefix)
            usage = await self._stream(claim, request, text)
            return await self._finish(claim, resume, text, usage)
        except Stop as stop:
            if stop.cancelled and text is not None:
                await self._save_cancelled(claim, text)
                await self._publish(claim, events.CoverLetterCancelled(data=events.CoverLetterRef(letter_id)))
                return "cancelled"
            return "superseded"
        except llm.ProviderError as exc:
            log.warning("cover_letter_provider_failed", letter_id=str(letter_id), status=exc.status)
            return await self._fail(claim, exc.reason, text, "provider_error")
        except Exception:
            if final_attempt or claim.attempts >= MAX_ATTEMPTS:
                with contextlib.suppress(Exception):
                    await self._fail(claim, FAILURES["unavailable"], text, "unavailable")
            raise

    def _decrypt(self, claim: Claim) -> str:
        blob = claim.row["content"]
        return self.envelope.decrypt_text(bytes(blob), content_aad(claim.letter_id)) if blob is not None else ""

    def _request(self, claim: Claim, resume: dict[str, Any], prefix: str) -> llm.GenerationRequest:
        row = claim.row
        brief = llm.Brief(
            kind="cover_letter", resume=resume, company=row["company"], role=row["role"],
            job_description=row["job_description"], tone=row["tone"],
        )  # fmt: skip
        request = prompts.cover_letter(brief, row["instructions"], max_tokens=self.settings.max_output_tokens)
        if prefix and self.provider.name != "builtin":  # a model continues the checkpointed text
            more = [
                llm.Message("assistant", prefix),
                llm.Message("user", "Continue the letter from exactly where it stops. Output only the rest."),
            ]
            request = msgspec.structs.replace(request, messages=[*request.messages, *more])
        return request

    async def _stream(self, claim: Claim, request: llm.GenerationRequest, text: _Text) -> llm.Usage:
        started = time.monotonic()
        usage = llm.Usage()
        skip = len(text.value) if self.provider.name == "builtin" else 0  # replayed, already stored
        replay_seq = 0

        async def pump() -> None:
            nonlocal usage, skip, replay_seq
            async for chunk in self.provider.stream(request):
                if chunk.usage is not None:
                    usage = chunk.usage
                if not chunk.text:
                    continue
                if skip > 0:  # builtin replay: the same pieces with the same seqs as before the crash
                    skip -= len(chunk.text)
                    replay_seq += 1
                    continue
                text.seq += 1
                text.pieces.append(chunk.text)
                if text.first_delta_at is None:
                    text.first_delta_at = time.monotonic()
                delta = events.CoverLetterDeltaData(claim.letter_id, text.seq, chunk.text)
                await self._publish(claim, events.CoverLetterDelta(data=delta))

        task = asyncio.create_task(pump(), name=f"cover-letter-{claim.letter_id}")
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.interval)
                if done:
                    task.result()
                    break
                await self._checkpoint(claim, text)
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if text.first_delta_at is not None:
            log.info(
                "cover_letter_streamed", letter_id=str(claim.letter_id), provider=self.provider.name,
                first_delta_ms=round((text.first_delta_at - started) * 1000, 1), deltas=text.seq,
            )  # fmt: skip
        return usage

    async def _checkpoint(self, claim: Claim, text: _Text) -> None:
        """Save the text so far (when it grew) and raise Stop if the run no longer owns the letter."""
        values: dict[Any, Any] = {CoverLetter.updated_at: datetime.now(UTC)}
        if text.seq != text.saved_seq:
            seq = text.seq
            values[CoverLetter.content] = self.envelope.encrypt_text(text.value, content_aad(claim.letter_id))
            values[CoverLetter.seq] = seq
        else:
            seq = text.saved_seq
        if not await _update_owned(claim, values):
            raise Stop(cancelled=await _status(claim.letter_id) == "cancelled")
        text.saved_seq = seq

    async def _finish(self, claim: Claim, resume: dict[str, Any], text: _Text, usage: llm.Usage) -> str:
        letter, row = text.value, claim.row
        problems = grounding.check(
            letter, resume, company=row["company"], role=row["role"], job_description=row["job_description"]
        )
        if problems:
            log.warning("cover_letter_ungrounded", letter_id=str(claim.letter_id), kinds=[p.kind for p in problems])
            refused = [events.RefusedItem(p.kind, p.text) for p in problems]
            return await self._fail(claim, grounding.describe(problems), text, "ungrounded", refused)
        values: dict[Any, Any] = {
            CoverLetter.status: "completed",
            CoverLetter.content: self.envelope.encrypt_text(letter, content_aad(claim.letter_id)),
            CoverLetter.seq: text.seq,
            CoverLetter.provider: self.provider.name,
            CoverLetter.model: self.provider.model[:100],
            CoverLetter.usage: msgspec.to_builtins(usage),
            CoverLetter.completed_at: datetime.now(UTC),
            CoverLetter.updated_at: datetime.now(UTC),
            CoverLetter.error: None,
        }
        async with DB.transaction():
            if not await _update_owned(claim, values):
                raise Stop(cancelled=await _status(claim.letter_id) == "cancelled")
            await quota.record(
                claim.user_id, "cover_letter", claim.letter_id, self.provider.name, self.provider.model, usage
            )
        await quota.count_spend(self.redis, self.provider.name, usage)
        await self._publish(claim, events.CoverLetterCompleted(data=events.CoverLetterRef(claim.letter_id)))
        return "completed"

    async def _fail(
        self,
        claim: Claim,
        error: str,
        text: _Text | None,
        reason: events.LetterFailure,
        refused: list[events.RefusedItem] | None = None,
    ) -> str:
        """Mark the letter failed with `error` (one sentence; also what REST `error` answers) and tell
        the owner, with `reason` and what was refused. Text written so far is kept as a draft."""
        error = " ".join(error.split())[:500]
        values: dict[Any, Any] = {
            CoverLetter.status: "failed",
            CoverLetter.error: error,
            CoverLetter.provider: self.provider.name,
            CoverLetter.model: self.provider.model[:100],
            CoverLetter.updated_at: datetime.now(UTC),
        }
        if text is not None and text.seq:
            values[CoverLetter.content] = self.envelope.encrypt_text(text.value, content_aad(claim.letter_id))
            values[CoverLetter.seq] = text.seq
        if not await _update_owned(claim, values):
            return "superseded"
        data = events.CoverLetterFailedData(claim.letter_id, error, reason, refused or [])
        await self._publish(claim, events.CoverLetterFailed(data=data))
        return "failed"

    async def _save_cancelled(self, claim: Claim, text: _Text) -> None:
        values: dict[Any, Any] = {
            CoverLetter.content: self.envelope.encrypt_text(text.value, content_aad(claim.letter_id)),
            CoverLetter.seq: text.seq,
            CoverLetter.provider: self.provider.name,
            CoverLetter.model: self.provider.model[:100],
        }
        await fenced.update_fenced(work.LETTER_ROWS, claim.letter_id, claim.attempts, values, status="cancelled")

    async def _publish(self, claim: Claim, event: events.Event) -> None:
        await publish_best_effort(self.sink, claim.user_id, event, log=log, lost="cover_letter_event_lost")


async def _claim(letter_id: uuid.UUID) -> Claim | None:
    row = await fenced.claim(work.LETTER_ROWS, letter_id)
    return None if row is None else Claim(row["id"], row["user"], row["attempts"], row)


async def _update_owned(claim: Claim, values: dict[Any, Any]) -> bool:
    return await fenced.update_fenced(work.LETTER_ROWS, claim.letter_id, claim.attempts, values)


async def _status(letter_id: uuid.UUID) -> str | None:
    row = await CoverLetter.select(CoverLetter.status).where(CoverLetter.id == letter_id).first()
    return None if row is None else str(row["status"])
