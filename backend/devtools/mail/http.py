"""The local mail catcher's messages over HTTP (`make dev`); create_app mounts it only when APP_ENV=development."""

from __future__ import annotations

from pathlib import Path

import anyio
import msgspec
from litestar import Controller, MediaType, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery

from backend import errors
from backend.devtools.mail import mailbox
from backend.platform.http import pagination


class MailboxEntry(msgspec.Struct, kw_only=True):
    """A message caught by the local mail catcher (development only)."""

    name: str
    subject: str
    to: str
    date: str
    message_id: str
    text: str


def mail_dir(state: State) -> Path:
    return Path(state.settings.app.data_dir) / "mail"


class DevMailboxController(Controller):
    """The local mail catcher's messages (`make dev`): registered only when APP_ENV=development."""

    path = "/api/v1/dev/mailbox"
    tags = ["dev"]
    include_in_schema = False

    @get("/", operation_id="devListMailbox")
    async def list_messages(self, state: State, limit: FromQuery[int] = 50) -> list[MailboxEntry]:
        """The newest messages caught under DATA_DIR/mail."""
        entries = await anyio.to_thread.run_sync(mailbox.listing, mail_dir(state), pagination.check_limit(limit))
        return [MailboxEntry(**entry.__dict__) for entry in entries]

    @get("/{name:str}", operation_id="devGetMailboxMessage", media_type=MediaType.TEXT)
    async def get_message(self, state: State, name: FromPath[str]) -> Response[bytes]:
        """One caught message as it was received (`.eml`, open it in a mail program)."""
        data = await anyio.to_thread.run_sync(mailbox.raw, mail_dir(state), name)
        if data is None:
            raise errors.NotFound("No such message")
        return Response(data, media_type="message/rfc822")
