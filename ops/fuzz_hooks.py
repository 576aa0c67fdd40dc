"""Schemathesis hooks of `make fuzz` (ops/fuzz.py loads them; FUZZ_STATE names the state it wrote).

Some rules of the api are about the world, not the shape of a request, so the schema cannot state
them: a token must be one the api handed out, a password the user's, a reference a row of the
user's, a file a readable PDF, a password not "too simple", a cover letter needs an application or
a company, role and job description. Generated data almost never meets them, so the routes would
answer 4xx and their logic would go untested. These hooks make every positive test case meet them,
changing only what such a rule is about (the shape of every field is still fuzzed, and negative
cases stay as generated):
- secrets handed out by the api: emailed tokens (a pool the run collected), the password, a live
  refresh token (half of the sign-in and refresh cases, whose refusals are 401s anyway);
- references: the seeded resume version, application and contact, a fresh row for each `DELETE`,
  the calendar feed's current URL (a case that makes a new one, or turns it off, revokes the old);
- semantic rules: 4 different characters in a new password, salary_min <= salary_max, a known
  time zone, what a letter or an analysis needs without an application, a job page with a title
  sent in `html` (never fetched: generated URLs would leave the machine);
- files: resumes (`application/pdf`), CSV imports (`text/csv`) and LinkedIn exports
  (`application/zip`) are generated as such, with random text (media type strategies); a JSON Resume
  import gets a document with a name and random text.
Every valid `Idempotency-Key` is made unique: a key sent again with another body is a 422 by
design, which says nothing about the data.

What the run changes is undone so that the next cases find the same world: a password change is
set back (it keeps the fuzzing session), a personal access token or a resume made (uploaded or
imported) is deleted again (the api caps both), a refresh session that was ended is signed in again.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import threading
import uuid
import zipfile
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import strategies as st

_STATE_FILE = os.environ.get("FUZZ_STATE", "")
STATE: dict[str, Any] = json.loads(Path(_STATE_FILE).read_text()) if _STATE_FILE else {}
_lock = threading.Lock()
_sent: dict[str, Any] = {}  # test case id -> the secret the hooks put in (what after_call needs back)
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
EMAILED = {  # route -> the pool of emailed tokens it takes
    "POST /api/v1/auth/verify-email": "verify_tokens",
    "POST /api/v1/auth/password-reset/confirm": "reset_tokens",
}
TIME_ZONES = ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Asia/Kolkata"]
RESUME = (
    "Experience",
    "Data Analyst, Analytical Engines Ltd, London, 2019 - 2024",
    "Built statistics pipelines in Python and SQL.",
    "Education",
    "BSc Mathematics, University of London, 2015 - 2019",
    "Skills",
    "Python, SQL, statistics, data visualisation",
)


def pdf(name: str) -> bytes:
    """A one-page resume of `name` as a small PDF (ASCII); another name makes another file, so an
    upload is never refused as a duplicate."""
    lines = [name, f"{name.split()[0].lower()}@example.com", "", *RESUME]
    text = " ".join(f"({line}) Tj 0 -16 Td" for line in lines)
    stream = f"BT /F1 11 Tf 72 720 Td {text} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def _api(method: str, path: str, expect: int, **kwargs: Any) -> Any:
    """A call of the fuzz user's own (not a test case)."""
    headers = {"Authorization": f"Bearer {STATE['access_token']}", **kwargs.pop("headers", {})}
    answer = httpx.request(method, f"{STATE['url']}{path}", headers=headers, timeout=30, **kwargs)
    if answer.status_code != expect:
        raise RuntimeError(f"fuzz: {method} {path} answered {answer.status_code}: {answer.text}")
    return answer.json() if answer.content else None


def _positive(case: Any) -> bool:
    """A case generated to be valid (mode `positive`)."""
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    return str(getattr(mode, "value", mode)) == "positive"


def _pop(pool: str) -> str | None:
    with _lock:
        tokens: list[str] = STATE[pool]
        return tokens.pop() if tokens else None


# Text of generated files: printable ASCII without what a PDF string would escape.
_PRINTABLE = "".join(chr(c) for c in range(32, 127) if chr(c) not in "()\\")
_TEXT = st.text(alphabet=_PRINTABLE, max_size=60)


@st.composite
def _pdfs(draw: st.DrawFn) -> bytes:
    name = draw(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=2, max_size=20))
    return pdf(f"{name} {draw(_TEXT)} {uuid.uuid4().hex[:8]}")


def _csv() -> str:
    """CSV in the export's format: a header, then 1-3 rows of random, valid cells."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["company", "role", "status", "location", "tags", "notes"])

    def text(size: int) -> str:
        return "".join(random.choices(_PRINTABLE, k=random.randint(1, size))).strip() or "x"

    for _ in range(random.randint(1, 3)):
        status = random.choice(["wishlist", "applied", "interview", "offer", "rejected"])
        tags = "|".join(text(10).replace("|", "") or "t" for _ in range(random.randint(0, 3)))
        writer.writerow([text(60), text(60), status, text(60), tags, text(200)])
    return out.getvalue()


@st.composite
def _linkedin_archives(draw: st.DrawFn) -> bytes:
    """LinkedIn's data export as the import reads it: Profile.csv and Positions.csv with random text."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, header, cells in (
            ("Profile.csv", ["First Name", "Last Name", "Headline"], 3),
            ("Positions.csv", ["Company Name", "Title", "Started On", "Finished On"], 2),
        ):
            rows = io.StringIO()
            writer = csv.writer(rows, lineterminator="\r\n")
            writer.writerow(header)
            values = [draw(_TEXT).strip() or "x" for _ in range(cells)]
            writer.writerow([*values, "Jan 2020", ""] if name == "Positions.csv" else values)
            archive.writestr(name, rows.getvalue())
    return out.getvalue()


def _json_resume() -> dict[str, Any]:
    """A valid JSON Resume document with random text (the api's validator decides what else is one)."""

    def text(size: int) -> str:
        return "".join(random.choices(_PRINTABLE, k=random.randint(1, size))).strip() or "x"

    work = [{"name": text(40), "position": text(40), "startDate": "2020-01", "highlights": [text(60)]}]
    return {"basics": {"name": text(40), "label": text(40)}, "work": work, "skills": [{"name": text(20)}]}


schemathesis.openapi.media_type("application/pdf", _pdfs())
schemathesis.openapi.media_type("application/zip", _linkedin_archives())


def _fresh(label: str) -> dict[str, str] | None:
    """Path parameters naming a row made for this case to delete (the seeded rows stay)."""
    if label == "DELETE /api/v1/applications/{application_id}":
        made = _api("POST", "/api/v1/applications", 201, json={"company": "Doomed", "role": "Analyst"})
        return {"application_id": made["id"]}
    if label == "DELETE /api/v1/cover-letters/{letter_id}":
        body = {"company": "Doomed", "role": "Analyst", "job_description": "Python"}
        return {"letter_id": _api("POST", "/api/v1/cover-letters", 202, json=body)["id"]}
    if label == "DELETE /api/v1/me/tokens/{token_id}":
        return {"token_id": _api("POST", "/api/v1/me/tokens", 201, json={"name": "doomed", "scopes": ["read"]})["id"]}
    ids = STATE["ids"]
    if label == "DELETE /api/v1/applications/{application_id}/interviews/{interview_id}":
        body = {"kind": "onsite", "starts_at": "2031-03-05T10:00:00Z"}
        made = _api("POST", f"/api/v1/applications/{ids['application_id']}/interviews", 201, json=body)
        return {"application_id": ids["application_id"], "interview_id": made["id"]}
    if label == "DELETE /api/v1/contacts/{contact_id}":
        return {"contact_id": _api("POST", "/api/v1/contacts", 201, json={"name": "Doomed"})["id"]}
    if label == "DELETE /api/v1/contacts/{contact_id}/applications/{application_id}":
        return {"contact_id": ids["contact_id"], "application_id": ids["application_id"]}
    if label == "DELETE /api/v1/resumes/{resume_id}":
        files = {"file": ("doomed.pdf", pdf(f"Doomed {uuid.uuid4().hex[:8]}"), "application/pdf")}
        return {"resume_id": _api("POST", "/api/v1/resumes", 202, files=files)["id"]}
    return None


def _strong(password: Any) -> Any:
    """`password` with at least 4 different characters (else: is too simple), its length kept."""
    if not isinstance(password, str) or len(set(password)) >= 4 or len(password) < 4:
        return password
    return password[:-4] + "aZ9!"


def _fill(case: Any, label: str) -> None:
    """Make a positive case of `label` ("METHOD /path") meet the rules its schema cannot state."""
    body: dict[str, Any] = case.body
    ids = STATE["ids"]
    for field in ("password", "new_password"):
        if field in body and label != "POST /api/v1/auth/login":
            body[field] = _strong(body[field])
    if label == "POST /api/v1/auth/login" and random.random() < 0.5:
        body.update(email=STATE["email"], password=STATE["password"])
    elif label == "POST /api/v1/auth/refresh" and random.random() < 0.5:
        body["refresh_token"] = _sent[case.id] = STATE["refresh_token"]
    elif label in EMAILED and (token := _pop(EMAILED[label])):
        body["token"] = token
    elif label == "POST /api/v1/me/password":
        body["current_password"] = STATE["password"]
    elif label == "PUT /api/v1/me/notification-settings" and "time_zone" in body:
        body["time_zone"] = random.choice(TIME_ZONES)
    elif label in ("POST /api/v1/applications", "PATCH /api/v1/applications/{application_id}"):
        if body.get("resume_version_id") is not None:
            body["resume_version_id"] = ids["version_id"]
        low, high = body.get("salary_min"), body.get("salary_max")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            body["salary_min"], body["salary_max"] = high, low
    elif label == "POST /api/v1/applications/import-url":
        # A page the api reads without fetching (a fetch of a generated URL would leave the machine or be
        # refused) that names a role: the generated `html` follows the title, cut to stay under the cap.
        body["html"] = "<title>Fuzzed Analyst</title>" + str(body.get("html") or "")[:10_000]
    elif label in INTERVIEWS and body.get("contact_ids"):
        body["contact_ids"] = [ids["contact_id"]]
    elif label in CONTACTS and body.get("application_ids"):
        body["application_ids"] = [ids["application_id"]]
    elif label in LETTERS_AND_ANALYSES:
        if body.get("resume_version_id") is not None:
            body["resume_version_id"] = ids["version_id"]
        if "application_id" in body and body["application_id"] is not None:
            body["application_id"] = ids["job_application_id"]  # an application with a job description
        elif label == "POST /api/v1/cover-letters":
            for field in ("company", "role", "job_description"):
                if not body.get(field):
                    body[field] = "Analytical Engines" if field == "company" else "Analyst"
        elif not (body.get("job_description") or "").strip():
            body["job_description"] = "Python, SQL, statistics"


INTERVIEWS = (
    "POST /api/v1/applications/{application_id}/interviews",
    "PATCH /api/v1/applications/{application_id}/interviews/{interview_id}",
)
CONTACTS = ("POST /api/v1/contacts", "PATCH /api/v1/contacts/{contact_id}")
FEED = "GET /api/v1/calendar/{feed}"
LETTERS_AND_ANALYSES = (
    "POST /api/v1/cover-letters",
    "POST /api/v1/analyses",
    "POST /api/v1/resumes/{resume_id}/versions/{version_id}/analyses",
)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if isinstance(key, str) and _VALID_KEY.match(key):
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    if _positive(case):
        _make_valid(case)
    if case.operation.label == "POST /api/v1/me/password" and isinstance(case.body, dict):
        _sent[case.id] = case.body.get("new_password")  # to set it back if the change goes through


def _make_valid(case: Any) -> None:
    label = case.operation.label
    if label == FEED:
        with _lock:
            case.path_parameters["feed"] = STATE["ids"]["feed"]  # the URL's token is the credential
    elif label == "GET /api/v1/contacts" and (case.query or {}).get("application_id") is not None:
        case.query["application_id"] = STATE["ids"]["application_id"]
    elif label == "POST /api/v1/applications/import":
        case.body = _csv()  # the api's own parser decides what a CSV is: generated text rarely is one
    elif label == "POST /api/v1/resumes/import" and getattr(case, "media_type", "") == "application/json":
        case.body = _json_resume()  # a generated object rarely has a name and only the schema's sections
    elif (fresh := _fresh(label)) is not None:
        case.path_parameters.update(fresh)
    elif isinstance(case.body, dict):
        _fill(case, label)


def _rotated(response: Any) -> str:
    """The rotated refresh token: in the JSON, or (`X-Refresh-Cookie: 1` was sent) in the Set-Cookie."""
    body = response.json()
    if "refresh_token" in body:
        return str(body["refresh_token"])
    for header in response.headers.get("set-cookie", []):
        name, _, rest = header.partition("=")
        if name.strip() == "ccp_refresh":
            return rest.split(";", 1)[0].strip('"')
    raise AssertionError(f"a 200 refresh answer without a refresh token: {body}")


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    label, status = case.operation.label, response.status_code
    if str(getattr(case.method, "value", case.method)).upper() != label.split()[0]:
        return  # a probe with another method (OPTIONS answers 204): the operation did not run
    if label == "POST /api/v1/auth/refresh":
        used = _sent.pop(case.id, None)
        if status == 200:
            with _lock:
                STATE["refresh_token"] = _rotated(response)
        elif status == 401 and used is not None and used == STATE["refresh_token"]:
            # a case sent again presented a spent token, which ends the session: sign in anew
            login = {"email": STATE["refresh_email"], "password": STATE["password"]}
            with _lock:
                STATE["refresh_token"] = _api("POST", "/api/v1/auth/login", 200, json=login)["refresh_token"]
    elif label == "POST /api/v1/me/password" and status == 204:
        # Sent as the test case was (JSON with \\u escapes), so that any password comes back the same.
        new = _sent.get(case.id)
        if not isinstance(new, str):
            raise RuntimeError(f"fuzz: the password changed in case {case.id}, to a value the hooks did not see")
        back = json.dumps({"current_password": new, "new_password": STATE["password"]})
        _api("POST", "/api/v1/me/password", 204, content=back, headers={"Content-Type": "application/json"})
    elif label == "POST /api/v1/me/tokens" and status == 201:
        _api("DELETE", f"/api/v1/me/tokens/{response.json()['id']}", 204)
    elif label == "POST /api/v1/resumes" and status == 202:
        _api("DELETE", f"/api/v1/resumes/{response.json()['id']}", 204)
    elif label == "POST /api/v1/resumes/import" and status == 201:
        _api("DELETE", f"/api/v1/resumes/{response.json()['resume']['id']}", 204)
    elif label == "POST /api/v1/applications/{application_id}/interviews" and status == 201:
        made = response.json()  # the api caps interviews per application
        _api("DELETE", f"/api/v1/applications/{made['application_id']}/interviews/{made['id']}", 204)
    elif label == "POST /api/v1/contacts" and status == 201:
        _api("DELETE", f"/api/v1/contacts/{response.json()['id']}", 204)
    elif label in ("POST /api/v1/me/calendar-feed", "DELETE /api/v1/me/calendar-feed") and status in (201, 204):
        url = response.json()["url"] if status == 201 else _api("POST", "/api/v1/me/calendar-feed", 201)["url"]
        with _lock:
            STATE["ids"]["feed"] = url.rsplit("/", 1)[1]
