"""HTTP routes of notifications, and the development mailbox (APP_ENV=development)."""

from __future__ import annotations

import uuid
from pathlib import Path

import anyio
from litestar import Controller, MediaType, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from backend.domain.accounts.services import Principal
from backend.domain.notifications import schemas
from backend.domain.notifications import services as notification_services
from backend.lib import errors, pagination
from backend.lib.mail import mailbox
from backend.web import auth, params, problems


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]
    security = auth.BEARER_SECURITY
    dependencies = {"principal": Provide(auth.provide_principal)}

    @get("/", operation_id="listNotifications", responses=problems.problem_responses(401))
    async def list_notifications(
        self,
        principal: NamedDependency[Principal],
        unread: FromQuery[bool] = False,
        limit: params.Limit = pagination.DEFAULT_LIMIT,
        cursor: params.Cursor = None,
    ) -> schemas.NotificationPage:
        """The user's notifications, newest first; `unread=true` lists the unread ones only."""
        return await notification_services.list_page(principal.user.id, unread=unread, limit=limit, cursor=cursor)

    @post(
        "/{notification_id:uuid}/read",
        operation_id="markNotificationRead",
        status_code=200,
        responses=problems.problem_responses(401, 403, 404),
    )
    async def mark_read(
        self, notification_id: FromPath[uuid.UUID], principal: NamedDependency[Principal]
    ) -> schemas.NotificationOut:
        """Mark one notification read (marking it again keeps the first `read_at`)."""
        return await notification_services.mark_read(principal.user.id, notification_id)

    @post(
        "/read-all",
        operation_id="markAllNotificationsRead",
        status_code=200,
        responses=problems.problem_responses(401, 403),
    )
    async def mark_all_read(self, principal: NamedDependency[Principal]) -> schemas.ReadAllResult:
        """Mark every unread notification read; how many were."""
        return await notification_services.mark_all_read(principal.user.id)


def mail_dir(state: State) -> Path:
    return Path(state.settings.app.data_dir) / "mail"


class DevMailboxController(Controller):
    """The local mail catcher's messages (`make dev`): registered only when APP_ENV=development."""

    path = "/api/v1/dev/mailbox"
    tags = ["dev"]
    include_in_schema = False

    @get("/", operation_id="devListMailbox")
    async def list_messages(self, state: State, limit: FromQuery[int] = 50) -> list[schemas.MailboxEntry]:
        """The newest messages caught under DATA_DIR/mail."""
        entries = await anyio.to_thread.run_sync(mailbox.listing, mail_dir(state), pagination.check_limit(limit))
        return [schemas.MailboxEntry(**entry.__dict__) for entry in entries]

    @get("/{name:str}", operation_id="devGetMailboxMessage", media_type=MediaType.TEXT)
    async def get_message(self, state: State, name: FromPath[str]) -> Response[bytes]:
        """One caught message as it was received (`.eml`, open it in a mail program)."""
        data = await anyio.to_thread.run_sync(mailbox.raw, mail_dir(state), name)
        if data is None:
            raise errors.NotFound("No such message")
        return Response(data, media_type="message/rfc822")
