"""The verified-email gate of costly work: uploads (a parser child each, stored bytes) and AI work
(model tokens on the operator's bill).

Registration is free, so without it anyone can script throwaway accounts and multiply every per-user
budget. With `REQUIRE_VERIFIED_EMAIL` (on by default when `APP_ENV=production`) each costly route
asks for an address the user proved they read: one more mailbox per account. No Litestar here, so a
service or a CLI can ask the same question.
"""

from __future__ import annotations

from backend import errors
from backend.platform.http.identity import Principal
from backend.settings import AuthSettings

NOT_VERIFIED = "email-not-verified"
DETAIL = (
    "Confirm your email address first: open the link in the verification email we sent you "
    "(or ask for a new one with POST /api/v1/auth/verify-email/resend), then try again."
)


def require_verified_email(principal: Principal, settings: AuthSettings) -> None:
    """Raise Forbidden (403 `email-not-verified`) when the setting is on and the caller's address is unconfirmed."""
    if settings.require_verified_email and principal.user.email_verified_at is None:
        raise errors.Forbidden(DETAIL, slug=NOT_VERIFIED)
