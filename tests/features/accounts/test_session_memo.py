"""The per-process session memo (backend/features/accounts/session_memo.py): a change of who may sign in
is seen by the very next request on every api process, also when both processes remember the
session. Two processes: the test's own app (`client`) and a second uvicorn process (`other`)."""

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest_asyncio
import redis.asyncio as aioredis

from backend.devtools.embedded_services import EmbeddedRedis, free_port
from backend.devtools.redis_cluster import LocalRedisCluster
from backend.features.accounts import session_memo
from backend.platform import redis_client
from backend.platform.db.tables import Session, User
from tests import factories
from tests.features.admin.test_admin import _manage
from tests.plugins.processes import Api, start_api, stop_api, wait_ready
from tests.support import SessionServices

NEW_PASSWORD = "an entirely new passphrase"


@pytest_asyncio.fixture(scope="module")
async def other(services: SessionServices, db: None) -> AsyncIterator[httpx.AsyncClient]:
    api = start_api(services)
    try:
        await wait_ready(api)
        async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
            yield http
    finally:
        stop_api(api)


def _bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def _statuses(clients: list[httpx.AsyncClient], path: str, headers: dict[str, str]) -> list[int]:
    return [(await http.get(path, headers=headers)).status_code for http in clients]


async def _remembered(clients: list[httpx.AsyncClient], headers: dict[str, str], path: str = "/api/v1/me") -> None:
    """Both processes have checked the session (twice: the second answer comes from the memo)."""
    for _ in range(2):
        assert await _statuses(clients, path, headers) == [200, 200]


async def test_logout_is_seen_by_the_next_request_on_every_process(
    client: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    account = await factories.account(client)
    # remembered through a cached read: its answer comes with the session's stamp in one Redis command
    await _remembered([client, other], account.headers, "/api/v1/applications")
    assert (await other.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token})).status_code == 204
    assert await _statuses([client, other], "/api/v1/applications", account.headers) == [401, 401]


async def test_refresh_reuse_is_seen_by_the_next_request_on_every_process(
    client: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    account = await factories.account(client)
    rotated = (await client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token})).json()
    fresh = _bearer(rotated["access_token"])
    await _remembered([client, other], fresh)
    reuse = await client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert reuse.status_code == 401
    assert await _statuses([client, other], "/api/v1/me", fresh) == [401, 401]


async def test_password_change_and_reset_are_seen_by_the_next_request_on_every_process(
    client: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    account = await factories.account(client)
    phone = _bearer((await factories.login(client, account.email))["access_token"])
    await _remembered([client, other], account.headers)
    await _remembered([client, other], phone)
    body = {"current_password": account.password, "new_password": NEW_PASSWORD}
    assert (await other.post("/api/v1/me/password", json=body, headers=account.headers)).status_code == 204
    assert await _statuses([client, other], "/api/v1/me", phone) == [401, 401]
    assert await _statuses([client, other], "/api/v1/me", account.headers) == [200, 200]  # the changing session

    await _remembered([client, other], account.headers)
    assert (await client.post("/api/v1/auth/password-reset", json={"email": account.email})).status_code == 202
    token = await factories.mailed_token(account.email, "password_reset")
    confirm = {"token": token, "new_password": "yet another new passphrase"}
    assert (await client.post("/api/v1/auth/password-reset/confirm", json=confirm)).status_code == 204
    assert await _statuses([client, other], "/api/v1/me", account.headers) == [401, 401]


async def test_disabling_and_demoting_are_seen_by_the_next_request_on_every_process(
    client: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    boss, deputy, user = [await factories.account(client) for _ in range(3)]
    await User.update({User.role: "admin"}).where(User.id.is_in([boss.user_id, deputy.user_id]))
    await _remembered([client, other], deputy.headers, "/api/v1/admin/users")
    await _remembered([client, other], user.headers)

    demote = await client.patch(f"/api/v1/admin/users/{deputy.user_id}", json={"role": "user"}, headers=boss.headers)
    assert demote.status_code == 200
    assert await _statuses([client, other], "/api/v1/admin/users", deputy.headers) == [403, 403]

    disable = await other.patch(f"/api/v1/admin/users/{user.user_id}", json={"is_active": False}, headers=boss.headers)
    assert disable.status_code == 200
    assert await _statuses([client, other], "/api/v1/me", user.headers) == [401, 401]


async def test_set_role_command_is_seen_by_the_next_request_on_every_process(
    client: httpx.AsyncClient, other: httpx.AsyncClient, services: SessionServices
) -> None:
    user = await factories.account(client)
    for _ in range(2):
        assert await _statuses([client, other], "/api/v1/admin/users", user.headers) == [403, 403]
    code, stderr = await _manage(services, "set-role", user.email, "admin")
    assert code == 0, stderr
    assert await _statuses([client, other], "/api/v1/admin/users", user.headers) == [200, 200]


async def test_erasure_is_seen_by_the_next_request_on_every_process(
    client: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    account = await factories.account(client)
    phone = _bearer((await factories.login(client, account.email))["access_token"])
    await _remembered([client, other], phone)
    erase = await other.request("DELETE", "/api/v1/me", json={"password": account.password}, headers=account.headers)
    assert erase.status_code == 204
    assert await _statuses([client, other], "/api/v1/me", phone) == [401, 401]


async def test_profile_edits_reach_the_remembered_user_at_once(
    client: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    account = await factories.account(client)
    await _remembered([client, other], account.headers)
    assert (await client.patch("/api/v1/me", json={"full_name": "Grace Hopper"}, headers=account.headers)).is_success
    for http in (client, other):
        assert (await http.get("/api/v1/me", headers=account.headers)).json()["full_name"] == "Grace Hopper"


async def test_no_memo_while_a_change_is_under_way(
    client: httpx.AsyncClient, other: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    """A change's marker (written before it commits, replaced after) stops every process from using
    its memo, also when the replacement never comes (the marker then expires)."""
    account = await factories.account(client)
    await _remembered([client, other], account.headers)
    key = session_memo.stamp_key(uuid.UUID(account.user_id))
    await redis.set(key, session_memo.CHANGING + b"someone", ex=session_memo.CHANGING_TTL_SECONDS)
    await Session.update({Session.revoked_at: datetime.now(UTC)}).where(Session.user == account.user_id)
    assert await _statuses([client, other], "/api/v1/me", account.headers) == [401, 401]


async def test_an_out_of_band_change_is_seen_within_the_memo_age(
    client: httpx.AsyncClient, services: SessionServices
) -> None:
    """SQL behind the app's back does not move the stamp: a process trusts its memo for at most
    SESSION_MEMO_SECONDS (the first answer after the change proves that the memo was used)."""
    api = start_api(services, SESSION_MEMO_SECONDS="2")
    try:
        await wait_ready(api)
        async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
            account = await factories.account(http)
            assert (await http.get("/api/v1/me", headers=account.headers)).status_code == 200
            await User.update({User.is_active: False}).where(User.id == account.user_id)
            assert (await http.get("/api/v1/me", headers=account.headers)).status_code == 200
            await asyncio.sleep(2.2)
            assert (await http.get("/api/v1/me", headers=account.headers)).status_code == 401
    finally:
        stop_api(api)


def start_own_redis() -> tuple[EmbeddedRedis | LocalRedisCluster, str]:
    """A Redis of the test's own, to stop mid-test, of the session's topology (a cluster of three
    primaries, stopped as a whole, with `TEST_REDIS_CLUSTER`), and its URL."""
    data = Path(tempfile.mkdtemp(prefix="cc-redis-"))
    if redis_client.is_cluster():
        cluster = LocalRedisCluster(data, masters=3, replicas=0)
        cluster.start()
        return cluster, cluster.url
    single = EmbeddedRedis(data, free_port(), persistent=False)
    single.start()
    return single, single.url()


async def test_without_redis_sessions_are_checked_in_postgres_and_revocations_fail_closed(
    services: SessionServices,
) -> None:
    own, url = start_own_redis()
    api: Api | None = None
    try:
        api = start_api(services, REDIS_URL=url)
        await wait_ready(api)
        async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
            account = await factories.account(http)
            phone = await factories.login(http, account.email)
            for _ in range(2):
                assert (await http.get("/api/v1/me", headers=account.headers)).status_code == 200
            own.stop()
            # a logout that cannot reach the other processes' memos is refused, and changes nothing
            logout = await http.post("/api/v1/auth/logout", json={"refresh_token": phone["refresh_token"]})
            assert logout.status_code == 503 and "retry-after" in logout.headers
            assert (await http.get("/api/v1/me", headers=_bearer(phone["access_token"]))).status_code == 200
            # meanwhile the memo is not trusted: a revocation in Postgres is seen at once
            assert (await http.get("/api/v1/me", headers=account.headers)).status_code == 200
            await Session.update({Session.revoked_at: datetime.now(UTC)}).where(Session.user == account.user_id)
            assert (await http.get("/api/v1/me", headers=account.headers)).status_code == 401
    finally:
        if api is not None:
            stop_api(api)
        own.stop()
