"""The reference dashboard (`frontend_contract/dashboard/`), served as static files at `/`.

A dev/demo client of the published contract (SPEC §1): `index.html`, `styles.css` and the JS that
`tsc` builds from `dashboard/src/` and `client/` (`make contract`). Same origin as the api, so it
needs no CORS and its websocket `Origin` is the api's own (`ALLOWED_ORIGINS` must list it).
"""

from __future__ import annotations

from pathlib import Path

from litestar.handlers import HTTPRouteHandler
from litestar.router import Router
from litestar.static_files import create_static_files_router

DASHBOARD_DIR = Path(__file__).resolve().parents[1] / "frontend_contract" / "dashboard"


def routes(directory: Path = DASHBOARD_DIR) -> list[Router | HTTPRouteHandler]:
    """The static route at `/`, or none when the directory is not shipped (a slim image)."""
    if not (directory / "index.html").is_file():
        return []
    return [
        create_static_files_router(
            path="/",
            directories=[directory],
            html_mode=True,  # `/` answers index.html
            include_in_schema=False,
            name="dashboard",
            cache_control=None,
        )
    ]
