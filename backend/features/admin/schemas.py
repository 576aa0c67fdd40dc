"""Wire types of the admin endpoints."""

from __future__ import annotations

from typing import Literal

import msgspec

from backend.features.accounts.schemas import UserOut
from backend.platform.http.inputs import Input


class UserAdminUpdate(Input):
    is_active: bool | msgspec.UnsetType = msgspec.UNSET
    role: Literal["user", "admin"] | msgspec.UnsetType = msgspec.UNSET


class UserPage(msgspec.Struct, kw_only=True):
    """A page of users."""

    items: list[UserOut]
    next_cursor: str | None
