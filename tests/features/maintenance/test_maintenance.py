"""`maintenance.purge_expired` deletes exactly the expired rows, run in-process (InMemoryBroker)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from taskiq import AsyncBroker

from backend.features.maintenance import jobs as maintenance
from backend.features.maintenance import service as maintenance_services
from backend.platform.db.tables import (
    EmailOutbox,
    EmailToken,
    IdempotencyRecord,
    RefreshToken,
    Session,
    TaskOutbox,
    User,
)
from backend.platform.jobs.runtime import build_broker
from backend.settings import Settings

NOW = datetime.now(UTC)
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


@pytest_asyncio.fixture
async def in_process(settings: Settings, db: None) -> AsyncIterator[AsyncBroker]:
    """The in-process mode: tasks run inside the test, with the worker's hooks and middlewares."""
    broker = build_broker(settings, in_memory=True)
    await broker.startup()
    yield broker
    await broker.shutdown()


async def _user() -> User:
    user = User(email=f"{uuid.uuid4().hex}@example.com", password_hash="x", full_name="Purge Probe")
    await user.save()
    return user


async def _session(user: User, expires_at: datetime) -> Session:
    session = Session(user=user.id, expires_at=expires_at)
    await session.save()
    return session


async def _refresh(session: Session, expires_at: datetime) -> uuid.UUID:
    token = RefreshToken(session=session.id, token_hash=uuid.uuid4().hex, expires_at=expires_at)
    await token.save()
    return token.id


async def _email_token(user: User, expires_at: datetime) -> uuid.UUID:
    token = EmailToken(user=user.id, purpose="verify_email", token_hash=uuid.uuid4().hex, expires_at=expires_at)
    await token.save()
    return token.id


async def _idempotency(created_at: datetime) -> uuid.UUID:
    record = IdempotencyRecord(scoped_key=uuid.uuid4().hex, request_hash="h", created_at=created_at)
    await record.save()
    return record.id


async def _outbox(sent_at: datetime | None, created_at: datetime) -> uuid.UUID:
    row = TaskOutbox(task_name="probe.mark", kwargs={"key": "k"}, sent_at=sent_at, created_at=created_at)
    await row.save()
    return row.id


async def _email(user: User, sent_at: datetime | None, failed_at: datetime | None) -> uuid.UUID:
    row = EmailOutbox(user=user.id, to_address="a@example.com", template="verify_email", sent_at=sent_at,
                      failed_at=failed_at, created_at=NOW - 200 * DAY)  # fmt: skip
    await row.save()
    return row.id


async def _ids(
    table: type[RefreshToken | EmailToken | Session | IdempotencyRecord | TaskOutbox | EmailOutbox],
) -> set[uuid.UUID]:
    return {row["id"] for row in await table.select(table.id)}


async def test_purge_task_deletes_exactly_the_expired_rows_and_is_idempotent(in_process: AsyncBroker) -> None:
    user = await _user()
    live, expired = await _session(user, NOW + DAY), await _session(user, NOW - timedelta(minutes=1))
    old_refresh = await _refresh(live, NOW - 2 * DAY)
    recent_refresh = await _refresh(live, NOW - HOUR)  # expired, but within the one-day grace
    live_refresh = await _refresh(live, NOW + DAY)
    await _refresh(expired, NOW + DAY)  # goes with its expired session (cascade)
    old_email = await _email_token(user, NOW - 2 * DAY)
    kept_email = {await _email_token(user, NOW - HOUR), await _email_token(user, NOW + DAY)}
    old_record = await _idempotency(NOW - 25 * HOUR)
    kept_record = await _idempotency(NOW - HOUR)
    old_sent = await _outbox(NOW - 2 * DAY, NOW - 2 * DAY)
    kept_outbox = {await _outbox(NOW - HOUR, NOW - 2 * DAY), await _outbox(None, NOW - 2 * DAY)}  # pending stays
    old_emails = {await _email(user, NOW - 91 * DAY, None), await _email(user, None, NOW - 91 * DAY)}
    kept_emails = {
        await _email(user, NOW - 89 * DAY, None),
        await _email(user, None, NOW - 89 * DAY),
        await _email(user, None, None),  # not settled: stays, however old
    }

    task = await maintenance.purge_expired.kicker().with_broker(in_process).kiq()
    result = await task.wait_result(timeout=10)

    assert not result.is_err, result.error
    assert result.return_value == {
        "refresh_tokens": 1,
        "email_tokens": 1,
        "sessions": 1,
        "idempotency_records": 1,
        "task_outbox": 1,
        "emails": 2,
    }
    assert await _ids(Session) == {live.id}
    assert await _ids(RefreshToken) == {recent_refresh, live_refresh}
    assert old_refresh not in await _ids(RefreshToken)
    assert await _ids(EmailToken) == kept_email and old_email not in kept_email
    assert await _ids(IdempotencyRecord) == {kept_record} and old_record != kept_record
    assert await _ids(TaskOutbox) == kept_outbox and old_sent not in kept_outbox
    assert await _ids(EmailOutbox) == kept_emails and not old_emails & kept_emails

    again = await (await maintenance.purge_expired.kicker().with_broker(in_process).kiq()).wait_result(timeout=10)
    assert again.return_value == {
        "refresh_tokens": 0,
        "email_tokens": 0,
        "sessions": 0,
        "idempotency_records": 0,
        "task_outbox": 0,
        "emails": 0,
    }


async def test_purge_deletes_a_backlog_larger_than_one_batch(db: None) -> None:
    doomed = {await _idempotency(NOW - 2 * DAY) for _ in range(5)}
    kept = await _idempotency(NOW)

    report = await maintenance_services.purge_expired(NOW, batch=2)

    assert report.idempotency_records == len(doomed)
    assert await _ids(IdempotencyRecord) == {kept}
