"""`make fuzz`: Schemathesis against the real api, as a signed-in user, checking that the published
contract (`/schema/openapi.json`) is what the api does.

    uv run python ops/fuzz.py [--seconds 240] [--seed N] [--report-dir DIR] [-- more `st run` options]

1. Services: the PostgreSQL and Redis of FUZZ_DATABASE_URL and FUZZ_REDIS_URL (a scratch database:
   the run writes rows into it), or embedded ones started for the run in a temporary directory;
   the database is migrated with the real `piccolo` CLI. Emails go to a mail catcher of the run.
2. The api served by uvicorn as `make api` serves it, and a worker (parsing, letters, emails).
3. Through the API: a user registered, given the admin role (the admin routes are tested too) and
   signed in, rows of each kind (an application, a parsed resume, a cover letter, an analysis, a
   personal access token, a notification), and what only the api hands out: a refresh token of
   another user, and emailed verification and reset tokens of throwaway users (from the mail
   catcher). Their ids are the path parameters of the run; the hooks (ops/fuzz_hooks.py) make the
   positive cases meet the rules a schema cannot state (the user's password, a token handed out,
   a readable PDF...), changing only what such a rule is about.
4. `st run` over the schema with `Authorization: Bearer <token>`: phases examples, coverage and
   fuzzing; checks not_a_server_error, status_code_conformance, content_type_conformance and
   response_schema_conformance; FUZZ_SECONDS (default 240) seconds. A failure, a traceback in the
   api's log, or a warning that schema and api disagree (`validation_mismatch`: an operation
   refused the data generated from its schema; `low_valid_rate`) ends it with exit status 1.

Left out: `DELETE /me` (it would erase the fuzz user, its rows and the session mid-run; its input
checks are in tests/entrypoints/api/test_bad_input.py). `POST /me/password` stays: a change that
goes through is set back by the hooks, and keeps the session. The run raises the sign-in limits
(wrong passwords come from every generated case) and the AI request limits, and its access token
lives an hour. NUL characters are not generated: the api refuses U+0000 in any text (422 naming
the field), a rule its OpenAPI states once (info.description), not as a pattern on every string.
docs/fuzzing.md has the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.devtools import launcher  # noqa: E402
from backend.devtools.embedded_services import EmbeddedPostgres, EmbeddedRedis, free_port  # noqa: E402
from backend.devtools.mail.catcher import Catcher  # noqa: E402
from ops.fuzz_hooks import pdf  # noqa: E402

DEFAULT_SECONDS = 240
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
PHASES = "examples,coverage,fuzzing"
EXCLUDED = {"deleteMe": "would erase the fuzz user mid-run"}
IMPORTED_PAGE = (
    '<html><head><title>Analyst | Analytical Engines</title><meta property="og:site_name" content="Analytical Engines">'
    "</head><body><article><p>Python, SQL, statistics.</p></article></body></html>"
)
EMAIL = "fuzz@example.com"
PASSWORD = "fuzzing passphrase 1"  # noqa: S105 - a throwaway local account
FAIL_ON_WARNINGS = ["validation_mismatch", "low_valid_rate"]
HOOKS = Path(__file__).with_name("fuzz_hooks.py")
NO_ROW = "00000000-0000-4000-8000-000000000000"


@contextlib.contextmanager
def services(tmp: Path) -> Iterator[tuple[str, str]]:
    """(database url, redis url): FUZZ_DATABASE_URL/FUZZ_REDIS_URL, or embedded servers for the run."""
    database_url, redis_url = os.environ.get("FUZZ_DATABASE_URL", ""), os.environ.get("FUZZ_REDIS_URL", "")
    servers: list[EmbeddedPostgres | EmbeddedRedis] = []
    try:
        if not database_url:
            pg = EmbeddedPostgres(tmp / "pg", free_port())
            pg.start()
            servers.append(pg)
            pg.create_database("fuzz")
            database_url = pg.url("fuzz")
        if not redis_url:
            redis = EmbeddedRedis(tmp / "redis", free_port(), persistent=False)
            redis.start()
            servers.append(redis)
            redis_url = redis.url(0)
        yield database_url, redis_url
    finally:
        for server in reversed(servers):
            server.stop()


def api_env(database_url: str, redis_url: str, data_dir: Path, smtp_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "ACCESS_TOKEN_TTL_SECONDS": "3600",  # outlives any run
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": "1000000",  # generated passwords are wrong
        "LOGIN_MAX_FAILURES_PER_IP": "1000000",  # every request comes from 127.0.0.1
        "LOGIN_ACCOUNT_SLOWDOWN_FAILURES": "1000000",
        "REGISTER_MAX_PER_IP": "1000000",
        "RESET_CONFIRM_MAX_PER_IP": "1000000",
        "AI_REQUESTS_PER_MINUTE": "100000",
        "AI_REQUESTS_PER_DAY": "1000000",
        "AI_DAILY_TOKEN_BUDGET": "1000000000",
        "JOB_IMPORTS_PER_HOUR": "1000000",
        "UPLOADS_PER_HOUR": "1000000",  # uploads and resume imports
        "DOCUMENT_EXPORTS_PER_HOUR": "1000000",
    }


def migrate(env: dict[str, str]) -> None:
    command = launcher.migrate_command()
    done = subprocess.run(command, cwd=ROOT, env={**env, "PICCOLO_CONF": "piccolo_conf"}, capture_output=True)  # noqa: S603
    if done.returncode != 0 or "❌".encode() in done.stdout:
        raise SystemExit(f"fuzz: migrations failed:\n{done.stdout.decode()}\n{done.stderr.decode()}")


def wait_ready(url: str, api: launcher.Process) -> None:
    try:
        api.wait_url(f"{url}/health/ready", within=60, interval=0.1)
    except launcher.NotReady:
        raise SystemExit(f"fuzz: the api did not start:\n{api.output()}") from None


class Seeder:
    """Rows and secrets made through the API, and the tokens of the emails the worker delivered."""

    def __init__(self, url: str, env: dict[str, str], mailbox: Catcher, emailed: int) -> None:
        self.url, self.env, self.mailbox, self.emailed = url, env, mailbox, emailed
        self.http = httpx.Client(base_url=url, timeout=30)

    def call(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        answer = self.http.request(method, path, **kwargs)
        if answer.status_code != expect:
            raise SystemExit(f"fuzz: seeding {method} {path}: {answer.status_code} {answer.text}")
        return answer.json() if answer.content else None

    def register(self, email: str) -> dict[str, Any]:
        """Sign up `email` and answer the user as `GET /me` shows it (sign-up answers only 202)."""
        body = {"email": email, "password": PASSWORD, "full_name": "Fuzz User"}
        self.call("POST", "/api/v1/auth/register", 202, json=body)
        access = self.login(email)["access_token"]
        me = self.http.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})
        if me.status_code != 200:
            raise SystemExit(f"fuzz: seeding GET /api/v1/me: {me.status_code} {me.text}")
        return dict(me.json())

    def login(self, email: str) -> dict[str, Any]:
        return dict(self.call("POST", "/api/v1/auth/login", 200, json={"email": email, "password": PASSWORD}))

    def wait_for(self, path: str, done: set[str]) -> dict[str, Any]:
        deadline = time.monotonic() + 90
        while (found := self.call("GET", path, 200))["status"] not in done:
            if time.monotonic() > deadline:
                raise SystemExit(f"fuzz: {path} is still {found['status']} after 90 s (see the worker log)")
            time.sleep(0.2)
        return dict(found)

    def run(self) -> dict[str, Any]:
        self.register(EMAIL)
        set_role = [sys.executable, "-m", "backend.entrypoints.manage", "set-role", EMAIL, "admin"]
        if subprocess.run(set_role, cwd=ROOT, env=self.env, capture_output=True).returncode != 0:  # noqa: S603
            raise SystemExit("fuzz: set-role failed")
        access = self.login(EMAIL)["access_token"]
        self.http.headers["Authorization"] = f"Bearer {access}"
        other = self.register("fuzz-other@example.com")  # the user the admin routes change
        self.register("fuzz-refresh@example.com")  # whose session the refresh cases rotate
        refresh = self.login("fuzz-refresh@example.com")["refresh_token"]
        throwaway = [f"fuzz-mail-{n}@example.com" for n in range(self.emailed)]
        for email in throwaway:
            self.register(email)
            self.call("POST", "/api/v1/auth/password-reset", 202, json={"email": email})

        job = {"company": "Analytical Engines", "role": "Analyst", "job_description": "Python, SQL, statistics"}
        # The application of the path parameters is imported from a page, so `/{id}/snapshot` has one to serve.
        page = {"url": "https://analytical.example/jobs/analyst", "html": IMPORTED_PAGE}
        app = self.call("POST", "/api/v1/applications/import-url", 201, json=page)["application"]
        job_app = self.call("POST", "/api/v1/applications", 201, json=job)
        upload = {"file": ("resume.pdf", pdf("Ada Lovelace"), "application/pdf")}
        resume = self.call("POST", "/api/v1/resumes", 202, files=upload)
        version_id = resume["latest_version"]["id"]
        parsed = self.wait_for(f"/api/v1/resumes/{resume['id']}/versions/{version_id}", {"parsed", "failed"})
        if parsed["status"] != "parsed":
            raise SystemExit(f"fuzz: the seeded resume was not parsed: {parsed.get('error')}")
        pat = self.call("POST", "/api/v1/me/tokens", 201, json={"name": "fuzz", "scopes": ["read"]})
        letter = self.call("POST", "/api/v1/cover-letters", 202, json={"application_id": app["id"]})
        analysis = self.call("POST", "/api/v1/analyses", 202, json={"application_id": app["id"]})
        ids = {"application_id": app["id"], "resume_id": resume["id"], "version_id": version_id}
        # The application of the letters and analyses of the hooks: no path parameter names it, so no
        # generated PATCH takes its job description away.
        ids["job_application_id"] = job_app["id"]
        ids |= {"letter_id": letter["id"], "token_id": pat["id"], "analysis_id": analysis["id"], "user_id": other["id"]}
        ids["notification_id"] = asyncio.run(notification_of(self.env, self.call("GET", "/api/v1/me", 200)["id"]))
        interview = {"kind": "technical", "starts_at": "2031-03-04T10:00:00Z"}
        ids["interview_id"] = self.call("POST", f"/api/v1/applications/{app['id']}/interviews", 201, json=interview)[
            "id"
        ]
        ids["contact_id"] = self.call("POST", "/api/v1/contacts", 201, json={"name": "Grace Hopper"})["id"]
        feed = self.call("POST", "/api/v1/me/calendar-feed", 201)["url"]
        ids["feed"] = feed.rsplit("/", 1)[1]  # `<token>.ics`: the hooks keep it current
        return {
            "url": self.url,
            "email": EMAIL,
            "password": PASSWORD,
            "access_token": access,
            "refresh_email": "fuzz-refresh@example.com",
            "refresh_token": refresh,
            "ids": ids,
            **emailed_tokens(self.mailbox, len(throwaway)),
        }


async def notification_of(env: dict[str, str], user_id: str) -> str:
    """A notification of `user_id`, made by the service the follow-up reminders use (its id)."""
    from backend.features.notifications import service as notifications
    from backend.platform.db import engine
    from backend.settings import Settings

    await engine.open_pool(Settings.from_env(env).db)
    try:
        made = await notifications.create(uuid.UUID(user_id), "follow_up", "Follow up with Analytical Engines")
    finally:
        await engine.close_pool()
    return str(made.id)


def emailed_tokens(mailbox: Catcher, count: int) -> dict[str, list[str]]:
    """The tokens of the verification and reset emails the worker delivered to the run's mail
    catcher (what a user would click), once `count` of each have arrived."""
    found: dict[str, list[str]] = {"verify_tokens": [], "reset_tokens": []}
    deadline = time.monotonic() + 90
    while min(len(tokens) for tokens in found.values()) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"fuzz: the worker delivered {found} emailed tokens of {count} (see the worker log)")
        time.sleep(0.5)
        text = "\n".join(str(message.get_body(("plain",)).get_content()) for message in mailbox.messages)  # type: ignore[union-attr]
        found = {
            "verify_tokens": sorted(set(re.findall(r"/verify-email\?token=([A-Za-z0-9_-]+)", text))),
            "reset_tokens": sorted(set(re.findall(r"/reset-password\?token=([A-Za-z0-9_-]+)", text))),
        }
    return found


def config_toml(state: dict[str, Any], openapi: dict[str, Any]) -> str:
    """schemathesis.toml of the run: the warnings that fail it, and for every operation that names a
    seeded row in its path, that row's id. A `DELETE` names no row (its positive cases get a fresh
    one from the hooks): a negative case must not delete a row the others need."""

    def table(values: dict[str, Any]) -> str:
        return "{ " + ", ".join(f"{json.dumps(k)} = {json.dumps(str(v))}" for k, v in sorted(values.items())) + " }"

    lines = ["[warnings]", f"fail-on = {json.dumps(FAIL_ON_WARNINGS)}"]
    for path, item in sorted(openapi["paths"].items()):
        names = re.findall(r"{(\w+)}", path)
        for method, operation in sorted(item.items()):
            values = {name: state["ids"][name] for name in names if name in state["ids"]}
            if method == "delete":  # never an id Schemathesis saw in an answer (it reuses them)
                values = dict.fromkeys(names, NO_ROW)
            if values:
                lines += ["", "[[operations]]", f"include-operation-id = {json.dumps(operation['operationId'])}"]
                lines += [f"parameters = {table(values)}"]
    return "\n".join(lines) + "\n"


def schemathesis_command(url: str, token: str, config: Path, args: argparse.Namespace) -> list[str]:
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run"]
    command += [f"{url}/schema/openapi.json", "--url", url, "--header", f"Authorization: Bearer {token}"]
    command += ["--phases", PHASES, "--checks", CHECKS, "--max-time", str(args.seconds)]
    # One worker: the generators parse regexes with `ast`, which CPython 3.11 cannot do in two threads
    # at once ("AST constructor recursion depth mismatch"), and the api has the other core.
    command += ["--workers", "1", "--generation-database", "none", "--no-color", "--request-timeout", "30"]
    # No NUL characters: the api refuses U+0000 in any text with a 422 naming the field, a rule its
    # OpenAPI states once (info.description) rather than as a pattern on every string.
    command += ["--generation-allow-x00", "false"]
    for operation_id in EXCLUDED:
        command += ["--exclude-operation-id", operation_id]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    if args.report_dir:
        command += ["--report", "junit,json,ndjson", "--report-dir", str(Path(args.report_dir).resolve())]
    return command + list(args.schemathesis_args)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ops/fuzz.py", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", DEFAULT_SECONDS)))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--report-dir", default=os.environ.get("FUZZ_REPORT_DIR", ""))
    parser.add_argument("schemathesis_args", nargs="*", help="more `st run` options, after --")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="cc-fuzz-"))
    api_log, worker_log = tmp / "api.log", tmp / "worker.log"
    try:
        with services(tmp) as (database_url, redis_url), Catcher() as mailbox:
            env = api_env(database_url, redis_url, tmp / "data", mailbox.port)
            migrate(env)
            port = free_port()
            uvicorn = launcher.api_command(port, log_level="warning", access_log=False)
            worker = launcher.module_command(launcher.WORKER, "--workers", "1")
            # Each in its own process group, ended with SIGTERM, then SIGKILL after 30 s.
            with (
                launcher.running(uvicorn, env=env, log=api_log, name="api", grace=30) as api,
                launcher.running(worker, env=env, log=worker_log, name="worker", grace=30),
            ):
                url = f"http://127.0.0.1:{port}"
                wait_ready(url, api)
                # verification and reset tokens: one for each positive case of their routes (< 1 a second)
                state = Seeder(url, env, mailbox, emailed=min(300, 20 + args.seconds)).run()
                (tmp / "state.json").write_text(json.dumps(state))
                config = tmp / "schemathesis.toml"
                config.write_text(config_toml(state, httpx.get(f"{url}/schema/openapi.json").json()))
                command = schemathesis_command(url, state["access_token"], config, args)
                print(f"fuzz: {args.seconds} s of Schemathesis against {url}", flush=True)
                # The hooks by environment: loaded before the schema, so their media types serve every phase.
                st_env = {**env, "FUZZ_STATE": str(tmp / "state.json"), "SCHEMATHESIS_HOOKS": str(HOOKS)}
                code = subprocess.run(command, cwd=tmp, env=st_env).returncode  # noqa: S603
            logged = api_log.read_text(errors="replace")
            if "Traceback" in logged:
                print(f"fuzz: the api logged a traceback:\n{logged}", flush=True)
                code = code or 1
            return code
    finally:
        if os.environ.get("FUZZ_KEEP", "") == "1":
            print(f"fuzz: kept {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
