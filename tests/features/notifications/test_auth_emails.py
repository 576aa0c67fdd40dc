"""Verification and password-reset emails end to end: the api queues them, a
real worker sends them over SMTP to a real server on loopback, and the link read from the received
email completes the flow over real HTTP. Tokens are stored hashed, work once, and expire."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

from backend.devtools.mail.catcher import Catcher
from backend.platform.db.tables import EmailOutbox, EmailToken, User
from backend.settings import Settings
from tests import factories, support
from tests.plugins.mail import html_of, link_in, outbox_row, outbox_rows, received, start_worker, text_of, to, token_in
from tests.plugins.processes import Spawn
from tests.support import eventually

VERIFY, RESET = "Finish signing up: confirm your email address", "Reset your password"
NEW_PASSWORD = "a brand new passphrase 42"


async def test_registration_mails_a_link_that_verifies_the_address_once(
    client: httpx.AsyncClient, smtp: Catcher, spawn: Spawn, services: support.SessionServices, settings: Settings
) -> None:
    worker = start_worker(spawn, services, smtp.port)
    email = factories.unique_email("verify")
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": factories.PASSWORD, "full_name": "Ada <Lovelace>"}
    )
    assert response.status_code == 202
    try:
        [message] = await received(smtp, email, VERIFY)
    except BaseException:
        print(worker.output())
        raise

    # Plain text and HTML, the user's name (escaped in HTML), a link to PUBLIC_URL, a stable Message-ID.
    assert "Hello Ada <Lovelace>," in text_of(message)
    assert "Ada &lt;Lovelace&gt;" in html_of(message) and "<Lovelace>" not in html_of(message)
    link = link_in(message)
    assert link.startswith(f"{settings.app.public_url}/verify-email?token=")
    assert link.replace("&", "&amp;") in html_of(message)
    [row] = await outbox_rows(email, "verify_email")
    assert message["Message-ID"] == f"<{row['id']}@career-copilot.test>"
    assert message["From"] == "Career Copilot <no-reply@career-copilot.test>"

    # Settled: sent once, and the token is no longer kept in the outbox.
    email_id = row["id"]
    sent = await eventually(lambda: _sent(email_id), 10, "the outbox row marked sent")
    assert isinstance(sent, dict) and sent["attempts"] == 1 and sent["failed_at"] is None
    assert "token" not in sent["context"] and "link" not in sent["context"]

    # The token is stored hashed only.
    token = token_in(message)
    [stored] = await EmailToken.select().where(EmailToken.purpose == "verify_email")
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest() and token not in str(stored)

    # Used over real HTTP, as the page behind the link does: verified, then the token is spent.
    path_token = {"token": token}
    assert (await client.post("/api/v1/auth/verify-email", json=path_token)).status_code == 204
    tokens = await factories.login(client, email)
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["email_verified"] is True
    again = await client.post("/api/v1/auth/verify-email", json=path_token)
    assert again.status_code == 400 and again.json()["type"].endswith(":invalid-token")
    assert again.headers["content-type"].startswith("application/problem+json")
    assert urlsplit(link).path == "/verify-email"


async def _sent(email_id: object) -> dict | None:
    row = await outbox_row(str(email_id))
    return row if row["sent_at"] is not None else None


async def test_resend_mails_a_new_link_and_answers_the_same_for_unknown_or_verified_addresses(
    client: httpx.AsyncClient, smtp: Catcher, spawn: Spawn, services: support.SessionServices
) -> None:
    start_worker(spawn, services, smtp.port)
    user = await factories.register(client)
    email = user["email"]
    await received(smtp, email, VERIFY)
    url = "/api/v1/auth/verify-email/resend"
    known = await client.post(url, json={"email": email.upper()})
    unknown = await client.post(url, json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    first, second = await received(smtp, email, VERIFY, count=2)
    assert token_in(first) != token_in(second) and first["Message-ID"] != second["Message-ID"]
    assert (await client.post("/api/v1/auth/verify-email", json={"token": token_in(second)})).status_code == 204

    # Verified now: a resend sends nothing; nothing ever went to the unknown address.
    assert (await client.post(url, json={"email": email})).status_code == 202
    assert len(await outbox_rows(email, "verify_email")) == 2
    assert await EmailOutbox.count().where(EmailOutbox.to_address == "nobody@example.com") == 0
    bad = await client.post(url, json={"email": "not an email"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "email"


async def test_password_reset_round_trip_ends_every_session_and_the_link_works_once(
    client: httpx.AsyncClient, smtp: Catcher, spawn: Spawn, services: support.SessionServices, settings: Settings
) -> None:
    start_worker(spawn, services, smtp.port)
    account = await factories.account(client)
    other_device = await factories.login(client, account.email)
    url = "/api/v1/auth/password-reset"

    unknown = await client.post(url, json={"email": "ghost@example.com"})
    known = await client.post(url, json={"email": account.email})
    assert unknown.status_code == known.status_code == 202
    assert unknown.content == known.content
    assert unknown.headers.get("content-type") == known.headers.get("content-type")

    [message] = await received(smtp, account.email, RESET)
    link = link_in(message)
    assert link.startswith(f"{settings.app.public_url}/reset-password?token=")
    assert "Hello Ada Lovelace," in text_of(message)
    token = token_in(message)
    confirm = "/api/v1/auth/password-reset/confirm"
    done = await client.post(confirm, json={"token": token, "new_password": NEW_PASSWORD})
    assert done.status_code == 204

    # Every session ended: access tokens and refresh tokens of both devices.
    assert (await client.get("/api/v1/me", headers=account.headers)).status_code == 401
    for refresh in (account.refresh_token, other_device["refresh_token"]):
        assert (await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})).status_code == 401
    old_login = {"email": account.email, "password": factories.PASSWORD}
    assert (await client.post("/api/v1/auth/login", json=old_login)).status_code == 401
    await factories.login(client, account.email, NEW_PASSWORD)
    # The reset proved the mailbox: the address is verified.
    verified = await User.select(User.email_verified_at).where(User.email == account.email).first()
    assert verified is not None and verified["email_verified_at"] is not None

    # Single use.
    again = await client.post(confirm, json={"token": token, "new_password": "yet another passphrase 7"})
    assert again.status_code == 400 and again.json()["type"].endswith(":invalid-token")

    # Nothing was sent to, or queued for, the unknown address; one message in all to the known one.
    await eventually(lambda: _settled(account.email), 10, "the reset email settled")
    assert await EmailOutbox.count().where(EmailOutbox.to_address == "ghost@example.com") == 0
    assert to(smtp.messages, "ghost@example.com") == []
    assert len(to(smtp.messages, account.email, RESET)) == 1


async def _settled(email: str) -> bool:
    return all(row["sent_at"] is not None for row in await outbox_rows(email, "password_reset"))


async def test_an_expired_reset_token_is_refused_and_a_new_reset_spends_older_links(
    client: httpx.AsyncClient, smtp: Catcher, spawn: Spawn, services: support.SessionServices
) -> None:
    start_worker(spawn, services, smtp.port)
    account = await factories.account(client)
    url, confirm = "/api/v1/auth/password-reset", "/api/v1/auth/password-reset/confirm"
    for _ in range(3):  # the most one address gets per hour
        assert (await client.post(url, json={"email": account.email})).status_code == 202
    first, second, third = await received(smtp, account.email, RESET, count=3)
    older, other, newer = token_in(first), token_in(second), token_in(third)

    # Expired (the row's deadline moved into the past, as time would): refused, and it stays unused.
    expired_hash = hashlib.sha256(older.encode()).hexdigest()
    past = datetime.now(UTC) - timedelta(seconds=1)
    await EmailToken.update({EmailToken.expires_at: past}).where(EmailToken.token_hash == expired_hash)
    refused = await client.post(confirm, json={"token": older, "new_password": NEW_PASSWORD})
    assert refused.status_code == 400 and refused.json()["type"].endswith(":invalid-token")
    await factories.login(client, account.email)  # the password did not change

    # A weak password is a 422 naming the field and does not spend the token; then it works once.
    weak = await client.post(confirm, json={"token": newer, "new_password": "short"})
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "new_password"
    assert (await client.post(confirm, json={"token": newer, "new_password": NEW_PASSWORD})).status_code == 204
    # The reset spent every other link of the account too: the second one, still unexpired, is refused.
    spent = await client.post(confirm, json={"token": other, "new_password": "yet another passphrase 7"})
    assert spent.status_code == 400
    await factories.login(client, account.email, NEW_PASSWORD)
    live = await EmailToken.count().where(EmailToken.purpose == "password_reset").where(EmailToken.used_at.is_null())
    assert live == 0
