"""HTTP routes of the calendar feed: turning it on (a new private URL), off, and the feed itself,
which a calendar app fetches with no bearer token (the URL's token is the credential)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.status_codes import HTTP_201_CREATED

from backend.features.calendar import schemas
from backend.features.calendar import service as feeds
from backend.platform.http import auth, problems
from backend.platform.http.identity import Principal


class CalendarFeedSettingsController(Controller):
    path = "/api/v1/me/calendar-feed"
    tags = ["calendar"]
    security = auth.BEARER_SECURITY
    dependencies = {"principal": Provide(auth.provide_principal)}

    @post(
        "/",
        operation_id="createCalendarFeed",
        status_code=HTTP_201_CREATED,
        responses=problems.problem_responses(401, 403),
    )
    async def create(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> schemas.CalendarFeedCreated:
        """A new private URL of the user's iCalendar feed (interviews and follow-ups), shown once. Any
        previous URL stops working."""
        return await feeds.create(principal.user.id, request.app.state.settings.app.public_url)

    @get("/", operation_id="getCalendarFeed", responses=problems.problem_responses(401))
    async def status(self, principal: NamedDependency[Principal]) -> schemas.CalendarFeedStatus:
        """Whether the feed is on, since when, and when a calendar last fetched it (its URL is not kept)."""
        return await feeds.status(principal.user.id)

    @delete("/", operation_id="deleteCalendarFeed", responses=problems.problem_responses(401, 403))
    async def revoke(self, principal: NamedDependency[Principal]) -> None:
        """Turn the feed off: its URL answers 404 from now on."""
        await feeds.revoke(principal.user.id)


def _feed_spec() -> ResponseSpec:
    return ResponseSpec(
        data_container=str,
        media_type=feeds.MEDIA_TYPE,
        description="iCalendar (RFC 5545, UTF-8): the user's interviews and follow-up dates",
        generate_examples=False,
    )


class CalendarFeedController(Controller):
    path = feeds.PATH
    tags = ["calendar"]

    @get(
        "/{feed:str}",
        operation_id="getCalendarFeedIcs",
        media_type=feeds.MEDIA_TYPE,
        responses={**problems.problem_responses(404), 200: _feed_spec()},
    )
    async def feed(
        self,
        request: Request[Any, Any, Any],
        feed: Annotated[str, Parameter(description="`<token>.ics` from the URL that POST /me/calendar-feed answered")],
    ) -> Response[bytes]:
        """The feed a calendar app subscribes to. No bearer token: the URL's token is the credential;
        an unknown, revoked or replaced one answers 404."""
        state = request.app.state
        user_id = await feeds.owner(feed)
        body = await feeds.render(state.envelope, user_id, state.settings.app.public_url)
        return Response(
            body,
            media_type=feeds.MEDIA_TYPE,  # Litestar adds `; charset=utf-8` to a text/* type
            headers={
                "Content-Disposition": 'inline; filename="career-copilot.ics"',
                "Cache-Control": "private, max-age=300",
                "Referrer-Policy": "no-referrer",
            },
        )
