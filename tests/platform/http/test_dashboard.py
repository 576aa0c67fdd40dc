"""The api serves the reference dashboard at `/` (frontend_contract/dashboard) next to its routes."""

from __future__ import annotations

from pathlib import Path

import httpx

from backend.platform.http import dashboard


async def test_the_dashboard_is_served_at_the_root(client: httpx.AsyncClient) -> None:
    index = await client.get("/")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    assert 'src="js/dashboard/src/main.js"' in index.text
    script = await client.get("/js/dashboard/src/main.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert (await client.get("/styles.css")).headers["content-type"].startswith("text/css")
    assert (await client.get("/health/live")).status_code == 200  # the api's own routes still win
    assert (await client.get("/api/v1/me")).status_code == 401
    assert (await client.get("/no-such-file.js")).status_code == 404


async def test_the_email_links_open_the_dashboard(client: httpx.AsyncClient) -> None:
    """The verification and reset emails link to PUBLIC_URL/verify-email and /reset-password."""
    for path in dashboard.EMAIL_LINK_PATHS:
        page = await client.get(f"{path}?token=abc")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert 'src="js/dashboard/src/main.js"' in page.text
        assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"


async def test_the_dashboard_is_not_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert "/" not in paths and not any(path.startswith("/{") for path in paths)
    assert not set(dashboard.EMAIL_LINK_PATHS) & set(paths)


def test_no_route_without_the_dashboard_files(tmp_path: Path) -> None:
    assert dashboard.routes(tmp_path) == []
    assert dashboard.routes() != []
