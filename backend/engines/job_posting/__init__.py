"""What a job posting page says: `extract(html, url)` → `Posting` (pure: no network, no store).

Each field is taken from the most reliable place that has it, and `Posting.sources` says which:

1. schema.org `JobPosting` in JSON-LD or microdata (what most job boards publish for search engines;
   read with `extruct`): `json-ld`, `microdata`;
2. the known markup of the board the URL names (`boards.py`: Greenhouse, Lever, Ashby, Workday,
   SmartRecruiters), for what the structured data lacks: `board`;
3. the page's readable text (`trafilatura`) as the description, its title as the role, `og:site_name`
   as the company: `text`;
4. the company from the URL: the slug a board puts in its path (`url`), else the host (`host`).

`method` is where the role came from (`none` when nothing was found).
"""

from __future__ import annotations

import contextlib
import html as html_lib
import re
from dataclasses import dataclass, field
from typing import Any

import extruct
import trafilatura

from backend.engines.job_posting import boards, markup
from backend.engines.job_posting.urls import BOARDS, board_of, company_of

__all__ = ["BOARDS", "FIELDS", "Posting", "board_of", "extract"]

FIELDS = ("role", "company", "location", "remote", "salary", "description")
_SALARY = ("salary_min", "salary_max", "salary_currency", "salary_period")


@dataclass(frozen=True)
class Posting:
    role: str | None = None
    company: str | None = None
    location: str | None = None
    remote: str | None = None  # onsite, hybrid or remote
    salary_min: float | None = None
    salary_max: float | None = None
    salary_currency: str | None = None
    salary_period: str | None = None  # YEAR, MONTH, HOUR ... as the page says
    description: str = ""
    source: str | None = None  # the board named by the URL's host
    method: str = "none"  # where the role came from: json-ld, microdata, board, text, none
    # field ("role", "company", "location", "remote", "salary", "description") -> where it came from:
    # json-ld, microdata, board, text, url, host
    sources: dict[str, str] = field(default_factory=dict)


def extract(page: str, url: str) -> Posting:
    """The posting `page` (HTML) describes; `url` names its board."""
    source = board_of(url)
    layers: list[tuple[str, dict[str, Any]]] = []
    structured = _structured(page, url)
    if structured is not None:
        layers.append(structured)
    root = markup.parse(page)
    reader = boards.READERS.get(source or "")
    if root is not None and reader is not None and (structured is None or _missing(structured[1])):
        with contextlib.suppress(Exception):  # markup the reader did not expect: the other layers still count
            layers.append(("board", reader(root, page)))
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for method, found in layers:
        for name in ("role", "company", "location", "remote", "description"):
            if not values.get(name) and found.get(name):
                values[name], sources[name] = found[name], method
        if "salary" not in sources and (found.get("salary_min") is not None or found.get("salary_max") is not None):
            values.update({key: found.get(key) for key in _SALARY})
            sources["salary"] = method
    _fill_from_text(page, root, values, sources)
    if not values.get("company"):
        company, where = company_of(url)
        if company:
            values["company"], sources["company"] = company, where
    if not values.get("remote") and values.get("location"):
        values["remote"] = markup.workplace(values["location"])
        if values["remote"]:
            sources["remote"] = sources["location"]
    method = sources.get("role") or ("text" if values.get("description") else "none")
    return Posting(**values, source=source, method=method, sources=sources)


def _missing(found: dict[str, Any]) -> bool:
    return any(not found.get(name) for name in ("role", "company", "location", "description"))


def _structured(page: str, url: str) -> tuple[str, dict[str, Any]] | None:
    try:
        found = extruct.extract(page, base_url=url, syntaxes=["json-ld", "microdata"], uniform=True)
    except Exception:  # malformed markup: the other layers are still worth a try
        found = {}
    for method in ("json-ld", "microdata"):
        for item in _job_postings(found.get(method) or []):
            return method, _from_schema(item)
    return None


def _fill_from_text(
    page: str, root: markup.HtmlElement | None, values: dict[str, Any], sources: dict[str, str]
) -> None:
    """The readable text as the description, the title as the role, `og:site_name` as the company."""
    if not values.get("description"):
        text = (trafilatura.extract(_bounded(page), include_comments=False) or "").strip()
        if text:
            values["description"], sources["description"] = text, "text"
            low, high, currency, period = markup.salary(markup.pay_line(text))
            if "salary" not in sources and low is not None:
                values.update(salary_min=low, salary_max=high, salary_currency=currency, salary_period=period)
                sources["salary"] = "text"
    if not values.get("role"):
        role = _title_role(page, root)
        if role:
            values["role"], sources["role"] = role, "text"
    if not values.get("company") and root is not None and (site := markup.meta(root, "og:site_name")):
        values["company"], sources["company"] = site, "text"


# trafilatura's time grows faster than the page (2 MB of paragraphs: ~8 s here, 300 KB: ~0.4 s): a large
# page loses its scripts, styles and drawings, then is read up to this many characters.
TEXT_INPUT_LIMIT = 300_000
_NOISE = re.compile(r"<(script|style|svg|noscript|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def _bounded(page: str) -> str:
    return page if len(page) <= TEXT_INPUT_LIMIT else _NOISE.sub("", page)[:TEXT_INPUT_LIMIT]


_TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|·|::)\s+")


def _title_role(page: str, root: markup.HtmlElement | None) -> str | None:
    """The page's title (else `og:title`, else its only `<h1>`) up to a " | " or " - " that names the site."""
    title = re.search(r"<title[^>]*>(.*?)</title>", page, re.IGNORECASE | re.DOTALL)
    text = " ".join(html_lib.unescape(title.group(1)).split()) if title else ""
    if not text and root is not None:
        text = markup.meta(root, "og:title") or ""
        if not text and len(headings := root.xpath("//h1")) == 1:
            text = markup.inline(headings[0])
    role = _TITLE_SEPARATORS.split(text, maxsplit=1)[0].strip() if text else ""
    return role or None


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


def _from_schema(item: dict[str, Any]) -> dict[str, Any]:
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
    location = _place(item.get("jobLocation"))
    return {
        "role": _text(item.get("title")),
        "company": _name(item.get("hiringOrganization")),
        "location": location,
        "remote": "remote" if "TELECOMMUTE" in location_type.upper() else None,
        "salary_min": low,
        "salary_max": high,
        "salary_currency": _text(salary.get("currency")) if isinstance(salary, dict) else None,
        "salary_period": period.upper() if period else None,
        "description": markup.html_to_text(_text(item.get("description")) or ""),
    }


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
