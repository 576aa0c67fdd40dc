"""HTTP routes of admin; every route needs a session of a user with role `admin`."""

from __future__ import annotations

import uuid

from litestar import Controller, get, patch
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from backend import errors
from backend.features.accounts import schemas as account_schemas
from backend.features.admin import schemas
from backend.features.admin import service as admin_services
from backend.platform.http import auth, pagination, params, problems
from backend.platform.http.identity import Principal
from backend.platform.realtime.publisher import Publisher


async def require_admin(principal: NamedDependency[Principal]) -> Principal:
    if principal.user.role != "admin" or principal.session_id is None:
        raise errors.Forbidden("This needs the admin role", slug="admin-required")
    return principal


class AdminController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]
    security = auth.BEARER_SECURITY
    dependencies = {"principal": Provide(auth.provide_principal), "admin": Provide(require_admin)}

    @get("/users", operation_id="adminListUsers", responses=problems.problem_responses(401, 403))
    async def list_users(
        self,
        admin: NamedDependency[Principal],
        state: State,
        limit: params.Limit = pagination.DEFAULT_LIMIT,
        cursor: params.Cursor = None,
        q: FromQuery[str | None] = None,
    ) -> schemas.UserPage:
        """Users, newest first, with cursor pagination; `q` searches email and name (names are encrypted:
        a search page may hold fewer than `limit` users and still have a `next_cursor`)."""
        return await admin_services.list_users(admin.user.id, limit, cursor, q, state.envelope)

    @patch(
        "/users/{user_id:uuid}",
        operation_id="adminUpdateUser",
        responses=problems.problem_responses(401, 403, 404, 409),
    )
    async def update_user(
        self,
        user_id: FromPath[uuid.UUID],
        data: JSONBody[schemas.UserAdminUpdate],
        admin: NamedDependency[Principal],
        publisher: NamedDependency[Publisher],
        state: State,
    ) -> account_schemas.UserOut:
        """Enable/disable an account or change its role; disabling ends its sessions and sockets at once."""
        return await admin_services.update_user(admin.user, user_id, data, publisher, state.redis, state.envelope)
