"""Entries → JSON Resume records (work, education, projects, certificates).

Within the head, dates and places are recognised and removed, what is left is cut at separators
(" — ", " | ", " at ", commas, icon glyphs, wide gaps) and each piece is classified by the words it
holds (job-title words, company suffixes, school words, degree names). Where the words cannot decide
between two pieces, the first is the company ("Company — Title"). A field no piece fills stays out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from backend.engines.resume_parser import pieces, vocab
from backend.engines.resume_parser import text as text_cleanup
from backend.engines.resume_parser.basics import join_paragraph
from backend.engines.resume_parser.dates import DateRange, remove_span
from backend.engines.resume_parser.entries import Entry, bullet_text, head_date, plain
from backend.engines.resume_parser.layout import Row

_AT = re.compile(r"^(?P<title>.+?)\s+(?:at|@)\s+(?P<company>[A-Z0-9].+)$")
_SCORE = re.compile(
    r"\b(?:GPA|CGPA|grade|honou?rs|cum laude|distinction|first class)\b|^\d\.\d+\s*/\s*\d", re.IGNORECASE
)
_CERT_SPLIT = re.compile(r"\s+[|·•]\s+|\s+—\s+")


@dataclass(slots=True)
class Head:
    pieces: list[str] = field(default_factory=list)
    dates: DateRange | None = None
    location: dict[str, str] | None = None
    url: str | None = None
    at_form: tuple[str, str] | None = None


def read_head(rows: list[Row], kind: str) -> Head:
    """Dates, place, link and the remaining text pieces of an entry's head rows."""
    head = Head()
    for row in rows:
        for segment in row.segments:
            for sub in segment.text.split(text_cleanup.ICON):
                _read_piece(sub.strip(), head, kind)
    return head


def _read_piece(sub: str, head: Head, kind: str) -> None:
    if not sub:
        return
    if pieces.is_contact_only(sub):
        urls = pieces.urls_in(sub)
        if urls and head.url is None:
            head.url = pieces.normalise_url(urls[0])
        return
    found = head_date(sub)
    while found is not None:
        if head.dates is None:
            head.dates = found
        sub = remove_span(sub, found.span)
        found = head_date(sub) if sub else None
    if not sub:
        return
    for part in pieces.SEPARATORS.split(sub):
        part = pieces.unbracket(part.strip(" ,;:"))
        if not part:
            continue
        place = pieces.parse_location(part)
        if place is not None and not pieces.doubtful_place(part):
            head.location = head.location or place
            continue
        if kind == "work":
            at = _AT.match(part)
            if at and pieces.title_score(at.group("title")) and head.at_form is None:
                title, company = at.group("title").strip(), at.group("company").strip()
                company, place, _ = pieces.split_location_tail(company)
                head.location = head.location or place
                head.at_form = (title, company)
                continue
        rest, place, _ = pieces.split_location_tail(part)
        head.location = head.location or place
        head.pieces.extend(pieces.split_commas(rest) if kind in ("work", "education") else [rest])


def _score(piece: str) -> int:
    return pieces.title_score(piece) - pieces.company_score(piece)


def _dates(target: dict[str, Any], dates: DateRange | None, *, single_is_end: bool) -> None:
    if dates is None:
        return
    if dates.single:
        if single_is_end:
            target["endDate"] = dates.start
        else:
            target["startDate"] = dates.start
            target["endDate"] = dates.start
        return
    if dates.start:
        target["startDate"] = dates.start
    if dates.end and not dates.ongoing:
        target["endDate"] = dates.end


def work_entry(entry: Entry) -> dict[str, Any] | None:
    head = read_head(entry.head, "work")
    item: dict[str, Any] = {}
    candidates = list(head.pieces)
    if head.at_form is not None:
        item["position"], item["name"] = head.at_form
    elif len(candidates) == 1:
        only = candidates[0]
        item["position" if _score(only) > 0 else "name"] = only
    elif candidates:
        position = max(candidates, key=_score)
        if _score(position) <= 0 and _score(candidates[1]) <= 0:
            position = candidates[1]  # undecided: "Company — Title"
        rest = [c for c in candidates if c is not position]
        company = min(rest, key=_score)
        if _score(company) == _score(rest[0]):
            company = rest[0]
        item["name"], item["position"] = company, position
    if not item and not entry.highlights:
        return None
    if head.location:
        item["location"] = ", ".join(v for k, v in head.location.items() if k != "postalCode")
    if head.url:
        item["url"] = head.url
    _dates(item, head.dates, single_is_end=False)
    if entry.summary:
        item["summary"] = join_paragraph(entry.summary)
    if entry.highlights:
        item["highlights"] = entry.highlights
    return item


def education_entry(entry: Entry) -> dict[str, Any] | None:
    head = read_head(entry.head, "education")
    item: dict[str, Any] = {}
    unknown: list[str] = []
    for index, piece in enumerate(head.pieces):
        previous = head.pieces[index - 1] if index else ""
        if previous and previous == item.get("institution") and _campus(piece, head.pieces):
            item["institution"] = f"{previous}, {piece}"  # "University of California, Berkeley"
            continue
        degree = vocab.DEGREE.match(piece)
        if degree and "studyType" not in item:
            item["studyType"] = degree.group(0).strip()
            rest = re.sub(r"^(?:in|of)\s+", "", piece[degree.end() :].strip(" ,:-–—()"), flags=re.IGNORECASE)
            if rest and pieces.is_school(rest) and "institution" not in item:
                item["institution"] = rest
            elif rest:
                item.setdefault("area", rest)
        elif pieces.is_school(piece) and "institution" not in item:
            item["institution"] = piece
        elif _SCORE.search(piece):
            item.setdefault("score", piece)
        else:
            unknown.append(piece)
    if "institution" not in item and unknown:
        item["institution"] = unknown.pop(0)
    if "area" not in item and unknown:
        item["area"] = unknown.pop(0)
    if not item:
        return None
    _dates(item, head.dates, single_is_end=True)
    if head.url:
        item["url"] = head.url
    courses = [h for h in entry.highlights if h.lower().startswith(("course", "relevant course"))]
    if courses:
        item["courses"] = [c for line in courses for c in pieces.list_items(line.split(":", 1)[-1])]
    return item


def _campus(piece: str, all_pieces: list[str]) -> bool:
    """A short place name after a school's name is part of it when the field of study is known elsewhere."""
    if not re.fullmatch(r"[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*)?", piece) or vocab.DEGREE.match(piece):
        return False
    has_area = any((d := vocab.DEGREE.match(p)) and p[d.end() :].strip(" ,") for p in all_pieces)
    return has_area or piece.lower() in vocab.CITIES


def project_entry(entry: Entry) -> list[dict[str, Any]]:
    if not entry.head and entry.highlights:  # a list of one-line projects: "Name — what it is"
        projects = []
        for line in entry.highlights:
            name, *description = re.split(r"\s+[—–-]\s+|:\s+", line, maxsplit=1)
            project: dict[str, Any] = {"name": name.strip()}
            if description and description[0].strip():
                project["description"] = description[0].strip()
            projects.append(project)
        return projects
    head = read_head(entry.head, "project")
    if not head.pieces and not entry.highlights:
        return []
    item: dict[str, Any] = {}
    names = list(head.pieces)
    if names:
        item["name"] = names.pop(0)
    roles = [n for n in names if pieces.title_score(n) > 0]
    if roles:
        item["roles"] = roles
    rest = [n for n in names if n not in roles]
    description = [*rest, *entry.summary]
    if description:
        item["description"] = join_paragraph(description)
    if entry.highlights:
        item["highlights"] = entry.highlights
    if head.url:
        item["url"] = head.url
    _dates(item, head.dates, single_is_end=False)
    return [item]


def certificate_items(rows: list[Row], *, one_entry: bool) -> list[dict[str, Any]]:
    """Certificates: one per row, or one per block when the rows are a grid column."""
    items: list[dict[str, Any]] = []
    lines: list[str] = []  # a name wrapped over two rows ("... Learning –" / "Specialty (2021)") is one
    previous: Row | None = None
    for row in rows:
        bullet = bullet_text(row)
        text = text_cleanup.strip_icons(bullet) if bullet is not None else plain(row)
        if (
            previous is not None
            and lines
            and bullet is None
            and abs(row.x0 - previous.x0) <= 3
            and (lines[-1].endswith(("-", "–", "—", ",", "&")) or text[:1].islower())
            and not one_entry
        ):
            lines[-1] = f"{lines[-1]} {text}"
        elif text:
            lines.append(text)
        previous = row
    for text in lines:
        dates = head_date(text)
        rest = remove_span(text, dates.span) if dates else text
        if not rest and dates and items:
            items[-1].setdefault("date", dates.start)
            continue
        parts = [p.strip() for p in _CERT_SPLIT.split(rest) if p.strip()]
        if not parts:
            continue
        if one_entry and items:
            items[-1].setdefault("issuer", parts[0])
            if dates:
                items[-1].setdefault("date", dates.start)
            continue
        item: dict[str, Any] = {"name": parts[0]}
        if len(parts) > 1:
            item["issuer"] = parts[1]
        if dates:
            item["date"] = dates.start
        items.append(item)
    return items
