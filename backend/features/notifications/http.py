"""HTTP routes of notifications."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from backend.features.notifications import schemas
from backend.features.notifications import service as notification_services
from backend.platform.http import auth, pagination, params, problems
from backend.platform.http.identity import Principal


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
