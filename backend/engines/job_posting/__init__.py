"""What a job posting page says: `extract(html, url)` → `Posting` (pure: no network, no store).

Extraction order, most reliable first: schema.org `JobPosting` in JSON-LD or microdata (what most job
boards publish for search engines; read with `extruct`), then the page's readable text
(`trafilatura`) with its title as the role. Every field may be missing; `method` says where they
came from.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import extruct
import trafilatura

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


@dataclass(frozen=True)
class Posting:
    role: str | None = None
    company: str | None = None
    location: str | None = None
    remote: bool | None = None
    salary_min: float | None = None
    salary_max: float | None = None
    salary_currency: str | None = None
    salary_period: str | None = None  # YEAR, MONTH, HOUR ... as the page says
    description: str = ""
    source: str | None = None
    method: str = "none"  # json-ld, microdata, text, none


def extract(page: str, url: str) -> Posting:
    """The posting `page` (HTML) describes; `url` names its board."""
    source = board_of(url)
    try:
        found = extruct.extract(page, base_url=url, syntaxes=["json-ld", "microdata"], uniform=True)
    except Exception:  # malformed markup: the readable text is still worth a try
        found = {}
    for method in ("json-ld", "microdata"):
        for item in _job_postings(found.get(method) or []):
            return _from_schema(item, method, source)
    return _from_text(page, source)


def board_of(url: str) -> str | None:
    host = (urlsplit(url).hostname or "").lower()
    for domain, name in BOARDS.items():
        if host == domain or host.endswith("." + domain):
            return name
    return None


def _job_postings(items: list[Any]) -> list[dict[str, Any]]:
    """Every JobPosting among `items`, also inside `@graph` lists."""
    out: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("@graph"), list):
            out += _job_postings(item["@graph"])
        kinds = item.get("@type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if any(isinstance(kind, str) and kind.rsplit("/", 1)[-1] == "JobPosting" for kind in kinds):
            out.append(item)
    return out


def _from_schema(item: dict[str, Any], method: str, source: str | None) -> Posting:
    salary = _first(item.get("baseSalary"))
    value = _first(salary.get("value")) if isinstance(salary, dict) else None
    low = high = None
    period = None
    if isinstance(value, dict):
        low = _number(value.get("minValue", value.get("value")))
        high = _number(value.get("maxValue", value.get("value")))
        period = _text(value.get("unitText"))
    elif value is not None:
        low = high = _number(value)
    location_type = " ".join(str(t) for t in _list(item.get("jobLocationType")))
    return Posting(
        role=_text(item.get("title")),
        company=_name(item.get("hiringOrganization")),
        location=_place(item.get("jobLocation")),
        remote=True if "TELECOMMUTE" in location_type.upper() else None,
        salary_min=low,
        salary_max=high,
        salary_currency=_text(salary.get("currency")) if isinstance(salary, dict) else None,
        salary_period=period,
        description=_plain(_text(item.get("description")) or ""),
        source=source,
        method=method,
    )


def _from_text(page: str, source: str | None) -> Posting:
    text = trafilatura.extract(page, include_comments=False) or ""
    title = re.search(r"<title[^>]*>(.*?)</title>", page, re.IGNORECASE | re.DOTALL)
    role = html_lib.unescape(title.group(1)).strip() if title else None
    return Posting(role=role or None, description=text.strip(), source=source, method="text" if text else "none")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _first(value: Any) -> Any:
    items = _list(value)
    return items[0] if items else None


def _text(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    return str(value).strip() or None if value is not None else None


def _name(value: Any) -> str | None:
    return _text(value)


def _number(value: Any) -> float | None:
    try:
        return float(str(_first(value)).replace(",", ""))
    except (TypeError, ValueError):
        return None


def _place(value: Any) -> str | None:
    places = []
    for place in _list(value):
        address = place.get("address") if isinstance(place, dict) else None
        if isinstance(address, dict):
            parts = [_text(address.get(k)) for k in ("addressLocality", "addressRegion", "addressCountry")]
            places.append(", ".join(p for p in parts if p))
        elif address:
            places.append(str(address))
    return "; ".join(p for p in places if p) or None


def _plain(markup: str) -> str:
    """HTML of a description as text: tags dropped, block ends as line breaks, entities decoded."""
    text = re.sub(r"(?i)<br\s*/?>|</(p|div|li|h[1-6])>", "\n", markup)
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())
