"""Fixtures of the notification and email tests: a real SMTP server on loopback (aiosmtpd, the same
catcher `make dev` runs), worker and scheduler processes sending through it, and mail helpers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from backend.devtools.embedded_services import free_port
from backend.devtools.mail.catcher import Catcher
from backend.platform.db.tables import EmailOutbox
from tests import support
from tests.plugins.processes import WORKER_ARGS, Spawn
from tests.support import eventually, settings_env

MAIL_FROM = "Career Copilot <no-reply@career-copilot.test>"


@pytest.fixture
def smtp() -> Iterator[Catcher]:
    """A real SMTP server on a free loopback port; `smtp.messages` are the messages it accepted."""
    catcher = Catcher(free_port(), refuse=frozenset({"bounce@example.com"}))
    catcher.start()
    yield catcher
    catcher.stop()


def mail_env(services: support.SessionServices, port: int, **extra: str) -> dict[str, str]:
    """The environment of a worker or scheduler that sends mail to 127.0.0.1:`port`, retrying fast."""
    return settings_env(
        services,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(port),
        MAIL_FROM=MAIL_FROM,
        MAIL_RETRY_BASE_SECONDS="0.5",
        SMTP_TIMEOUT_SECONDS="5",
        **extra,
    )


def start_worker(start: Spawn, services: support.SessionServices, port: int, **extra: str) -> Any:
    """A worker process (outbox relay included) that sends mail to 127.0.0.1:`port`."""
    return start("backend.entrypoints.worker", mail_env(services, port, **extra), *WORKER_ARGS)


def to(messages: list[EmailMessage], address: str, subject: str | None = None) -> list[EmailMessage]:
    return [m for m in messages if m["To"] == address and (subject is None or subject in str(m["Subject"]))]


async def received(smtp: Catcher, address: str, subject: str, count: int = 1, within: float = 30) -> list[EmailMessage]:
    """The messages to `address` whose subject holds `subject`, once there are `count` of them."""

    async def check() -> list[EmailMessage] | None:
        found = to(smtp.messages, address, subject)
        return found if len(found) >= count else None

    found = await eventually(check, within, f"{count} email(s) '{subject}'")
    assert isinstance(found, list)
    return found


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())


def link_in(message: EmailMessage) -> str:
    """The one link of the email's plain-text body."""
    links = re.findall(r"https?://\S+", text_of(message))
    assert len(links) == 1, links
    return links[0]


def token_in(message: EmailMessage) -> str:
    return parse_qs(urlsplit(link_in(message)).query)["token"][0]


async def outbox_row(email_id: uuid.UUID | str) -> dict[str, Any]:
    row = await EmailOutbox.select().where(EmailOutbox.id == email_id).output(load_json=True).first()
    assert row is not None
    return row


async def outbox_rows(address: str, template: str) -> list[dict[str, Any]]:
    return list(
        await EmailOutbox.select()
        .where(EmailOutbox.to_address == address)
        .where(EmailOutbox.template == template)
        .order_by(EmailOutbox.created_at)
        .output(load_json=True)
    )
