"""The composition root of the web process: `create_app(settings)` builds everything.

Run with `uvicorn --factory backend.entrypoints.api:app_from_env` (reads the environment once, at start).
"""

from __future__ import annotations

import sys

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from backend.features.accounts import http as account_controllers
from backend.features.admin import http as admin_controllers
from backend.features.analyses import http as analysis_controllers
from backend.features.applications import http as application_controllers
from backend.features.calendar import http as calendar_controllers
from backend.features.contacts import http as contact_controllers
from backend.features.cover_letters import http as cover_letter_controllers
from backend.features.interviews import http as interview_controllers
from backend.features.notifications import http as notification_controllers
from backend.features.resumes import http as resume_controllers
from backend.features.resumes import import_http as resume_import_controllers
from backend.lifespan import lifespan_for
from backend.platform import redis_client
from backend.platform.http import (
    auth,
    dashboard,
    health,
    openapi,
    pagination,
    problems,
    request_context,
    security_headers,
)
from backend.platform.http.metrics import RouteMetricsMiddleware, unrouted_counter
from backend.platform.logging import configure_logging
from backend.platform.outbound.fetch import Policy
from backend.platform.realtime import http as realtime_controllers
from backend.settings import Settings, SettingsError

API_VERSION = "1.0.0"
API_DESCRIPTION = (
    "Rules every operation keeps, beside what each schema declares: a JSON body with a field its schema "
    "does not list is refused (422); no text may contain U+0000 (NUL): a body, query or path with one is "
    "refused with 422 naming the field; dates sent are RFC 3339 date-times in the years 1900-2199 (422 "
    "naming the field otherwise), and dates answered always carry their offset. Errors are problem details "
    "(`application/problem+json`, RFC 9457)."
)


def _dev_routes(settings: Settings) -> list[type]:
    """The local mailbox of `make dev`: imported only in development, so devtools never ship."""
    if settings.app.env != "development":
        return []
    from backend.devtools.mail.http import DevMailboxController

    return [DevMailboxController]


class MetricsController(PrometheusController):
    """Prometheus exposition at /metrics (request count and latency by route template)."""

    include_in_schema = False


def create_app(settings: Settings) -> Litestar:
    configure_logging(json=settings.app.log_json, level=settings.app.log_level)
    redis_client.configure(settings.redis)
    prometheus = PrometheusConfig(
        app_name="career_copilot",
        prefix="career_copilot",
        group_path=True,
        exclude=["/metrics"],
        scopes={ScopeType.HTTP},  # websockets are counted by the realtime metrics, not as requests
        middleware_class=RouteMetricsMiddleware,  # the plugin's, with its lookups done once per route
    )
    app = Litestar(
        route_handlers=[
            account_controllers.AuthController,
            account_controllers.MeController,
            admin_controllers.AdminController,
            application_controllers.ApplicationController,
            interview_controllers.InterviewController,
            contact_controllers.ContactController,
            calendar_controllers.CalendarFeedSettingsController,
            calendar_controllers.CalendarFeedController,
            resume_controllers.ResumeController,
            resume_import_controllers.ResumeImportController,
            cover_letter_controllers.CoverLetterController,
            analysis_controllers.AnalysisController,
            analysis_controllers.VersionAnalysisController,
            realtime_controllers.TicketController,
            realtime_controllers.realtime_socket,
            notification_controllers.NotificationController,
            health.HealthController,
            MetricsController,
            # The local mailbox of `make dev`: never outside development.
            *_dev_routes(settings),
            *dashboard.routes(),  # the reference dashboard at `/` (frontend_contract/dashboard)
        ],
        dependencies={
            "settings": Provide(auth.provide_settings, sync_to_thread=False),
            "account_service": Provide(account_controllers.provide_account_service, sync_to_thread=False),
            "publisher": Provide(auth.provide_publisher, sync_to_thread=False),
        },
        # Idempotency-Key's middleware is on the create routes only (web/idempotency.py `idempotent()`)
        # request id, access log and the count of unrouted requests wrap the whole app (below)
        middleware=[prometheus.middleware],
        request_class=request_context.Request,  # bad JSON, NUL characters: 4xx before any handler
        exception_handlers=problems.EXCEPTION_HANDLERS,
        lifespan=[lifespan_for(settings)],
        cors_config=CORSConfig(
            allow_origins=[*settings.app.allowed_origins, *(settings.app.extension_origins or ())],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-None-Match", "X-Request-ID"],
            expose_headers=["ETag", "Retry-After", "X-Request-ID", "Idempotent-Replayed"],
            allow_credentials=False,
        ),
        openapi_config=OpenAPIConfig(
            title="Career Copilot API",
            version=API_VERSION,
            description=API_DESCRIPTION,
            path="/schema",
            components=Components(
                security_schemes={"BearerAuth": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
            ),
        ),
        plugins=[openapi.CompleteStructSchemaPlugin()],  # the OpenAPI declares what msgspec enforces
        request_max_body_size=settings.app.max_body_bytes,
        logging_config=None,  # ours (structlog), configured above; Litestar's would replace it
        debug=False,
    )
    app.state.settings = settings
    app.state.job_fetch_policy = Policy.for_job_postings(settings.outbound)  # tests may map hosts (resolver)
    pagination.configure(settings.encryption.keys, settings.encryption.active_kid)  # signs the list cursors
    request_context.wrap(
        app,
        on_unrouted=unrouted_counter(prometheus),
        security=security_headers.SecurityHeaders(settings.app),  # CSP, nosniff, HSTS, no-store (every answer)
    )
    return app


def app_from_env() -> Litestar:
    """uvicorn factory: settings from the environment, read when the process starts. A bad
    environment ends the process with one line naming the variable (exit 2), not a traceback."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"backend.entrypoints.api: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return create_app(settings)
