"""One outgoing email as a MIME message: plain text with an HTML alternative and a stable Message-ID.

The Message-ID is derived from the email's outbox row id, so a resend of the same row (a retry after
a crash between the SMTP answer and the commit) carries the same id and the recipient's mail system
can recognise the duplicate.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def domain_of(address: str) -> str:
    """The domain of `address` (`Name <user@domain>` or `user@domain`), for Message-IDs."""
    _, email = parseaddr(address)
    return email.rpartition("@")[2] or "localhost"


def message_id(email_id: uuid.UUID | str, mail_from: str) -> str:
    return f"<{email_id}@{domain_of(mail_from)}>"


def build(email_id: uuid.UUID | str, mail_from: str, to: str, rendered: Rendered) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id(email_id, mail_from)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message
