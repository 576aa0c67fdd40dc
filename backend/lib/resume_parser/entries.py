"""Dated entries: work, education, projects, certificates.

A section's rows are first classified:

- *bullet*: starts with a list marker (or an icon glyph) → a highlight;
- *description*: a sentence (many words, lowercase prose, a full stop or a wrapped line) → summary,
  or a highlight when indented like a list without markers;
- *continuation*: the wrapped rest of the previous bullet or sentence;
- *head*: everything else (company, title, dates, place, link).

An entry is a run of head rows followed by its body; a head row after a body starts the next entry.
Entries without bodies ("Company — Title 2019-2021" lines one after another) are split so that each
holds one date range, keeping the first entry's row pattern (dates on its first or second row).

Within the head, dates and places are recognised and removed, what is left is cut at separators
(" — ", " | ", " at ", commas, icon glyphs, wide gaps) and each piece is classified by the words it
holds (job-title words, company suffixes, school words, degree names). Where the words cannot decide
between two pieces, the first is the company ("Company — Title"). A field no piece fills stays out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from backend.lib.resume_parser import pieces, vocab
from backend.lib.resume_parser import text as text_cleanup
from backend.lib.resume_parser.basics import join_paragraph
from backend.lib.resume_parser.dates import DateRange, find_date_range, remove_span
from backend.lib.resume_parser.layout import Row

_STOPWORDS = frozenset("a an and of at in for the to on with by from de".split())
_AT = re.compile(r"^(?P<title>.+?)\s+(?:at|@)\s+(?P<company>[A-Z0-9].+)$")
_SCORE = re.compile(
    r"\b(?:GPA|CGPA|grade|honou?rs|cum laude|distinction|first class)\b|^\d\.\d+\s*/\s*\d", re.IGNORECASE
)
_CERT_SPLIT = re.compile(r"\s+[|·•]\s+|\s+—\s+")


@dataclass(slots=True)
class Geometry:
    left: float
    right: float

    @property
    def width(self) -> float:
        return max(self.right - self.left, 1.0)

    @classmethod
    def of(cls, rows: list[Row]) -> Geometry:
        if not rows:
            return cls(0.0, 1.0)
        return cls(min(r.x0 for r in rows), max(r.x1 for r in rows))


@dataclass(slots=True)
class Entry:
    head: list[Row] = field(default_factory=list)
    highlights: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    @property
    def has_body(self) -> bool:
        return bool(self.highlights or self.summary)


def bullet_text(row: Row) -> str | None:
    """The text after a row's list marker, or None when the row is not a list item."""
    first = row.segments[0].text
    if first == text_cleanup.ICON and len(row.segments) > 1:
        return " ".join(s.text for s in row.segments[1:]).strip()
    match = pieces.BULLET_START.match(first)
    if match:
        return " ".join([first[match.end() :], *(s.text for s in row.segments[1:])]).strip()
    return None


def _plain(row: Row) -> str:
    return text_cleanup.strip_icons(row.text.replace(" | ", "  "))


def _head_date(text: str) -> DateRange | None:
    found = find_date_range(text)
    if found is None:
        return None
    rest = remove_span(text, found.span)
    at_edge = not text[: found.span[0]].strip(" (|,–—-") or not text[found.span[1] :].strip(" )|,.")
    if found.single and len(rest.split()) > 6 and not at_edge:
        return None  # a year inside a sentence ("scaled to 2000 users in 2019")
    return found


def _is_sentence(row: Row, geometry: Geometry) -> bool:
    text = _plain(row)
    tokens = text.split()
    if len(tokens) < 6 or _head_date(text):
        return False
    lowercase = sum(1 for t in tokens if t[:1].islower() and t.lower() not in _STOPWORDS)
    wrapped = row.x1 >= geometry.right - 0.15 * geometry.width
    return (
        lowercase / len(tokens) >= 0.3
        or (text.rstrip().endswith((".", "!", ";")) and len(tokens) >= 8)
        or (wrapped and len(tokens) >= 10)
    )


def is_table_header(row: Row) -> bool:
    """'Period | Organisation | Role': the header row of a table, not an entry."""
    texts = [s.text.strip(" :").lower() for s in row.segments]
    return len(texts) >= 2 and all(t in vocab.TABLE_HEADERS for t in texts)


def group_entries(rows: list[Row]) -> list[Entry]:
    """Rows cut into entries (see the module docstring)."""
    rows = [row for row in rows if not is_table_header(row)]
    geometry = Geometry.of(rows)
    entries: list[Entry] = [Entry()]
    previous: Row | None = None
    previous_kind = ""
    for row in rows:
        entry = entries[-1]
        bullet = bullet_text(row)
        text = _plain(row)
        if bullet is not None and not pieces.is_contact_only(bullet):
            entry.highlights.append(text_cleanup.strip_icons(bullet))
            previous, previous_kind = row, "bullet"
            continue
        if (
            previous is not None
            and previous_kind in ("bullet", "desc", "highlight")
            and _continues(row, previous, geometry)
        ):
            target = entry.highlights if previous_kind in ("bullet", "highlight") else entry.summary
            if target:
                target[-1] = join_paragraph([target[-1], text])
                previous = row
                continue
        if _is_sentence(row, geometry):
            indented = row.x0 > geometry.left + 8
            if indented:
                entry.highlights.append(text)
                previous_kind = "highlight"
            else:
                entry.summary.append(text)
                previous_kind = "desc"
            previous = row
            continue
        if entry.has_body:
            entry = Entry()
            entries.append(entry)
        entry.head.append(row)
        previous, previous_kind = row, "head"
    return [part for entry in entries for part in _split_heads(entry) if part.head or part.has_body]


def wrapped(previous: Row, following: str, right: float) -> bool:
    """Whether `previous` ended because the line was full: the next row's first word would not have
    fitted after it (a word of n letters is about n/2 font sizes wide)."""
    first = following.split()[0] if following.split() else ""
    return previous.x1 + (len(first) * 0.5 + 0.3) * previous.size >= right - 1


def _continues(row: Row, previous: Row, geometry: Geometry) -> bool:
    text = _plain(row)
    if not text or _head_date(text) or (row.bold and not previous.bold):
        return False
    previous_text = _plain(previous)
    wrapped_line = wrapped(previous, text, geometry.right)
    hanging = row.x0 > geometry.left + 4 and abs(row.x0 - previous.x0) > 2 and row.x0 > previous.x0
    if text[:1].islower():
        return True
    return (wrapped_line or hanging) and not previous_text.rstrip().endswith((".", "!", "?", ":"))


def _split_heads(entry: Entry) -> list[Entry]:
    """One head holding several dated rows and no body: one entry per date, same row pattern.

    Entries repeat with a period of `p` rows (the distance between dated rows); the first entry's
    dated row sits `offset` rows into it, `offset` < `p` (rows before that are a preamble).
    """
    dated = [i for i, row in enumerate(entry.head) if _head_date(_plain(row))]
    if len(dated) < 2:
        return [entry]
    period = min(b - a for a, b in zip(dated, dated[1:], strict=False))
    offset = min(dated[0], period - 1)
    starts = sorted({max(0, i - offset) for i in dated})
    if starts[0] != 0:
        starts.insert(0, 0)
    parts = [Entry(head=entry.head[a:b]) for a, b in zip(starts, [*starts[1:], len(entry.head)], strict=True)]
    parts[-1].highlights, parts[-1].summary = entry.highlights, entry.summary
    return parts


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
    found = _head_date(sub)
    while found is not None:
        if head.dates is None:
            head.dates = found
        sub = remove_span(sub, found.span)
        found = _head_date(sub) if sub else None
    if not sub:
        return
    for part in pieces.SEPARATORS.split(sub):
        part = part.strip(" ,;:()")
        if not part:
            continue
        place = pieces.parse_location(part)
        if place is not None:
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
        text = text_cleanup.strip_icons(bullet) if bullet is not None else _plain(row)
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
        dates = _head_date(text)
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
