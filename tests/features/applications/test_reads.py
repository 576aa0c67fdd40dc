"""Listing, pagination, ETags, cache-aside with read-your-writes, Redis outages, CSV, live sync."""

import csv
import hashlib
import io
import uuid
from collections.abc import Awaitable
from typing import cast

import httpx
import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from backend.features.accounts.session_memo import stamp_key
from backend.features.applications.service import cache_namespace
from backend.platform import cache, redis_client
from backend.platform.db.tables import Application
from tests import factories
from tests.features.accounts.test_session_memo import start_own_redis
from tests.features.applications.test_crud import URL, create
from tests.plugins.processes import Api, start_api, stop_api, wait_ready
from tests.plugins.realtime import connect, next_event
from tests.support import SessionServices


async def _all_pages(client: httpx.AsyncClient, account: factories.Account, **params: str) -> list[dict]:
    items, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(URL, params=query, headers=account.headers)).json()
        items += page["items"]
        if not (cursor := page["next_cursor"]):
            return items


async def test_filters_search_and_sorts(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    await create(client, account, company="Zeta", role="SRE", tags=["remote"], status="applied")
    await create(client, account, company="alpha", role="Data 100%", notes="met at PyCon")
    await create(client, account, company="Beta", role="Backend", tags=["remote", "urgent"], status="interview")
    names = lambda items: [i["company"] for i in items]  # noqa: E731
    assert names(await _all_pages(client, account, sort="company")) == ["alpha", "Beta", "Zeta"]
    assert names(await _all_pages(client, account, sort="-company")) == ["Zeta", "Beta", "alpha"]
    assert names(await _all_pages(client, account, tag="remote", sort="company")) == ["Beta", "Zeta"]
    assert names(await _all_pages(client, account, status="applied,interview", sort="company")) == ["Beta", "Zeta"]
    assert names(await _all_pages(client, account, q="pycon")) == ["alpha"]
    assert names(await _all_pages(client, account, q="100%")) == ["alpha"]
    assert names(await _all_pages(client, account, q="_")) == []
    assert names(await _all_pages(client, account, sort="applied_at"))[0] == "Zeta"  # nulls last


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"sort": "salary"}, 422),
        ({"limit": "0"}, 422),
        ({"limit": "101"}, 422),
        ({"status": "hired"}, 422),
        ({"cursor": "garbage!"}, 422),  # not the shape of a cursor (the schema's pattern)
        ({"cursor": "Z2FyYmFnZQ"}, 400),  # the shape, but not one the api made
    ],
)
async def test_bad_list_parameters(client: httpx.AsyncClient, params: dict, status: int) -> None:
    account = await factories.account(client)
    response = await client.get(URL, params=params, headers=account.headers)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_pagination_is_stable_under_concurrent_inserts(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    for index in range(25):
        await create(client, account, company=f"Co{index:02d}")
    seen, cursor = [], None
    while True:
        params = {"limit": "4", "sort": "created_at", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(URL, params=params, headers=account.headers)).json()
        seen += [item["company"] for item in page["items"]]
        await create(client, account, company=f"New{len(seen):03d}")  # inserted while paging
        if not (cursor := page["next_cursor"]):
            break
    originals = [name for name in seen if name.startswith("Co")]
    assert originals == [f"Co{index:02d}" for index in range(25)]
    assert len(seen) == len(set(seen))


async def test_strong_etags_and_304(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    app = await create(client, account)
    first = await client.get(URL, headers=account.headers)
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = await client.get(URL, headers={**account.headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    await client.patch(f"{URL}/{app['id']}", json={"notes": "changed"}, headers=account.headers)
    changed = await client.get(URL, headers={**account.headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    one = await client.get(f"{URL}/{app['id']}", headers=account.headers)
    assert (
        await client.get(f"{URL}/{app['id']}", headers={**account.headers, "If-None-Match": one.headers["etag"]})
    ).status_code == 304


async def test_cached_entries_carry_their_etag_and_older_entries_are_misses(
    client: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    account = await factories.account(client)
    await create(client, account)
    first = await client.get(URL, headers=account.headers)
    (key,) = await _keys(redis, f"{cache_namespace(uuid.UUID(account.user_id))}:*")
    assert await redis.get(key) == first.headers["etag"].encode() + first.content  # served without re-hashing
    await redis.set(key, b'{"items":[],"next_cursor":null}')  # the body-only layout of older api versions
    again = await client.get(URL, headers=account.headers)
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]


async def _keys(redis: aioredis.Redis, pattern: str) -> list[bytes]:
    """The keys matching `pattern` (on a cluster, of every primary)."""
    return [key async for key in redis.scan_iter(match=pattern)]


async def _commands_of(redis: aioredis.Redis, needle: str, action: Awaitable[object]) -> list[list[str]]:
    """The Redis commands (name and arguments) naming `needle` (a user id) that clients sent while
    `action` ran (not those a script ran); on a cluster, to the node holding that user's keys."""
    node = redis
    if redis_client.is_cluster():
        cluster = cast(RedisCluster, redis)
        await cluster.initialize()
        where = cluster.get_node_from_key(stamp_key(uuid.UUID(needle)))
        assert where is not None
        node = aioredis.Redis(host=where.host, port=int(where.port))
    marker = f"end-of-capture-{uuid.uuid4()}"
    seen: list[list[str]] = []
    try:
        async with node.monitor() as monitor:
            await action
            await node.echo(marker)
            async for sent in monitor.listen():
                if marker in sent["command"]:
                    return seen
                if needle in sent["command"] and sent["client_type"] != "lua":
                    seen.append(sent["command"].split())
    finally:
        if node is not redis:
            await node.aclose()
    raise AssertionError("the monitor ended early")


async def test_a_cached_read_is_one_redis_command_with_the_session_check(
    client: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    account = await factories.account(client)
    app = await create(client, account)
    for path in (URL, f"{URL}/{app['id']}", f"{URL}?sort=company&limit=5"):
        first = await client.get(path, headers=account.headers)  # fills the cache and the session memo
        sent = await _commands_of(redis, str(account.user_id), client.get(path, headers=account.headers))
        assert [command[0] for command in sent] == ["EVALSHA"], sent  # was two: the stamp, then the entry
        assert any(stamp_key(uuid.UUID(account.user_id)) in arg for arg in sent[0])
        assert any(f"cv:{cache_namespace(uuid.UUID(account.user_id))}" in arg for arg in sent[0])
        again = await client.get(path, headers=account.headers)
        assert (again.status_code, again.content, again.headers["etag"]) == (200, first.content, first.headers["etag"])


async def test_cached_answers_go_only_to_a_live_session_of_their_owner(client: httpx.AsyncClient) -> None:
    """A hit is answered before the handler runs (`before_request`), never before the session check."""
    account = await factories.account(client)
    app = await create(client, account)
    paths = (URL, f"{URL}/{app['id']}")
    for path in paths:
        assert (await client.get(path, headers=account.headers)).status_code == 200  # now cached
    stranger = await factories.account(client)
    assert (await client.get(paths[1], headers=stranger.headers)).status_code == 404
    assert (await client.get(paths[0], headers=stranger.headers)).json()["items"] == []
    assert (await client.get(paths[0])).status_code == 401
    logout = await client.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token})
    assert logout.status_code == 204
    for path in paths:
        ended = await client.get(path, headers=account.headers)
        assert ended.status_code == 401 and ended.json()["type"].endswith(":session-ended")


async def test_cached_reads_go_on_after_redis_forgets_its_scripts(
    client: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    account = await factories.account(client)
    await create(client, account, company="Before")
    first = await client.get(URL, headers=account.headers)
    await redis.script_flush()  # as after a Redis restart: EVALSHA answers NOSCRIPT
    again = await client.get(URL, headers=account.headers)
    assert (again.status_code, again.content) == (200, first.content)
    # ...served from Redis, not from Postgres behind a cache that gave up: the script is back
    assert await redis.script_exists(hashlib.sha1(cache._GUARDED_LOOKUP.encode()).hexdigest()) == [True]  # noqa: S324
    sent = await _commands_of(redis, str(account.user_id), client.get(URL, headers=account.headers))
    assert [command[0] for command in sent] == ["EVALSHA"]  # the one cached read, no reload
    await create(client, account, company="After")
    assert [i["company"] for i in (await client.get(URL, headers=account.headers)).json()["items"]] == [
        "After",
        "Before",
    ]


async def test_reads_are_cached_and_writes_are_visible_at_once_on_another_instance(
    services: SessionServices, client: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    other = start_api(services)
    try:
        await wait_ready(other)
        account = await factories.account(client)
        app = await create(client, account)
        async with httpx.AsyncClient(base_url=other.url) as second:
            assert (await second.get(URL, headers=account.headers)).json()["items"][0]["notes"] == ""
            assert await _keys(redis, f"{cache_namespace(uuid.UUID(account.user_id))}:*")  # the read filled the cache
            # a direct DB change bypasses the version: the cached answer is served (proves caching)
            await Application.update({Application.notes: "behind the cache's back"}).where(Application.id == app["id"])
            assert (await second.get(URL, headers=account.headers)).json()["items"][0]["notes"] == ""
            # a write through the API on instance 1 is visible in the very next read on instance 2
            await client.patch(f"{URL}/{app['id']}", json={"notes": "fresh"}, headers=account.headers)
            assert (await second.get(URL, headers=account.headers)).json()["items"][0]["notes"] == "fresh"
            assert (await second.get(f"{URL}/{app['id']}", headers=account.headers)).json()["notes"] == "fresh"
    finally:
        stop_api(other)


async def test_reads_and_writes_keep_working_while_redis_is_down(services: SessionServices) -> None:
    """An api on its own Redis, which the test stops mid-test: no 5xx, data from Postgres."""
    own, url = start_own_redis()
    api: Api | None = None
    try:
        api = start_api(services, REDIS_URL=url)
        await wait_ready(api)
        async with httpx.AsyncClient(base_url=api.url, timeout=20) as http:
            account = await factories.account(http)
            app = await create(http, account)
            assert (await http.get(URL, headers=account.headers)).status_code == 200
            own.stop()
            patched = await http.patch(f"{URL}/{app['id']}", json={"notes": "redis is down"}, headers=account.headers)
            assert patched.status_code == 200
            listing = await http.get(URL, headers=account.headers)
            assert listing.status_code == 200 and listing.json()["items"][0]["notes"] == "redis is down"
            created = await http.post(URL, json={"company": "Offline", "role": "Dev"}, headers=account.headers)
            assert created.status_code == 201
            assert (await http.get(f"{URL}/{created.json()['id']}", headers=account.headers)).status_code == 200
    finally:
        if api is not None:
            stop_api(api)
        own.stop()


async def test_csv_round_trip_into_a_new_account_is_identical(client: httpx.AsyncClient) -> None:
    alice, bob = await factories.account(client), await factories.account(client)
    app = await create(
        client,
        alice,
        company="=cmd|' /C calc'!A0",
        role="+SUM(1,2)",
        notes="-2 quirks, 'quoted', \"dq\"\nline 2",
        tags=["@home", "x"],
        salary_min=1,
        salary_max=2,
        currency="USD",
        source="'apostrophe",
        next_follow_up_at="2031-05-06T07:08:09Z",
    )
    await client.patch(
        f"{URL}/{app['id']}", json={"status": "applied", "status_note": "sent, at last"}, headers=alice.headers
    )
    await create(client, alice, company="Plain", role="Dev")
    exported = await client.get(f"{URL}/export.csv", headers=alice.headers)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    dangerous = [cell for row in rows[1:] for cell in row if cell[:1] in ("=", "+", "-", "@")]
    assert dangerous == []  # every formula-like cell is neutralised
    imported = await client.post(
        f"{URL}/import", content=exported.content, headers={**bob.headers, "content-type": "text/csv"}
    )
    assert imported.status_code == 201, imported.text
    assert imported.json() == {"imported": 2, "rejected": []}
    strip = ("id", "created_at", "updated_at")
    mine = sorted(({k: v for k, v in a.items() if k not in strip} for a in await _all_pages(client, alice)), key=str)
    theirs = sorted(({k: v for k, v in a.items() if k not in strip} for a in await _all_pages(client, bob)), key=str)
    assert mine == theirs
    again = await client.get(f"{URL}/export.csv", headers=bob.headers)
    assert again.text == exported.text  # timelines and creation times came along


async def test_import_is_all_or_nothing_with_a_report(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    text = (
        "company,role,status,salary_min,salary_max,applied_at\r\nGood,Dev,applied,1,2,2024-01-01T00:00:00Z\r\n"
        "Bad,Dev,hired,,,\r\n,NoCompany,,,,\r\nNeg,Dev,,5,1,\r\nDate,Dev,,,,someday\r\n"
    )
    response = await client.post(
        f"{URL}/import", content=text.encode(), headers={**account.headers, "content-type": "text/csv"}
    )
    assert response.status_code == 422
    report = response.json()
    assert report["imported"] == 0 and [r["row"] for r in report["rejected"]] == [2, 3, 4, 5]
    assert await Application.count() == 0
    wrong_type = await client.post(
        f"{URL}/import", content=b"{}", headers={**account.headers, "content-type": "application/json"}
    )
    assert wrong_type.status_code == 415
    no_columns = await client.post(
        f"{URL}/import", content=b"a,b\r\n1,2\r\n", headers={**account.headers, "content-type": "text/csv"}
    )
    assert no_columns.status_code == 422


async def test_changes_are_pushed_to_the_owners_sockets(
    services: SessionServices, client: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    api = start_api(services)
    try:
        await wait_ready(api)
        account = await factories.account(client)
        async with await connect(redis, api, account.user_id) as ws:
            app = await create(client, account)
            await client.patch(f"{URL}/{app['id']}", json={"status": "applied"}, headers=account.headers)
            await client.delete(f"{URL}/{app['id']}", headers=account.headers)
            got = [(await next_event(ws))["data"] for _ in range(3)]
        assert [(g["application_id"], g["op"]) for g in got] == [
            (app["id"], op) for op in ("created", "updated", "deleted")
        ]
    finally:
        stop_api(api)


async def test_list_and_export_need_a_token(client: httpx.AsyncClient) -> None:
    for url in (URL, f"{URL}/export.csv", f"{URL}/stats"):
        assert (await client.get(url)).status_code == 401


async def test_an_error_reply_is_a_miss_and_leaves_the_cache_on(
    client: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    """A key of the wrong type (Redis answers WRONGTYPE): the read is served from Postgres, and the
    next one uses Redis again at once (a connection error would turn the cache off for a while)."""
    account = await factories.account(client)
    await create(client, account, company="Solid")
    first = await client.get(URL, headers=account.headers)
    version_key = f"cv:{cache_namespace(uuid.UUID(account.user_id))}"
    await redis.delete(version_key)
    await redis.hset(version_key, "not", "a counter")
    answered = await client.get(URL, headers=account.headers)
    assert (answered.status_code, answered.content) == (200, first.content)
    await redis.delete(version_key)
    sent = await _commands_of(redis, str(account.user_id), client.get(URL, headers=account.headers))
    assert "EVALSHA" in [command[0] for command in sent]
