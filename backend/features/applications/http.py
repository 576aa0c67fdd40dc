"""HTTP routes of applications: parse, call the service, shape the answer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, Reference, RequestBody, Schema
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_201_CREATED, HTTP_304_NOT_MODIFIED

from backend import errors
from backend.features.applications import csv_io, job_import, schemas
from backend.features.applications.service import (
    ApplicationService,
    cache_namespace,
    list_cache_key,
    one_cache_key,
    stored_answer,
)
from backend.platform.http import auth, idempotency, pagination, params, problems
from backend.platform.http.identity import Principal
from backend.platform.http.verified import require_verified_email

MAX_IMPORT_BYTES = 5 * 1024 * 1024
# An import's body: a page of at most JOB_FETCH_MAX_BYTES (2 MB by default) as a JSON string, whose
# escapes may double it. Past this the body is refused unread (413); below it the service enforces the
# setting exactly (413).
IMPORT_URL_BODY_LIMIT = 8 * 1024 * 1024
# A stored job page is served as HTML under a policy of its own: `sandbox` gives it an opaque origin
# and no scripts, forms, popups or plugins, and nothing is loaded from anywhere (no tracking pixel of
# the board learns it was viewed); the api's own policy still applies beside it.
SNAPSHOT_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'self'"


def provide_application_service(
    request: Request[Any, Any, Any], principal: NamedDependency[Principal]
) -> ApplicationService:
    """Takes `principal` so that it resolves after it: Litestar resolves independent dependencies
    concurrently in an anyio task group (~10% of the CPU of a cached list request, measured);
    a chain resolves inline. Every route of this controller needs the principal anyway."""
    state = request.app.state
    return ApplicationService(
        state.cache,
        state.publisher,
        principal.prefetched,
        public_url=state.settings.app.public_url,
        envelope=state.envelope,
        store=state.store,
    )


def _list_entry(request: Request[Any, Any, Any], user_id: uuid.UUID) -> tuple[str, str]:
    """The cached page a list request reads, fetched with the session check (web/auth.py)."""
    return cache_namespace(user_id), list_cache_key(request.scope["query_string"])


def _one_entry(request: Request[Any, Any, Any], user_id: uuid.UUID) -> tuple[str, str]:
    return cache_namespace(user_id), one_cache_key(request.path_params["application_id"])


async def _answer_from_cache(request: Request[Any, Any, Any]) -> Response[bytes] | None:
    """`before_request` of the cached reads: a hit, fetched with the session check, is answered
    here, before Litestar parses the query and resolves the handler's dependencies (a hit exists
    only for a query that was valid when it was stored). A miss goes on to the handler, whose
    `principal` is the one authenticated here."""
    found = stored_answer((await auth.provide_principal(request)).prefetched)
    return _cached_json(request, found) if found is not None else None


def _cached_read(entry: Any) -> dict[str, Any]:
    """Route arguments of a read answered from the cache: `entry(request, user_id)` names the
    cached answer (web/auth.py `cache_read`), and a hit is served by `_answer_from_cache`."""
    return {"opt": {"cache_read": entry}, "before_request": _answer_from_cache}


def _json_spec(struct: type) -> ResponseSpec:
    """OpenAPI for a handler that returns pre-encoded (cached) JSON of `struct`, with an ETag."""
    return ResponseSpec(
        data_container=struct, description="OK (strong ETag; 304 on If-None-Match)", generate_examples=False
    )


CSV = "text/csv"
CSV_EXAMPLE = "company,role,status,tags\r\nAnalytical Engines,Analyst,applied,remote|python\r\n"


@dataclass
class CsvImportOperation(Operation):
    """The import's OpenAPI: a `text/csv` body (the handler reads it raw), and a 422 that is either
    problem details (the CSV as a whole) or the ImportReport of every rejected row (JSON)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description=(
                "CSV in the export's format: UTF-8, a header line with at least `company` and `role`, "
                f"at most {csv_io.MAX_ROWS} rows and {MAX_IMPORT_BYTES // (1024 * 1024)} MB (413 past that)"
            ),
            content={CSV: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING), example=CSV_EXAMPLE)},
        )
        refused = (self.responses or {}).get("422")
        if refused is not None and not isinstance(refused, Reference) and refused.content is not None:
            report = Reference(ref="#/components/schemas/ImportReport")
            refused.content["application/json"] = OpenAPIMediaType(schema=report)
            refused.description = "Invalid input: problem details, or (JSON) the report of every rejected row"


def _snapshot_spec() -> ResponseSpec:
    return ResponseSpec(
        data_container=str,
        media_type="text/html",
        description=(
            "The posting's page as it was imported (UTF-8 HTML), under `Content-Security-Policy: sandbox; "
            "default-src 'none'`: its scripts never run and it loads nothing"
        ),
        generate_examples=False,
    )


def _csv_spec() -> ResponseSpec:
    """OpenAPI of the CSV export: `text/csv` (UTF-8), one header line then one line per application."""
    return ResponseSpec(
        data_container=str,
        media_type=CSV,
        description="CSV (UTF-8): a header line, then one line per application with its timeline as JSON",
        generate_examples=False,
    )


def _cached_json(request: Request[Any, Any, Any], body_and_etag: tuple[bytes, str]) -> Response[bytes]:
    body, etag = body_and_etag
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


class ApplicationController(Controller):
    path = "/api/v1/applications"
    tags = ["applications"]
    security = auth.BEARER_SECURITY
    dependencies = {
        "principal": Provide(auth.provide_principal),
        "applications": Provide(provide_application_service, sync_to_thread=False),
    }

    @post(
        "/",
        operation_id="createApplication",
        status_code=HTTP_201_CREATED,
        responses=problems.problem_responses(401, 403),
        **idempotency.idempotent(),
    )
    async def create(
        self,
        data: JSONBody[schemas.ApplicationCreate],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> schemas.ApplicationOut:
        """Track a new application; its timeline starts with the initial status."""
        return await applications.create(principal.user.id, data)

    @get(
        "/",
        operation_id="listApplications",
        responses={**problems.problem_responses(401), 200: _json_spec(schemas.ApplicationPage)},
        **_cached_read(_list_entry),
    )
    async def list_applications(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
        status: Annotated[
            str | None,
            QueryParameter(pattern=schemas.STATUS_FILTER_PATTERN, description="Statuses, comma-separated"),
        ] = None,
        q: FromQuery[str | None] = None,
        tag: FromQuery[str | None] = None,
        sort: FromQuery[schemas.Sort] = "-updated_at",
        limit: params.Limit = pagination.DEFAULT_LIMIT,
        cursor: params.Cursor = None,
    ) -> Response[bytes]:
        """A page of applications (`status` may list several, comma-separated). Strong ETag; 304 on match."""
        page = await applications.list_json(
            principal.user.id,
            status=status,
            tag=tag,
            q=q,
            sort=sort,
            limit=limit,
            cursor=cursor,
            cache_key=list_cache_key(request.scope["query_string"]),
        )
        return _cached_json(request, page)

    @get("/stats", operation_id="applicationStats", responses=problems.problem_responses(401))
    async def stats(
        self, principal: NamedDependency[Principal], applications: NamedDependency[ApplicationService]
    ) -> schemas.ApplicationStats:
        """The funnel: counts per status, response rate, median days to a first response, per source."""
        return await applications.stats(principal.user.id)

    @get("/analytics", operation_id="applicationAnalytics", responses=problems.problem_responses(401))
    async def analytics(
        self,
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
        from_: Annotated[
            str | None,
            QueryParameter(
                name="from",
                pattern=schemas.DAY_PATTERN,
                description="First day (YYYY-MM-DD, in the user's time zone) an application started; open if absent",
            ),
        ] = None,
        to: Annotated[
            str | None,
            QueryParameter(
                pattern=schemas.DAY_PATTERN,
                description="Last day (YYYY-MM-DD, included) an application started; open if absent",
            ),
        ] = None,
    ) -> schemas.ApplicationAnalytics:
        """Outcomes: the status flow of the timelines (Sankey nodes and links) and the funnel applied ->
        answered -> interview -> offer, overall and by resume version, source, match band and ISO week,
        of the applications that started in the period (`applied_at`, else `created_at`)."""
        return await applications.analytics(principal.user.id, from_, to)

    @get(
        "/export.csv",
        operation_id="exportApplicationsCsv",
        media_type=CSV,  # Litestar adds `; charset=utf-8` to a text/* type (once)
        responses={**problems.problem_responses(401), 200: _csv_spec()},
    )
    async def export_csv(self, principal: NamedDependency[Principal]) -> Stream:
        """Every application with its timeline, as CSV (streamed; formula-like cells are neutralised)."""

        async def rows() -> AsyncIterator[str]:
            async for line in csv_io.export_rows(principal.user.id):
                yield line

        return Stream(
            rows(),
            media_type=CSV,
            headers={"Content-Disposition": 'attachment; filename="applications.csv"'},
        )

    @post(
        "/import",
        operation_id="importApplicationsCsv",
        status_code=HTTP_201_CREATED,
        responses=problems.problem_responses(401, 403, 413, 415),
        request_max_body_size=MAX_IMPORT_BYTES,
        operation_class=CsvImportOperation,
    )
    async def import_csv(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> Response[schemas.ImportReport]:
        """Import CSV in the export format (`Content-Type: text/csv`): all rows or none; 422 lists
        every rejected row with its errors."""
        if not request.headers.get("content-type", "").startswith("text/csv"):
            raise errors.UnsupportedMediaType("Send the CSV as the body with Content-Type: text/csv")
        try:
            text = (await request.body()).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise errors.Unprocessable("The CSV must be UTF-8", slug="invalid-csv") from None
        rows, rejected = csv_io.parse(text)
        if rejected:
            report = schemas.ImportReport(imported=0, rejected=rejected)
            return Response(report, status_code=422)
        ids = await csv_io.import_rows(principal.user.id, rows)
        await applications.imported(principal.user.id, ids)
        return Response(schemas.ImportReport(imported=len(ids), rejected=[]), status_code=HTTP_201_CREATED)

    @post(
        "/import-url",
        operation_id="importApplicationFromUrl",
        status_code=HTTP_201_CREATED,
        responses=problems.problem_responses(401, 403, 413, 429),
        request_max_body_size=IMPORT_URL_BODY_LIMIT,
        **idempotency.idempotent(),
    )
    async def import_from_url(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.ApplicationImport],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> schemas.ImportedApplication:
        """Create an application from a job posting's URL: the api fetches the page (or reads `html`, the
        page as the browser shows it, for postings behind a sign-in), reads role, company, location,
        workplace, salary and description from it (schema.org data, the board's own markup, the text),
        and keeps the page. A page that cannot be fetched or read: 422 `job-page-unreadable` or
        `job-posting-not-found`, with the `url` in the problem; nothing is created."""
        state = request.app.state
        require_verified_email(principal, state.settings.auth)
        importer = job_import.JobImport(
            applications,
            state.store,
            state.envelope,
            state.job_fetch_policy,
            redis=state.redis,
            imports_per_hour=state.settings.outbound.job_imports_per_hour,
        )
        return await importer.run(principal.user.id, data)

    @get(
        "/{application_id:uuid}/snapshot",
        operation_id="getApplicationSnapshot",
        media_type="text/html",
        responses={**problems.problem_responses(401, 404), 200: _snapshot_spec()},
    )
    async def snapshot(
        self,
        request: Request[Any, Any, Any],
        application_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
    ) -> Response[bytes]:
        """The job posting's page an imported application was read from, as it was then (sandboxed HTML)."""
        page = await job_import.snapshot_page(request.app.state.store, principal.user.id, application_id)
        headers = {
            "Content-Security-Policy": SNAPSHOT_CSP,
            "Content-Disposition": 'inline; filename="job-posting.html"',
            "Cache-Control": "private, no-store",
        }
        return Response(page, media_type="text/html", headers=headers)  # Litestar adds `; charset=utf-8`

    @get(
        "/{application_id:uuid}",
        operation_id="getApplication",
        responses={**problems.problem_responses(401, 404), 200: _json_spec(schemas.ApplicationOut)},
        **_cached_read(_one_entry),
    )
    async def get_application(
        self,
        request: Request[Any, Any, Any],
        application_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> Response[bytes]:
        """One application. Strong ETag; 304 on `If-None-Match`."""
        return _cached_json(request, await applications.get_json(principal.user.id, application_id))

    @patch(
        "/{application_id:uuid}", operation_id="updateApplication", responses=problems.problem_responses(401, 403, 404)
    )
    async def update_application(
        self,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[schemas.ApplicationUpdate],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> schemas.ApplicationOut:
        """Change fields; a status change is added to the timeline (`status_note` annotates it)."""
        return await applications.update(principal.user.id, application_id, data)

    @delete(
        "/{application_id:uuid}", operation_id="deleteApplication", responses=problems.problem_responses(401, 403, 404)
    )
    async def delete_application(
        self,
        application_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> None:
        await applications.delete(principal.user.id, application_id)

    @get(
        "/{application_id:uuid}/events",
        operation_id="listApplicationEvents",
        responses=problems.problem_responses(401, 404),
    )
    async def events(
        self,
        application_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> list[schemas.ApplicationEventOut]:
        """The status timeline, oldest first."""
        return await applications.timeline(principal.user.id, application_id)

    @post(
        "/{application_id:uuid}/ghosting/confirm",
        operation_id="confirmGhosting",
        status_code=200,
        responses=problems.problem_responses(401, 403, 404, 409),
    )
    async def confirm_ghosting(
        self,
        application_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> schemas.ApplicationOut:
        """No answer came: move an application in `applied` to `ghosted` (the answer to a
        `ghosting_suggested` notification, whose suggestion is marked read; also without one).
        Confirming again is a no-op; an application elsewhere in the pipeline: 409."""
        return await applications.decide_ghosting(principal.user.id, application_id, "confirmed")

    @post(
        "/{application_id:uuid}/ghosting/dismiss",
        operation_id="dismissGhosting",
        status_code=200,
        responses=problems.problem_responses(401, 403, 404, 409),
    )
    async def dismiss_ghosting(
        self,
        application_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> schemas.ApplicationOut:
        """Keep waiting: an application in `applied` is not suggested as ghosted again until it is
        re-applied (its suggestion, if any, is marked read). The application is unchanged; an
        application elsewhere in the pipeline: 409."""
        return await applications.decide_ghosting(principal.user.id, application_id, "dismissed")
