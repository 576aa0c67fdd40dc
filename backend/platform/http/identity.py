"""Who is calling, as every feature sees it: a plain dataclass, no Litestar, so services and jobs use it.

The api authenticates through `app.state.authenticate` (set by the lifespan to the accounts
feature's `AccountService.authenticate`), so the platform never imports a feature.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from backend.platform.cache import Hit
from backend.platform.db.tables import User

ALL_SCOPES = frozenset({"read", "write"})


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, the sign-in session (None for a personal access token), scopes,
    the cached answer asked for with the session check (`authenticate(want=...)`), if any, and the
    personal access token's id (None for a session)."""

    user: User
    session_id: uuid.UUID | None
    scopes: frozenset[str] = ALL_SCOPES
    prefetched: Hit | None = None
    token_id: uuid.UUID | None = None

    @property
    def credential(self) -> str:
        """What the caller signed in with, as realtime tickets and sockets name it: `s:<session id>`
        or `p:<personal access token id>` (a socket lives no longer than it)."""
        return f"s:{self.session_id}" if self.session_id is not None else f"p:{self.token_id}"


# authenticate(token, want) -> Principal; `want(user_id)` names a cache entry to fetch with the check.
Authenticate = Callable[[str, Callable[[uuid.UUID], tuple[str, str]] | None], Awaitable[Principal]]
