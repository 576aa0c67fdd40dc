"""Liveness and readiness probes (no prefix)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from litestar import Controller, Response, get, head
from litestar.datastructures import State
from redis.asyncio.cluster import RedisCluster

from backend.platform import redis_client
from backend.platform.db.engine import DB

CHECK_TIMEOUT_SECONDS = 2.0


async def _postgres() -> None:
    await DB.run_ddl("SELECT 1")


async def _redis(state: State) -> None:
    """PING; on a Redis Cluster every primary (a bare PING asks one node), so the api is ready only
    when every slot of the keyspace answers, as on one Redis."""
    if redis_client.is_cluster():
        await cast(RedisCluster, state.redis).ping(target_nodes=RedisCluster.PRIMARIES)
    else:
        await state.redis.ping()


class HealthController(Controller):
    path = "/health"
    tags = ["ops"]
    include_in_schema = True

    @get("/live", operation_id="healthLive", cache_control=None)
    async def live(self) -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @head("/live", operation_id="healthLiveHead", include_in_schema=False)
    async def live_head(self) -> None:
        """GET's answer without a body (probes and uptime checkers that send HEAD)."""

    @get("/ready", operation_id="healthReady")
    async def ready(self, state: State) -> Response[dict[str, Any]]:
        """Postgres and Redis answer within 2 s each and the process is not draining (SIGTERM); 503
        otherwise. With read replicas, `replicas` lists each one's state (`ok`, `lagging`, `down`) and
        lag: reads skip a replica that is not ok, so it never makes the api unready."""
        if _draining(state):
            return Response({"status": "draining", "checks": {}}, status_code=503)
        checks = await _checks(state)
        ok = all(value == "ok" for value in checks.values())
        body: dict[str, Any] = {"status": "ok" if ok else "unavailable", "checks": checks}
        if DB.router is not None:
            body["replicas"] = await DB.router.report()
        return Response(body, status_code=200 if ok else 503)

    @head("/ready", operation_id="healthReadyHead", include_in_schema=False)
    async def ready_head(self, state: State) -> Response[None]:
        """GET's status without a body."""
        if _draining(state):
            return Response(None, status_code=503)
        checks = await _checks(state)
        return Response(None, status_code=200 if all(value == "ok" for value in checks.values()) else 503)


def _draining(state: State) -> bool:
    """SIGTERM received (backend.platform.http.drain): the balancer must stop sending here."""
    drain = state.get("drain")
    return drain is not None and bool(drain.draining)


async def _checks(state: State) -> dict[str, str]:
    checks: dict[str, str] = {}
    for name, probe in (("postgres", _postgres()), ("redis", _redis(state))):
        try:
            await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
            checks[name] = "ok"
        except Exception as exc:  # any failure means not ready
            checks[name] = f"error: {type(exc).__name__}"
    return checks
