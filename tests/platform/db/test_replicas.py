"""Read replicas for real: an embedded primary, its streaming replica, and api processes routing to it
over HTTP (backend/platform/db/replicas.py, docs/replicas.md)."""

from __future__ import annotations

import asyncio
import socket
import uuid

import httpx
import pytest

from backend.devtools.embedded_services import EmbeddedReplica
from tests import factories
from tests.plugins.processes import Api, stop_api
from tests.plugins.replicas import Replicated, replica_api, replica_states, routed_reads
from tests.support import SessionServices, eventually

pytestmark = pytest.mark.timeout(240)


async def _account(api: Api) -> tuple[httpx.AsyncClient, factories.Account]:
    http = httpx.AsyncClient(base_url=api.url, timeout=30)
    return http, await factories.account(http)


async def _create(http: httpx.AsyncClient, who: factories.Account, company: str) -> dict[str, object]:
    response = await http.post(
        "/api/v1/applications/", json={"company": company, "role": "Engineer"}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def _stats_total(http: httpx.AsyncClient, who: factories.Account) -> int:
    response = await http.get("/api/v1/applications/stats", headers=who.headers)
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


async def test_every_read_after_a_write_sees_it_across_apis_while_other_users_read_the_paused_replica(
    services: SessionServices, replicated: Replicated
) -> None:
    env = {"REPLICA_MAX_LAG_MS": "600000"}  # a paused replica is not skipped for lag here, only for positions
    first, second = await asyncio.gather(
        replica_api(services, replicated, **env), replica_api(services, replicated, **env)
    )
    try:
        writer_on_first, writer = await _account(first)
        writer_on_second = httpx.AsyncClient(base_url=second.url, timeout=30)
        reader_http, reader = await _account(second)
        await _create(reader_http, reader, "Before the pause")
        await replicated.caught_up()
        await replicated.pause()
        try:
            before = await routed_reads(second)
            for round_ in range(5):
                writing, reading = (
                    (writer_on_first, writer_on_second) if round_ % 2 == 0 else (writer_on_second, writer_on_first)
                )
                created = await _create(writing, writer, f"Written {round_}")
                # the replica does not have it: a read there would miss it
                assert not await replicated.on_replica(
                    "SELECT 1 FROM applications WHERE id = $1", uuid.UUID(str(created["id"]))
                )
                detail = await reading.get(f"/api/v1/applications/{created['id']}", headers=writer.headers)
                assert detail.status_code == 200, detail.text
                assert detail.json()["company"] == f"Written {round_}"
                listed = await reading.get("/api/v1/applications/", headers=writer.headers)
                assert listed.json()["items"][0]["company"] == f"Written {round_}"
                assert await _stats_total(reading, writer) == round_ + 1
                renamed = await writing.patch(
                    f"/api/v1/applications/{created['id']}", json={"company": f"Renamed {round_}"},
                    headers=writer.headers,
                )  # fmt: skip
                assert renamed.status_code == 200, renamed.text
                detail = await reading.get(f"/api/v1/applications/{created['id']}", headers=writer.headers)
                assert detail.json()["company"] == f"Renamed {round_}"
            after_writer = await routed_reads(second)
            for _ in range(4):  # the other user's reads still go to the (paused) replica, on either api
                assert await _stats_total(reader_http, reader) == 1
                assert await _stats_total(writer_on_first, reader) == 1
            after_reader = await routed_reads(second)
        finally:
            await replicated.resume()
        # the writer's reads on the second api, in rounds 0, 2, 4 (detail, list, stats, detail): the primary
        assert after_writer["primary"] - before["primary"] >= 3 * 4
        assert after_writer["replica"] == before["replica"]
        assert after_reader["replica"] - after_writer["replica"] == 4
        assert after_reader["primary"] == after_writer["primary"]
        for http in (writer_on_first, writer_on_second, reader_http):
            await http.aclose()
    finally:
        stop_api(first)
        stop_api(second)


async def test_routed_reads_use_the_replica_once_it_has_replayed_the_write(
    services: SessionServices, replicated: Replicated
) -> None:
    api = await replica_api(services, replicated)
    try:
        http, user = await _account(api)
        await _create(http, user, "Caught up")
        await replicated.caught_up()
        before = await routed_reads(api)
        for _ in range(10):
            assert await _stats_total(http, user) == 1
        listed = await http.get("/api/v1/applications/?limit=5", headers=user.headers)
        assert [item["company"] for item in listed.json()["items"]] == ["Caught up"]
        after = await routed_reads(api)
        assert after["replica"] - before["replica"] == 11
        assert after["primary"] == before["primary"]
        (state,) = await replica_states(api)
        assert state["state"] == "ok" and state["replica"] == "0"
        await http.aclose()
    finally:
        stop_api(api)


async def test_a_stopped_replica_sends_reads_to_the_primary_without_an_error_and_is_used_again_when_back(
    services: SessionServices, replicated: Replicated
) -> None:
    api = await replica_api(services, replicated)
    replica: EmbeddedReplica = replicated.replica
    try:
        http, user = await _account(api)
        await _create(http, user, "Survives")
        await replicated.caught_up()
        assert await _stats_total(http, user) == 1  # connects the pool to the replica
        await asyncio.to_thread(replica.stop)
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", replica.port)) != 0, "the replica still listens"
        try:
            before = await routed_reads(api)
            for _ in range(5):
                assert await _stats_total(http, user) == 1
                listed = await http.get("/api/v1/applications/", headers=user.headers)
                assert listed.status_code == 200 and listed.json()["items"][0]["company"] == "Survives"
            after = await routed_reads(api)
            assert after["primary"] - before["primary"] >= 5
            assert after["replica"] == before["replica"]
            (state,) = await replica_states(api)  # still ready (200), the replica down
            assert state["state"] == "down" and "error" in state
        finally:
            await asyncio.to_thread(replica.start)

        async def back() -> bool:
            await _stats_total(http, user)
            return (await routed_reads(api))["replica"] > after["replica"]

        await eventually(back, 20, "reads to go to the replica again once it is back")
        await http.aclose()
    finally:
        stop_api(api)


async def test_a_replica_behind_past_the_maximum_lag_is_skipped(
    services: SessionServices, replicated: Replicated
) -> None:
    api = await replica_api(services, replicated, REPLICA_MAX_LAG_MS="300")
    try:
        http, reader = await _account(api)
        await _create(http, reader, "Old enough")
        busy_http, busy = await _account(api)
        await replicated.caught_up()
        await replicated.pause()
        try:
            for index in range(3):  # someone else writes: the primary moves on, the replica does not
                await _create(busy_http, busy, f"Meanwhile {index}")
            await asyncio.sleep(1.5)  # past the maximum lag, and past the reader's own write position's life

            async def lagging() -> bool:
                return (await replica_states(api))[0]["state"] == "lagging"

            await eventually(lagging, 10, "the replica to be reported lagging")
            before = await routed_reads(api)
            for _ in range(5):
                assert await _stats_total(http, reader) == 1
            after = await routed_reads(api)
            assert after["primary"] - before["primary"] == 5
            assert after["replica"] == before["replica"]
            (state,) = await replica_states(api)
            assert state["lag_seconds"] is not None and float(str(state["lag_seconds"])) > 0.3
        finally:
            await replicated.resume()
        await replicated.caught_up()

        async def used_again() -> bool:
            mark = (await routed_reads(api))["replica"]
            await _stats_total(http, reader)
            return (await routed_reads(api))["replica"] > mark

        await eventually(used_again, 10, "the caught-up replica to serve reads again")
        for client in (http, busy_http):
            await client.aclose()
    finally:
        stop_api(api)
