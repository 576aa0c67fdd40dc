"""What a job posting's URL says by itself: its board (by host) and, as a last resort, the company
(the slug boards put in the path, else the host's name)."""

from __future__ import annotations

from urllib.parse import SplitResult, parse_qs, urlsplit

from backend.engines.job_posting.markup import name_of_slug

# Job boards known by their host (the `source` of an imported application).
BOARDS = {
    "greenhouse.io": "Greenhouse",
    "lever.co": "Lever",
    "ashbyhq.com": "Ashby",
    "myworkdayjobs.com": "Workday",
    "smartrecruiters.com": "SmartRecruiters",
    "linkedin.com": "LinkedIn",
    "indeed.com": "Indeed",
}
# Boards whose first path segment is the company's slug: boards.greenhouse.io/<company>/jobs/1,
# jobs.lever.co/<company>/<id>, jobs.ashbyhq.com/<company>/<id>, jobs.smartrecruiters.com/<Company>/<id>.
_SLUG_IN_PATH = {"Greenhouse", "Lever", "Ashby", "SmartRecruiters"}
_NOT_SLUGS = {"embed", "jobs", "job", "v1", "en-us", "en", "o"}
_HOST_PREFIXES = {"www", "jobs", "job", "careers", "career", "boards", "job-boards", "apply", "hire", "talent", "work"}


def _split(url: str) -> SplitResult:
    """`url`'s parts; an unparseable URL ("http://[") has none."""
    try:
        parts = urlsplit(url)
        _ = parts.hostname, parts.port  # raise here, not later, for "http://[x" or a port like ":99999"
    except ValueError:
        return urlsplit("")
    return parts


def board_of(url: str) -> str | None:
    host = (_split(url).hostname or "").lower()
    for domain, name in BOARDS.items():
        if host == domain or host.endswith("." + domain):
            return name
    return None


def company_of(url: str) -> tuple[str | None, str]:
    """(company, "url") from a board's path slug (Greenhouse's embed names it in `for=`), else
    (company, "host") from the host's first meaningful label (`acme.wd5.myworkdayjobs.com` → Acme,
    `careers.acme.com` → Acme); (None, "none") when neither names anything."""
    parts = _split(url)
    board = board_of(url)
    if board in _SLUG_IN_PATH:
        named = parse_qs(parts.query).get("for") if board == "Greenhouse" else None
        if named and (company := name_of_slug(named[0])):
            return company, "url"
        segments = [s for s in parts.path.split("/") if s]
        if segments and segments[0].lower() not in _NOT_SLUGS and (company := name_of_slug(segments[0])):
            return company, "url"
        return None, "none"
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    if board == "Workday":
        return name_of_slug(labels[0]), "host"
    if board is not None or len(labels) < 2 or host.replace(".", "").isdigit() or ":" in host:
        return None, "none"
    while len(labels) > 2 and labels[0] in _HOST_PREFIXES:
        labels = labels[1:]
    company = name_of_slug(labels[0])
    return (company, "host") if company else (None, "none")
