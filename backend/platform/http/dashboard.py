"""The reference dashboard (`frontend_contract/dashboard/`), served as static files at `/`.

A dev/demo client of the published contract: `index.html`, `styles.css` and the JS that
`tsc` builds from `dashboard/src/` and `client/` (`make contract`). Same origin as the api, so it
needs no CORS and its websocket `Origin` is the api's own (`ALLOWED_ORIGINS` must list it).

The links of the account emails (`PUBLIC_URL/verify-email?token=…`, `PUBLIC_URL/reset-password?token=…`)
answer the same `index.html`: the dashboard reads `location` and finishes the flow.
"""

from __future__ import annotations

from pathlib import Path

from litestar import MediaType, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.router import Router
from litestar.static_files import create_static_files_router

DASHBOARD_DIR = Path(__file__).resolve().parents[3] / "frontend_contract" / "dashboard"
# Paths of links the api sends by email (backend/features/accounts/service.py), handled by the dashboard.
EMAIL_LINK_PATHS = ["/verify-email", "/reset-password"]


def routes(directory: Path = DASHBOARD_DIR) -> list[Router | HTTPRouteHandler]:
    """The static route at `/`, or none when the directory is not shipped (a slim image)."""
    index = directory / "index.html"
    if not index.is_file():
        return []

    @get(EMAIL_LINK_PATHS, include_in_schema=False, name="dashboard-email-link", sync_to_thread=False)
    def email_link() -> Response[bytes]:
        # No caching: the URL carries a single-use token (every answer has `Referrer-Policy: no-referrer`).
        headers = {"cache-control": "no-store"}
        return Response(index.read_bytes(), media_type=MediaType.HTML, headers=headers)

    return [
        email_link,
        create_static_files_router(
            path="/",
            directories=[directory],
            html_mode=True,  # `/` answers index.html
            include_in_schema=False,
            name="dashboard",
            cache_control=None,
        ),
    ]
