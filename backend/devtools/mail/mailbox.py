"""Reading the `.eml` files of the local mail catcher (backend/devtools/mail/catcher.py), newest first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

_NAME = re.compile(r"[0-9T-]+\.eml")


@dataclass(frozen=True)
class Entry:
    name: str
    subject: str
    to: str
    date: str
    message_id: str
    text: str


def _read(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def entry(path: Path) -> Entry:
    message = _read(path)
    body = message.get_body(preferencelist=("plain",))
    return Entry(
        name=path.name,
        subject=str(message.get("Subject", "")),
        to=str(message.get("To", "")),
        date=str(message.get("Date", "")),
        message_id=str(message.get("Message-ID", "")),
        text=body.get_content() if body is not None else "",
    )


def listing(directory: Path, limit: int = 50) -> list[Entry]:
    """The newest `limit` messages in `directory` (none when it does not exist)."""
    if not directory.is_dir():
        return []
    paths = sorted((p for p in directory.iterdir() if _NAME.fullmatch(p.name)), reverse=True)
    return [entry(path) for path in paths[:limit]]


def raw(directory: Path, name: str) -> bytes | None:
    """The bytes of message `name`; None for a name the catcher did not write (no path tricks)."""
    if not _NAME.fullmatch(name) or not (directory / name).is_file():
        return None
    return (directory / name).read_bytes()
