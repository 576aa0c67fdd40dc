"""`backend.platform.http.metrics.RouteMetricsMiddleware` records what Litestar's own Prometheus
middleware records: two small apps, one with each, get the same requests over HTTP, and their
expositions must agree sample for sample (counts, labels, buckets; not the measured seconds)."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar, get
from litestar.enums import ScopeType
from litestar.params import FromPath, FromQuery
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController, PrometheusMiddleware

from backend.platform.http.metrics import RouteMetricsMiddleware
from tests.plugins.services import served


@get("/items/{item_id:int}")
async def item(item_id: FromPath[int], limit: FromQuery[int] = 1) -> dict[str, int]:
    return {"id": item_id, "limit": limit}


@get("/boom")
async def boom() -> None:
    raise RuntimeError("a bug")


@get("/teapot", status_code=418)
async def teapot() -> str:
    return "short and stout"


def _app(name: str, middleware_class: type[PrometheusMiddleware]) -> Litestar:
    config = PrometheusConfig(
        app_name=name, prefix=name, group_path=True, exclude=["/metrics"], scopes={ScopeType.HTTP},
        middleware_class=middleware_class,
    )  # fmt: skip
    return Litestar([item, boom, teapot, PrometheusController], middleware=[config.middleware])


def _samples(exposition: str, name: str) -> list[str]:
    """The app's sample lines, prefix and app name made neutral, measured seconds dropped: a finite
    duration bucket keeps its labels but not its count, which depends on how fast the machine was."""
    lines = [line for line in exposition.splitlines() if line.startswith(name)]
    lines = [line.replace(name, "APP") for line in lines]
    lines = [line.rsplit(" ", 1)[0] if "_bucket{" in line and 'le="+Inf"' not in line else line for line in lines]
    return sorted(line for line in lines if not re.match(r"APP_request_duration_seconds_(sum|created)", line)
                  and "_created" not in line)  # fmt: skip


async def _exercise(url: str) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        for number in range(3):
            assert (await http.get(f"/items/{number}")).status_code == 200
        assert (await http.get("/items/1?limit=x")).status_code == 400
        assert (await http.get("/boom")).status_code == 500
        assert (await http.get("/teapot")).status_code == 418
        await http.get("/metrics")
        return (await http.get("/metrics")).text


async def test_the_same_metrics_as_litestars_own_middleware() -> None:
    async with served(_app("stock_plugin", PrometheusMiddleware)) as url:
        stock = _samples(await _exercise(url), "stock_plugin")
    async with served(_app("route_metrics", RouteMetricsMiddleware)) as url:
        ours = _samples(await _exercise(url), "route_metrics")
    assert ours == stock
    requests = [line for line in ours if line.startswith("APP_requests_total")]
    assert any('path="/items/{item_id}"' in line and 'status_code="200"' in line and line.endswith(" 3.0")
               for line in requests)  # fmt: skip
    assert any('path="/boom"' in line and line.endswith(" 1.0") for line in ours if "requests_error_total" in line)
    assert not any('path="/metrics"' in line for line in ours)
    in_progress = [line for line in ours if line.startswith("APP_requests_in_progress{")]
    assert in_progress and all(line.endswith(" 0.0") for line in in_progress)
