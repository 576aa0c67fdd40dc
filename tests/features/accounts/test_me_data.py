"""Notification settings, export, erasure and personal access tokens."""

from datetime import datetime, timedelta

import httpx
import pytest

from backend.platform.db.tables import EmailOutbox, PersonalAccessToken, RefreshToken, Session, User
from tests import factories


async def test_notification_settings_default_then_persist(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    url = "/api/v1/me/notification-settings"
    defaults = (await client.get(url, headers=account.headers)).json()
    default_values = {
        "in_app": True,
        "email_follow_up_reminders": True,
        "email_status_changes": False,
        "email_interview_reminders": True,
        "interview_reminder_minutes": [1440, 60],
        "ghosted_after_days": 21,
    }
    assert defaults == {**default_values, "reminder_lead_minutes": 0, "time_zone": "UTC"}
    wanted = {
        "in_app": False,
        "email_follow_up_reminders": False,
        "email_status_changes": True,
        "reminder_lead_minutes": 90,
        "time_zone": "America/Argentina/Buenos_Aires",
        "ghosted_after_days": 30,
        "email_interview_reminders": False,
        "interview_reminder_minutes": [30, 2880, 30],
    }
    stored = {**wanted, "interview_reminder_minutes": [2880, 30]}  # without repeats, longest first
    assert (await client.put(url, json=wanted, headers=account.headers)).json() == stored
    assert (await client.get(url, headers=account.headers)).json() == stored
    partial = (await client.put(url, json={"in_app": False}, headers=account.headers)).json()
    assert partial == {**default_values, "in_app": False, "reminder_lead_minutes": 0, "time_zone": "UTC"}
    none = (await client.put(url, json={"interview_reminder_minutes": []}, headers=account.headers)).json()
    assert none["interview_reminder_minutes"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"in_app": "yes"}, "in_app"),
        ({"sms": True}, "sms"),
        ([], "body"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"reminder_lead_minutes": -5}, "reminder_lead_minutes"),
        ({"reminder_lead_minutes": 10081}, "reminder_lead_minutes"),
        ({"interview_reminder_minutes": [4]}, "interview_reminder_minutes"),
        ({"interview_reminder_minutes": [10081]}, "interview_reminder_minutes"),
        ({"interview_reminder_minutes": [60, 120, 180, 240, 300, 360]}, "interview_reminder_minutes"),
        ({"interview_reminder_minutes": "60"}, "interview_reminder_minutes"),
    ],
)
async def test_bad_notification_settings_are_422_problems_and_change_nothing(
    client: httpx.AsyncClient, body: object, field: str
) -> None:
    account = await factories.account(client)
    url = "/api/v1/me/notification-settings"
    response = await client.put(url, json=body, headers=account.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith(":validation-error")
    if field != "body":
        assert any(field in e["field"] or field in e["message"] for e in problem["errors"]), problem
    settings = (await client.get(url, headers=account.headers)).json()
    assert settings["in_app"] is True and settings["time_zone"] == "UTC" and settings["reminder_lead_minutes"] == 0


async def test_export_holds_the_users_data_and_no_secrets(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    made = await client.post("/api/v1/me/tokens", json={"name": "sheet", "scopes": ["read"]}, headers=account.headers)
    old = await client.post("/api/v1/me/tokens", json={"name": "old", "scopes": ["read"]}, headers=account.headers)
    assert (await client.delete(f"/api/v1/me/tokens/{old.json()['id']}", headers=account.headers)).status_code == 204
    response = await client.get("/api/v1/me/export", headers=account.headers)
    assert response.status_code == 200
    export = response.json()
    assert export["user"]["email"] == account.email
    assert len(export["sessions"]) == 1
    tokens = {t["name"]: t for t in export["personal_access_tokens"]}  # revoked ones too: they are stored
    assert set(tokens) == {"sheet", "old"} and tokens["old"]["revoked_at"] and tokens["sheet"]["revoked_at"] is None
    assert export["notifications"] == [] and export["follow_up_reminders"] == [] and export["ai_usage"] == []
    assert [e["template"] for e in export["emails"]] == ["verify_email"]
    for secret in ("password_hash", "token_hash", account.refresh_token, made.json()["token"], "argon2", '"token"'):
        assert secret not in response.text
    # everything at once is for the signed-in user, not an integration's token, even a `write` one
    pat = await client.post(
        "/api/v1/me/tokens", json={"name": "zap", "scopes": ["read", "write"]}, headers=account.headers
    )
    refused = await client.get("/api/v1/me/export", headers={"Authorization": f"Bearer {pat.json()['token']}"})
    assert refused.status_code == 403 and refused.json()["type"].endswith(":session-required")


async def test_delete_me_needs_the_password_and_then_erases_every_row(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    other = await factories.account(client)
    wrong = await client.request("DELETE", "/api/v1/me", json={"password": "not my password"}, headers=account.headers)
    assert wrong.status_code == 422
    assert await User.count().where(User.id == account.user_id) == 1
    response = await client.request(
        "DELETE", "/api/v1/me", json={"password": account.password}, headers=account.headers
    )
    assert response.status_code == 204
    assert await User.count().where(User.id == account.user_id) == 0
    assert await Session.count().where(Session.user == account.user_id) == 0
    assert await EmailOutbox.count().where(EmailOutbox.user == account.user_id) == 0
    assert await RefreshToken.count() == 1  # only the other user's
    assert (await client.get("/api/v1/me", headers=account.headers)).status_code == 401
    login = await client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
    assert login.status_code == 401
    assert (await client.get("/api/v1/me", headers=other.headers)).status_code == 200


async def _pat(client: httpx.AsyncClient, account: factories.Account, scopes: list[str]) -> dict:
    response = await client.post("/api/v1/me/tokens", json={"name": "zap", "scopes": scopes}, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_personal_token_is_shown_once_and_stored_hashed(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    created = await _pat(client, account, ["read"])
    assert created["token"].startswith("ccp_") and created["prefix"] == created["token"][:12]
    listed = (await client.get("/api/v1/me/tokens", headers=account.headers)).json()
    assert [t["id"] for t in listed] == [created["id"]] and "token" not in listed[0]
    stored = await PersonalAccessToken.objects().first()
    assert stored is not None and created["token"] not in (stored.token_hash, stored.prefix)
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"})
    assert me.status_code == 200 and me.json()["id"] == account.user_id


async def test_scopes_limit_what_a_personal_token_may_do(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    read = {"Authorization": f"Bearer {(await _pat(client, account, ['read']))['token']}"}
    write = {"Authorization": f"Bearer {(await _pat(client, account, ['read', 'write']))['token']}"}
    denied = await client.patch("/api/v1/me", json={"headline": "x"}, headers=read)
    assert denied.status_code == 403 and denied.json()["type"].endswith(":insufficient-scope")
    assert (await client.patch("/api/v1/me", json={"headline": "x"}, headers=write)).status_code == 200
    for method, url, body in [
        ("POST", "/api/v1/me/tokens", {"name": "n", "scopes": ["write"]}),
        (
            "POST",
            "/api/v1/me/password",
            {"current_password": account.password, "new_password": "a new long passphrase"},
        ),
        ("DELETE", "/api/v1/me", {"password": account.password}),
    ]:
        response = await client.request(method, url, json=body, headers=write)
        assert response.status_code == 403, (url, response.text)
        assert response.json()["type"].endswith(":session-required")
    assert await PersonalAccessToken.count() == 2
    assert await User.count() == 1


async def test_revoked_and_expired_tokens_stop_working(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    first, second = await _pat(client, account, ["read"]), await _pat(client, account, ["read"])
    revoke = await client.delete(f"/api/v1/me/tokens/{first['id']}", headers=account.headers)
    assert revoke.status_code == 204
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {first['token']}"})).status_code == 401
    await PersonalAccessToken.update(
        {PersonalAccessToken.expires_at: datetime.now().astimezone() - timedelta(1)}
    ).where(PersonalAccessToken.id == second["id"])
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {second['token']}"})).status_code == 401
    assert (await client.delete(f"/api/v1/me/tokens/{first['id']}", headers=account.headers)).status_code == 404


async def test_another_users_token_cannot_be_revoked(client: httpx.AsyncClient) -> None:
    alice, mallory = await factories.account(client), await factories.account(client)
    token = await _pat(client, alice, ["read"])
    response = await client.delete(f"/api/v1/me/tokens/{token['id']}", headers=mallory.headers)
    assert response.status_code == 404
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['token']}"})).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "scopes": ["admin"]},
        {"name": "x", "scopes": []},
        {"name": "", "scopes": ["read"]},
        {"name": "x", "scopes": ["read"], "expires_in_days": 0},
    ],
    ids=["unknown-scope", "no-scope", "no-name", "zero-days"],
)
async def test_bad_token_requests_create_nothing(client: httpx.AsyncClient, body: dict) -> None:
    account = await factories.account(client)
    response = await client.post("/api/v1/me/tokens", json=body, headers=account.headers)
    assert response.status_code == 422
    assert await PersonalAccessToken.count() == 0
