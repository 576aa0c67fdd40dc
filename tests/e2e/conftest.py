"""Browser tests: Debian's Chromium driven headless by Playwright against real processes (an api
served by uvicorn, a taskiq worker) on the session's Postgres and Redis.

- `browser_path` the Chromium binary (`E2E_CHROMIUM`, default /usr/bin/chromium). Missing: the tests
  fail (`make test` installs Debian's chromium first). Never `playwright install`.
- `stack` an api on a fixed port (so it can be restarted at the same URL), a worker, and a mailbox
  (`stack.mailbox`: the dev mail catcher on a free port, which the worker sends every email to).
  A test module overrides `stack_env` to give both processes more settings (e.g. a model endpoint).
- `page` a fresh browser page (uncaught script errors land in `page_errors`; every Content Security
  Policy violation lands in `csp_violations`, which must be empty when the test ends); when the test fails,
  its screenshot, HTML, console and the processes' logs are written to `E2E_ARTIFACTS_DIR`
  (default `test-artifacts/e2e/`).
- `job_site` a loopback web server with a job posting in schema.org JSON-LD (`/job.html`) and a page
  with nothing on it (`/empty.html`).
- `shots` where the journey's screenshots go: `E2E_SCREENSHOTS_DIR` (`make screenshots` sets
  frontend_contract/screenshots), else a temporary directory.
"""

from __future__ import annotations

import os
import re
import threading
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from backend.devtools.embedded_services import free_port
from backend.devtools.mail.catcher import Catcher
from tests.e2e.stack import Stack
from tests.plugins.processes import Api, Spawn, stop_api, wait_ready
from tests.support import ROOT, SessionServices, settings_env

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A test-only worker module (named, never imported here): paces the parse so progress is visible.
PACED_PARSE_MODULE = "tests.workers.paced_parse"


@pytest.fixture(scope="session")
def browser_path() -> str:
    path = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).is_file():
        message = f"no Chromium at {path}: apt-get install -y chromium (or set E2E_CHROMIUM)"
        pytest.fail(message)  # never skipped: `make test` installs it (Makefile target `browser`)
    return path


@pytest_asyncio.fixture(scope="session")
async def browser(browser_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
def stack_env() -> dict[str, str]:
    """Settings the stack's api and worker get on top of the defaults below."""
    return {}


@pytest_asyncio.fixture
async def stack(
    services: SessionServices,
    db: None,
    spawn: Spawn,
    tmp_path: Path,
    stack_env: dict[str, str],
) -> AsyncIterator[Stack]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    mailbox = Catcher(directory=tmp_path / "mail").start()  # as `make dev`'s mail catcher
    env = settings_env(
        services,
        PUBLIC_URL=url,
        ALLOWED_ORIGINS=url,  # the dashboard is served by the api: its socket's Origin is the api's
        REALTIME_PING_INTERVAL_SECONDS="5",
        AI_BUILTIN_TOKEN_DELAY_MS="20",  # a cover letter streams for a few seconds: watchable, cancellable
        PACED_PARSE_SECONDS="0.4",  # the progress bar is seen moving
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(mailbox.port),
        **stack_env,
    )
    worker = spawn("backend.entrypoints.worker", env, "--workers", "1", "--tasks-module", PACED_PARSE_MODULE)
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    no_api: Api = None  # type: ignore[assignment]  # started just below
    running = Stack(services, port, env, api=no_api, worker=worker, log_dir=log_dir, mailbox=mailbox)
    running.api = running.start_api()
    try:
        await wait_ready(running.api)
        yield running
    finally:
        stop_api(running.api)
        mailbox.stop()


JOB_PAGE = """<!doctype html><html><head><title>Platform Engineer - Northwind Labs</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "JobPosting",
 "title": "Platform Engineer", "hiringOrganization": {"@type": "Organization", "name": "Northwind Labs"},
 "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "addressLocality": "Lisbon",
 "addressCountry": "PT"}}, "description": "<p>Run our Kubernetes platform.</p><ul><li>Python</li></ul>",
 "baseSalary": {"@type": "MonetaryAmount", "currency": "EUR", "value": {"@type": "QuantitativeValue",
 "minValue": 60000, "maxValue": 75000, "unitText": "YEAR"}}}</script></head>
<body><h1>Platform Engineer</h1><p>Run our Kubernetes platform.</p></body></html>"""
EMPTY_PAGE = "<!doctype html><html><head></head><body></body></html>"


@pytest.fixture
def job_site(tmp_path: Path) -> Iterator[str]:
    """A loopback web server with a job posting (`/job.html`) and a page with nothing on it."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "job.html").write_text(JOB_PAGE)
    (site / "empty.html").write_text(EMPTY_PAGE)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    configured = os.environ.get("E2E_SCREENSHOTS_DIR")
    directory = Path(configured) if configured else tmp_path / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught exceptions and unhandled rejections of the page's scripts."""
    return []


@pytest.fixture
def csp_violations() -> list[str]:
    """Every Content Security Policy violation the page reported (`securitypolicyviolation` events and
    Chromium's console lines): the `page` fixture fails the test unless it is empty at the end."""
    return []


# Runs before the page's own scripts (injected by the browser, not subject to the page's CSP).
_REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${where}`);
});
"""


@pytest_asyncio.fixture
async def page(
    browser: Browser,
    stack: Stack,
    page_errors: list[str],
    csp_violations: list[str],
    request: pytest.FixtureRequest,
) -> AsyncIterator[Page]:
    # A fixed locale and zone: the screenshots change only when the dashboard does (dates aside).
    context = await browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB", timezone_id="UTC")
    await context.expose_function("__cspViolation", lambda violation: csp_violations.append(violation))
    await context.add_init_script(_REPORT_CSP)
    opened = await context.new_page()
    console: list[str] = []
    opened.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    opened.on(
        "console",
        lambda message: csp_violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    opened.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    opened.on("pageerror", lambda error: page_errors.append(str(error)))
    elsewhere: list[str] = []  # the dashboard loads nothing from another host (no CDN, no fonts)
    opened.on("request", lambda sent: None if _local(sent.url) else elsewhere.append(sent.url))
    yield opened
    assert not elsewhere, f"the page asked other hosts: {elsewhere}"
    assert not csp_violations, f"the page broke its Content Security Policy: {sorted(set(csp_violations))[:5]}"
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        base = _artifact_base(request.node.name)
        await opened.screenshot(path=f"{base}.png", full_page=True)
        _save_artifacts(base, await opened.content(), console, stack.logs())
    await context.close()


def _local(url: str) -> bool:
    parsed = urllib.parse.urlsplit(url)
    return parsed.scheme in {"data", "blob", "about"} or parsed.hostname in {"127.0.0.1", "localhost"}


def _artifact_base(test_name: str) -> Path:
    """`E2E_ARTIFACTS_DIR/<test name>` (the directory created), the stem of a failed test's artefacts."""
    directory = Path(os.environ.get("E2E_ARTIFACTS_DIR", ROOT / "test-artifacts" / "e2e"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)


def _save_artifacts(base: Path, html: str, console: list[str], logs: str) -> None:
    Path(f"{base}.html").write_text(html)
    Path(f"{base}.console.log").write_text("\n".join(console))
    Path(f"{base}.processes.log").write_text(logs)
    print(f"\nbrowser test failed: screenshot, page, console and process logs at {base}.*")
