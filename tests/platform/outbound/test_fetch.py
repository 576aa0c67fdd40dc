"""Fetching a user-supplied URL (backend/platform/outbound/fetch.py) against real HTTP servers on
loopback: the page, and every way a URL could reach where it must not or hold the server up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
import pytest_asyncio
from litestar import Litestar, Response, get
from litestar.response import Redirect, Stream

from backend.platform.outbound.fetch import FetchRefused, Policy, fetch
from backend.settings import Settings
from tests.plugins.services import served

PAGE = b"<html><head><title>Data Engineer</title></head><body><h1>Data Engineer</h1></body></html>"


@get("/job", sync_to_thread=False)
def job() -> Response[bytes]:
    return Response(PAGE, media_type="text/html; charset=utf-8")


@get("/moved", sync_to_thread=False)
def moved() -> Redirect:
    return Redirect("/job")


@get("/to-loopback/{port:int}", sync_to_thread=False)
def to_loopback(port: int) -> Redirect:
    return Redirect(f"http://127.0.0.2:{port}/job")  # loopback, not the trusted test address


@get("/loop", sync_to_thread=False)
def loop() -> Redirect:
    return Redirect("/loop")


@get("/pdf", sync_to_thread=False)
def pdf() -> Response[bytes]:
    return Response(b"%PDF-1.7", media_type="application/pdf")


@get("/endless")
async def endless() -> Stream:
    async def chunks() -> AsyncIterator[bytes]:
        while True:
            yield b"<p>" + b"x" * 65536
            await asyncio.sleep(0)

    return Stream(chunks(), media_type="text/html")


@get("/slow")
async def slow() -> Stream:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"<p>x</p>"
            await asyncio.sleep(0.2)

    return Stream(chunks(), media_type="text/html")


@pytest_asyncio.fixture
async def board() -> AsyncIterator[str]:
    async with served(Litestar([job, moved, to_loopback, loop, pdf, endless, slow])) as url:
        yield url


def _named(address: str):
    async def resolver(host: str, port: int) -> Sequence[str]:
        return [address]

    return resolver


def _policy(**changes: object) -> Policy:
    """Loopback trusted (the test's server), every other private address refused, short limits."""
    base = {"trusted": frozenset({"127.0.0.1"}), "timeout_seconds": 3.0, "max_bytes": 1_000_000}
    return Policy(**{**base, **changes})  # type: ignore[arg-type]


async def test_a_page_is_fetched_and_redirects_are_followed(board: str) -> None:
    page = await fetch(f"{board}/job", _policy())
    assert (page.status, page.body) == (200, PAGE) and "Data Engineer" in page.text
    assert (await fetch(f"{board}/moved", _policy())).url == f"{board}/job"


async def test_the_servers_own_network_is_refused(board: str) -> None:
    port = board.rsplit(":", 1)[1]
    for url in (f"{board}/job", "http://localhost/job", "http://169.254.169.254/latest/meta-data/", "http://[::1]/"):
        with pytest.raises(FetchRefused, match="cannot be fetched"):
            await fetch(url, Policy())
    with pytest.raises(FetchRefused, match=r"127\.0\.0\.2"):
        await fetch(f"{board}/to-loopback/{port}", _policy())  # a redirect into the server's network
    with pytest.raises(FetchRefused, match=r"10\.0\.0\.7"):  # a name that resolves to a private address
        await fetch("http://jobs.example/job", _policy(resolver=_named("10.0.0.7")))


async def test_a_dns_answer_that_changes_after_the_check_changes_nothing(board: str) -> None:
    """The request goes to the address that was checked: a second lookup is never made."""
    port = board.rsplit(":", 1)[1]
    answers = iter([["127.0.0.1"], ["10.0.0.9"]])
    lookups: list[str] = []

    async def rebinding(host: str, _port: int) -> Sequence[str]:
        lookups.append(host)
        return next(answers)

    page = await fetch(f"http://jobs.example:{port}/job", _policy(resolver=rebinding))
    assert page.body == PAGE and lookups == ["jobs.example"]


async def test_endless_slow_looping_and_non_html_answers_are_cut_off(board: str) -> None:
    with pytest.raises(FetchRefused, match="larger than"):
        await fetch(f"{board}/endless", _policy())
    with pytest.raises(FetchRefused, match="did not arrive within 1 s"):
        await fetch(f"{board}/slow", _policy(timeout_seconds=1.0))
    with pytest.raises(FetchRefused, match="more than 5 redirects"):
        await fetch(f"{board}/loop", _policy())
    with pytest.raises(FetchRefused, match="not a web page"):
        await fetch(f"{board}/pdf", _policy())
    for url in (
        "ftp://example.com/job",
        "file:///etc/passwd",
        "http://user:pw@example.com/",
        "http://example.com:99999/",
        "http://[oops/",
        "http://[::1/job",
    ):
        with pytest.raises(FetchRefused):
            await fetch(url, _policy())


async def test_the_settings_make_the_job_posting_policy(board: str) -> None:
    policy = Policy.for_job_postings(Settings.from_env({"JOB_FETCH_ALLOW_PRIVATE": "true"}).outbound)
    assert (await fetch(f"{board}/job", policy)).body == PAGE  # development and tests: loopback allowed
    default = Policy.for_job_postings(Settings.from_env({}).outbound)
    assert (default.allow_private, default.max_bytes, default.timeout_seconds) == (False, 2_000_000, 10.0)
    with pytest.raises(FetchRefused, match="cannot be fetched"):
        await fetch(f"{board}/job", default)
