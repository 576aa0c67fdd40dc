"""HTTP routes of auth and me: parse, call the service, shape the answer."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from backend import errors
from backend.features.accounts import data_export, personal_tokens, profile, schemas
from backend.features.accounts import service as account_services
from backend.platform.http import auth, browser_session, idempotency, problems
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings

AccountService = account_services.AccountService
Principal = account_services.Principal


def provide_account_service(state: State) -> account_services.AccountService:
    return account_services.AccountService(state.settings, state.redis, state.session_memo)


def _refresh_token(
    request: Request[Any, Any, Any],
    data: schemas.RefreshRequest,
    settings: Settings,
    opt_in: str | None,
    cookie: str | None,
) -> str:
    """The body's refresh token, else the browser cookie's (checked against CSRF); with neither, 401."""
    if data.refresh_token is not msgspec.UNSET:
        return data.refresh_token
    if opt_in is None and cookie is None:
        raise errors.Unauthorized("No refresh token: send it in the body", slug="invalid-token")
    return browser_session.refresh_token_from_cookie(request, settings, opt_in, cookie)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post(
        "/register",
        operation_id="registerUser",
        description=(
            "Sign up. The answer is the same 202 whether or not the address already has an account (no "
            "account enumeration): a new address gets its account (unverified; it can sign in at once) and "
            "an email to finish signing up, an existing one an email saying it already has an account, "
            "with links to sign in and to reset the password. Limited per client address (429)."
        ),
        responses=problems.problem_responses(413, 429),
        status_code=HTTP_202_ACCEPTED,
        **idempotency.idempotent(anonymous=True),
    )
    async def register(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.RegisterRequest],
        account_service: NamedDependency[AccountService],
    ) -> schemas.SignUpAccepted:
        """Sign up; an email follows either way (see `description`)."""
        user_id = await account_service.register(data, auth.client_ip(request))
        if user_id is not None:  # its stored answer is erased with the account the address names
            idempotency.owned_by(request, user_id)
        return schemas.SignUpAccepted()

    @post(
        "/login",
        operation_id="login",
        description=(
            "Exchange email and password for an access/refresh token pair (a new sign-in session). With "
            "`X-Refresh-Cookie: 1` (browsers) the refresh token is set in the `HttpOnly` cookie `ccp_refresh` "
            "(path `/api/v1/auth`) and left out of the JSON."
        ),
        responses=problems.problem_responses(401, 403, 429),
        status_code=200,
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.LoginRequest],
        account_service: NamedDependency[AccountService],
        settings: NamedDependency[Settings],
        refresh_in_cookie: browser_session.CookieOptIn = None,
    ) -> Response[schemas.TokenPair]:
        """Exchange email and password for an access/refresh token pair (a new sign-in session)."""
        if refresh_in_cookie is not None:  # the same-site proof as spending the cookie (no login CSRF)
            browser_session.check_origin(request, settings)
        user_agent = request.headers.get("user-agent", "")
        pair = await account_service.login(data, auth.client_ip(request), user_agent)
        return browser_session.token_answer(pair, refresh_in_cookie, settings)

    @post(
        "/refresh",
        operation_id="refreshTokens",
        description=(
            "Rotate the refresh token. Presenting a spent one revokes the whole session (401). Send it in the "
            "body, or (browsers) send `{}` with `X-Refresh-Cookie: 1` and the cookie from login: the new one "
            "replaces the cookie; without the header or from an origin not allowed, 403."
        ),
        responses=problems.problem_responses(401, 403),
        status_code=200,
    )
    async def refresh(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.RefreshRequest],
        account_service: NamedDependency[AccountService],
        settings: NamedDependency[Settings],
        refresh_in_cookie: browser_session.CookieOptIn = None,
        refresh_cookie: browser_session.RefreshCookie = None,
    ) -> Response[schemas.TokenPair]:
        """Rotate the refresh token. Presenting a spent one revokes the whole session (401)."""
        token = _refresh_token(request, data, settings, refresh_in_cookie, refresh_cookie)
        pair = await account_service.refresh(token)
        return browser_session.token_answer(pair, refresh_in_cookie, settings)

    @post(
        "/logout",
        operation_id="logout",
        description=(
            "End the sign-in session that `refresh_token` belongs to (or, with `X-Refresh-Cookie: 1`, the "
            "cookie's). The answer clears the cookie."
        ),
        responses=problems.problem_responses(403),
        status_code=HTTP_204_NO_CONTENT,
        response_cookies=[browser_session.cleared_cookie()],  # harmless to a client that has none
    )
    async def logout(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.RefreshRequest],
        account_service: NamedDependency[AccountService],
        settings: NamedDependency[Settings],
        refresh_in_cookie: browser_session.CookieOptIn = None,
        refresh_cookie: browser_session.RefreshCookie = None,
    ) -> None:
        """End the sign-in session that `refresh_token` (or the browser's cookie) belongs to."""
        try:
            token = _refresh_token(request, data, settings, refresh_in_cookie, refresh_cookie)
        except errors.Unauthorized:  # no cookie to spend: nothing to end, the answer still clears it
            token = None
        if token is not None:
            await account_service.logout(token)

    @post(
        "/verify-email",
        operation_id="verifyEmail",
        responses=problems.problem_responses(),
        status_code=HTTP_204_NO_CONTENT,
    )
    async def verify_email(
        self, data: JSONBody[schemas.TokenRequest], account_service: NamedDependency[AccountService]
    ) -> None:
        """Confirm the email address with the token from the verification email."""
        await account_service.verify_email(data.token)

    @post(
        "/verify-email/resend",
        operation_id="resendVerificationEmail",
        responses=problems.problem_responses(),
        status_code=HTTP_202_ACCEPTED,
    )
    async def resend_verification(
        self, data: JSONBody[schemas.ResendVerificationRequest], account_service: NamedDependency[AccountService]
    ) -> None:
        """Send a new verification email. Always 202, whether or not the account exists or is verified."""
        await account_service.resend_verification(data.email)

    @post(
        "/password-reset",
        operation_id="requestPasswordReset",
        responses=problems.problem_responses(),
        status_code=HTTP_202_ACCEPTED,
    )
    async def password_reset(
        self, data: JSONBody[schemas.PasswordResetRequest], account_service: NamedDependency[AccountService]
    ) -> None:
        """Always 202, whether or not the account exists (no account enumeration)."""
        await account_service.request_password_reset(data.email)

    @post(
        "/password-reset/confirm",
        operation_id="confirmPasswordReset",
        description=(
            "Set a new password with a reset token (account recovery): every sign-in session of the account "
            "ends and every personal access token is revoked, since whoever held the account may have made one."
        ),
        responses=problems.problem_responses(429),
        status_code=HTTP_204_NO_CONTENT,
    )
    async def password_reset_confirm(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.PasswordResetConfirm],
        account_service: NamedDependency[AccountService],
    ) -> None:
        """Set a new password with a reset token; every session and personal access token ends."""
        await account_service.confirm_password_reset(data.token, data.new_password, auth.client_ip(request))


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["me"]
    security = auth.BEARER_SECURITY
    dependencies = {"principal": Provide(auth.provide_principal)}

    @get("/", operation_id="getMe", responses=problems.problem_responses(401))
    async def get_me(self, principal: NamedDependency[Principal], state: State) -> schemas.UserOut:
        return account_services.user_out(principal.user, state.envelope)

    @patch("/", operation_id="updateMe", responses=problems.problem_responses(401, 403))
    async def update_me(
        self, data: JSONBody[schemas.ProfileUpdate], principal: NamedDependency[Principal], state: State
    ) -> schemas.UserOut:
        """Change profile fields; absent fields stay as they are."""
        return account_services.user_out(
            await profile.update_profile(principal.user, data, state.redis, state.envelope), state.envelope
        )

    @post(
        "/password",
        operation_id="changePassword",
        description=(
            "Change the password; every other sign-in session of the account ends. Personal access tokens "
            "keep working, so integrations do not break silently: revoke them with "
            "`DELETE /me/tokens/{token_id}` (a password reset revokes them all). Wrong current passwords count "
            "against the account's sign-in limit: past it, 429 with `Retry-After`, even for the right one."
        ),
        status_code=HTTP_204_NO_CONTENT,
        responses=problems.problem_responses(401, 403, 429),
        opt={"session_only": True},
    )
    async def change_password(
        self, data: JSONBody[schemas.PasswordChange], principal: NamedDependency[Principal], state: State
    ) -> None:
        """Change the password; other sessions end, personal access tokens stay (see `description`)."""
        await profile.change_password(principal, data, state.redis, state.settings.auth)

    @delete(
        "/", operation_id="deleteMe", responses=problems.problem_responses(401, 403, 429), opt={"session_only": True}
    )
    async def delete_me(
        self,
        data: JSONBody[schemas.AccountDeletion],
        principal: NamedDependency[Principal],
        publisher: NamedDependency[Publisher],
        state: State,
    ) -> None:
        """Erase the account and everything stored for it (rows, files, events). Needs the password;
        wrong ones count against the account's sign-in limit (429 with `Retry-After` past it)."""
        await profile.delete_account(principal.user, data, publisher, state.store, state.redis, state.settings.auth)

    @get("/export", operation_id="exportMe", responses=problems.problem_responses(401, 403), opt={"session_only": True})
    async def export_me(self, principal: NamedDependency[Principal], state: State) -> data_export.AccountExport:
        """Everything stored about the user, as JSON: profile, settings, sessions, tokens (no secrets),
        notifications, resumes with every version's parsed data, applications with their timelines,
        cover letters, analyses, AI usage, follow-up reminders and the emails sent. Needs a signed-in
        session (not a personal access token)."""
        return await data_export.export(principal.user, state.envelope)

    @get("/notification-settings", operation_id="getNotificationSettings", responses=problems.problem_responses(401))
    async def get_notification_settings(
        self, principal: NamedDependency[Principal]
    ) -> schemas.NotificationSettingsBody:
        return await profile.notification_settings(principal.user)

    @put(
        "/notification-settings", operation_id="putNotificationSettings", responses=problems.problem_responses(401, 403)
    )
    async def put_notification_settings(
        self, data: JSONBody[schemas.NotificationSettingsBody], principal: NamedDependency[Principal]
    ) -> schemas.NotificationSettingsBody:
        """Replace the settings (omitted fields take their defaults)."""
        return await profile.put_notification_settings(principal.user, data)

    @post(
        "/tokens",
        operation_id="createPersonalAccessToken",
        status_code=HTTP_201_CREATED,
        responses=problems.problem_responses(401, 403, 409),
        **idempotency.idempotent(session_only=True),
    )
    async def create_token(
        self, data: JSONBody[schemas.PersonalTokenCreate], principal: NamedDependency[Principal]
    ) -> schemas.PersonalTokenCreated:
        """Create a token for an integration; the `token` value is shown in this answer only."""
        return await personal_tokens.create(principal.user.id, data)

    @get("/tokens", operation_id="listPersonalAccessTokens", responses=problems.problem_responses(401))
    async def list_tokens(self, principal: NamedDependency[Principal]) -> list[schemas.PersonalTokenOut]:
        return await personal_tokens.list_live(principal.user.id)

    @delete(
        "/tokens/{token_id:uuid}",
        operation_id="revokePersonalAccessToken",
        responses=problems.problem_responses(401, 403, 404),
        opt={"session_only": True},
    )
    async def revoke_token(
        self, token_id: FromPath[uuid.UUID], principal: NamedDependency[Principal], state: State
    ) -> None:
        """Revoke a token: requests with it answer 401 and its realtime sockets close (4001)."""
        await personal_tokens.revoke(principal.user.id, token_id, state.redis)
