"""GET /notifications (unread filter, cursor pages), POST /notifications/{id}/read and /read-all;
other users' notifications answer 404; bad input is a 4xx problem. The development mailbox lists
what the local mail catcher wrote, and exists only with APP_ENV=development."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from backend.devtools.mail.catcher import Catcher
from backend.entrypoints.api import create_app
from backend.features.notifications import service as notification_services
from backend.platform.mail.message import Rendered, build
from backend.platform.mail.smtp import SmtpMailer
from backend.settings import MailSettings, Settings
from tests import factories, support
from tests.plugins.services import served
from tests.support import settings_env

URL = "/api/v1/notifications"
PROBLEM = "application/problem+json"


async def _notify(user_id: str, count: int) -> list[str]:
    ids = []
    for i in range(count):
        note = await notification_services.create(uuid.UUID(user_id), "test", f"Note {i}", "body", f"/x/{i}")
        ids.append(str(note.id))
    return ids


async def test_list_pages_newest_first_filters_unread_and_marks_read(client: httpx.AsyncClient) -> None:
    account, other = await factories.account(client), await factories.account(client)
    ids = await _notify(account.user_id, 7)
    other_ids = await _notify(other.user_id, 1)
    h = account.headers

    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(URL, params=params, headers=h)).json()
        seen += [item["id"] for item in page["items"]]
        assert page["unread_count"] == 7
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))  # newest first, each once, none of the other user's

    one = await client.post(f"{URL}/{ids[2]}/read", headers=h)
    assert one.status_code == 200 and one.json()["id"] == ids[2] and one.json()["read_at"]
    again = await client.post(f"{URL}/{ids[2]}/read", headers=h)
    assert again.json()["read_at"] == one.json()["read_at"]  # the first read time stays
    unread = (await client.get(URL, params={"unread": "true"}, headers=h)).json()
    assert ids[2] not in [item["id"] for item in unread["items"]] and unread["unread_count"] == 6
    assert len(unread["items"]) == 6

    # Someone else's notification: 404, and it stays unread.
    theirs = await client.post(f"{URL}/{other_ids[0]}/read", headers=h)
    assert theirs.status_code == 404 and theirs.headers["content-type"].startswith(PROBLEM)
    assert (await client.get(URL, headers=other.headers)).json()["unread_count"] == 1

    marked = await client.post(f"{URL}/read-all", headers=h)
    assert marked.status_code == 200 and marked.json() == {"marked": 6}
    assert (await client.post(f"{URL}/read-all", headers=h)).json() == {"marked": 0}
    assert (await client.get(URL, params={"unread": "true"}, headers=h)).json() == {
        "items": [],
        "next_cursor": None,
        "unread_count": 0,
    }
    assert (await client.get(URL, headers=other.headers)).json()["unread_count"] == 1
    exported = (await client.get("/api/v1/me/export", headers=h)).json()["notifications"]
    assert [n["id"] for n in exported] == list(reversed(ids)) and all(n["read_at"] for n in exported)


@pytest.mark.parametrize(
    ("params", "status", "slug"),
    [
        ({"cursor": "not-a-cursor"}, 400, "invalid-cursor"),
        ({"cursor": "WyJ4Il0"}, 400, "invalid-cursor"),  # ["x"]
        ({"limit": 0}, 422, "validation-error"),
        ({"limit": 101}, 422, "validation-error"),
        ({"limit": "many"}, 422, "validation-error"),
        ({"unread": "perhaps"}, 422, "validation-error"),
    ],
)
async def test_bad_list_parameters_are_problems(
    client: httpx.AsyncClient, params: dict[str, str | int], status: int, slug: str
) -> None:
    account = await factories.account(client)
    response = await client.get(URL, params=params, headers=account.headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == status and response.json()["type"].endswith(f":{slug}")


async def test_notifications_need_a_token_and_unknown_ids_are_404(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL)).status_code == 401
    account = await factories.account(client)
    missing = await client.post(f"{URL}/{uuid.uuid4()}/read", headers=account.headers)
    assert missing.status_code == 404 and missing.json()["type"].endswith(":not-found")
    assert (await client.post(f"{URL}/not-a-uuid/read", headers=account.headers)).status_code in (400, 404)


async def test_the_dev_mailbox_lists_caught_mail_in_development_only(
    client: httpx.AsyncClient, services: support.SessionServices, tmp_path: Path
) -> None:
    assert (await client.get("/api/v1/dev/mailbox")).status_code == 404  # APP_ENV=test
    settings = Settings.from_env(settings_env(services, APP_ENV="development", DATA_DIR=str(tmp_path)))
    with Catcher(directory=tmp_path / "mail") as smtp:
        mail = MailSettings(port=smtp.port)
        rendered = Rendered(subject="Hello", text="plain body", html="<p>html body</p>")
        await SmtpMailer(mail).send(build(uuid.uuid4(), mail.mail_from, "ada@example.com", rendered))
    async with served(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as dev:
        [entry] = (await dev.get("/api/v1/dev/mailbox")).json()
        assert entry["subject"] == "Hello" and entry["to"] == "ada@example.com" and "plain body" in entry["text"]
        raw = await dev.get(f"/api/v1/dev/mailbox/{entry['name']}")
        assert raw.status_code == 200 and b"Subject: Hello" in raw.content
        assert (await dev.get("/api/v1/dev/mailbox/..%2F..%2Fetc%2Fpasswd")).status_code == 404
        assert (await dev.get("/api/v1/dev/mailbox/nope.eml")).status_code == 404
