"""The optional status-change email (`email_status_changes`): sent through a real worker
and SMTP server when the owner asked for it and has a verified address; not otherwise, not for a
PATCH that keeps the status, and not for a change that was refused."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from backend.devtools.mail.catcher import Catcher
from backend.platform.db.tables import EmailOutbox, User
from backend.settings import Settings
from tests import factories, support
from tests.plugins.mail import html_of, link_in, received, start_worker, text_of
from tests.plugins.processes import Spawn

URL = "/api/v1/applications"
SETTINGS = "/api/v1/me/notification-settings"


async def _account(client: httpx.AsyncClient, *, verified: bool, wants: bool) -> factories.Account:
    account = await factories.account(client)
    if verified:
        await User.update({User.email_verified_at: datetime.now(UTC)}).where(User.id == account.user_id)
    if wants:
        prefs = {"email_status_changes": True, "time_zone": "Europe/Paris"}
        assert (await client.put(SETTINGS, json=prefs, headers=account.headers)).is_success
    return account


async def _notices(address: str) -> list[dict]:
    rows = EmailOutbox.select().where((EmailOutbox.to_address == address) & (EmailOutbox.template == "status_change"))
    return list(await rows.output(load_json=True))


async def _application(client: httpx.AsyncClient, account: factories.Account) -> str:
    created = await client.post(
        URL, json={"company": "Acme & Sons", "role": "Data <Engineer>"}, headers=account.headers
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_a_status_change_is_emailed_to_an_owner_who_asked_for_it(
    client: httpx.AsyncClient, smtp: Catcher, spawn: Spawn, services: support.SessionServices, settings: Settings
) -> None:
    account = await _account(client, verified=True, wants=True)
    app_id = await _application(client, account)
    start_worker(spawn, services, smtp.port)
    moved = await client.patch(f"{URL}/{app_id}", json={"status": "applied"}, headers=account.headers)
    assert moved.status_code == 200, moved.text

    [message] = await received(smtp, account.email, "Acme & Sons: wishlist -> applied", within=60)
    assert "Your application for Data <Engineer> at Acme & Sons moved from wishlist to applied" in text_of(message)
    assert "(Europe/Paris)" in text_of(message)  # the time of the change, in the user's zone
    assert "Data &lt;Engineer&gt; at Acme &amp; Sons" in html_of(message)
    assert link_in(message) == f"{settings.app.public_url}/applications/{app_id}"
    [row] = await _notices(account.email)
    assert row["context"]["old_status"] == "wishlist" and row["context"]["new_status"] == "applied"


async def test_no_notice_unless_asked_verified_and_actually_changed(client: httpx.AsyncClient) -> None:
    by_default = await _account(client, verified=True, wants=False)
    unverified = await _account(client, verified=False, wants=True)
    for account in (by_default, unverified):
        app_id = await _application(client, account)
        assert (await client.patch(f"{URL}/{app_id}", json={"status": "applied"}, headers=account.headers)).is_success
        assert await _notices(account.email) == []

    wanted = await _account(client, verified=True, wants=True)
    app_id = await _application(client, wanted)
    same = await client.patch(f"{URL}/{app_id}", json={"status": "wishlist", "notes": "x"}, headers=wanted.headers)
    assert same.status_code == 200
    refused = {"status": "offer", "salary_min": 200, "salary_max": 100}
    assert (await client.patch(f"{URL}/{app_id}", json=refused, headers=wanted.headers)).status_code == 422
    assert await _notices(wanted.email) == []
    assert (await client.patch(f"{URL}/{app_id}", json={"status": "offer"}, headers=wanted.headers)).is_success
    assert [r["context"]["new_status"] for r in await _notices(wanted.email)] == ["offer"]
