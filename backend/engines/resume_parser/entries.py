"""Rows of a dated section (work, education, projects, certificates) grouped into entries.

A section's rows are first classified:

- *bullet*: starts with a list marker (or an icon glyph) → a highlight;
- *description*: a sentence (many words, lowercase prose, a full stop or a wrapped line) → summary,
  or a highlight when indented like a list without markers;
- *continuation*: the wrapped rest of the previous bullet or sentence;
- *head*: everything else (company, title, dates, place, link).

An entry is a run of head rows followed by its body; a head row after a body starts the next entry.
Entries without bodies ("Company — Title 2019-2021" lines one after another) are split so that each
holds one date range, keeping the first entry's row pattern (dates on its first or second row).

A list marker does not always mean a highlight: some templates put a bullet or an icon before each
*employer* ("• Employer", then title, place and dates on the lines below, hanging under the
employer's text). Such a marker row opens an entry when it is short (no sentence), the row after it
is no list item, does not continue a wrapped line (it does not start with an ordinary lowercase word;
"iOS Developer" may) and hangs to the right of the marker, and a date is on the marker row or on the
rows that hang under it. A last short highlight followed by the next entry's head is not taken for
one: that head starts at the margin, left of the highlight's marker, so even when the highlight's
wrapped last words hang under it ("…with" / "Ansible"), the next head's dates are not its dates.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from backend.engines.resume_parser import pieces, vocab
from backend.engines.resume_parser import text as text_cleanup
from backend.engines.resume_parser.basics import join_paragraph
from backend.engines.resume_parser.dates import DateRange, find_date_range, remove_span
from backend.engines.resume_parser.layout import Row

_STOPWORDS = frozenset(["a", "an", "and", "of", "at", "in", "for", "the", "to", "on", "with", "by", "from", "de"])


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


def plain(row: Row) -> str:
    return text_cleanup.strip_icons(row.text.replace(" | ", "  "))


def head_date(text: str) -> DateRange | None:
    found = find_date_range(text)
    if found is None:
        return None
    rest = remove_span(text, found.span)
    at_edge = not text[: found.span[0]].strip(" (|,–—-") or not text[found.span[1] :].strip(" )|,.")
    if found.single and len(rest.split()) > 6 and not at_edge:
        return None  # a year inside a sentence ("scaled to 2000 users in 2019")
    return found


def _is_sentence(row: Row, geometry: Geometry) -> bool:
    text = plain(row)
    tokens = text.split()
    if len(tokens) < 6 or head_date(text):
        return False
    lowercase = sum(1 for t in tokens if t[:1].islower() and t.lower() not in _STOPWORDS)
    full = row.x1 >= geometry.right - 0.15 * geometry.width
    return (
        lowercase / len(tokens) >= 0.3
        or (text.rstrip().endswith((".", "!", ";")) and len(tokens) >= 8)
        or (full and len(tokens) >= 10)
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
    for index, row in enumerate(rows):
        entry = entries[-1]
        bullet = bullet_text(row)
        text = plain(row)
        if bullet is not None and _opens_entry(rows, index, bullet, geometry):
            if entry.head or entry.has_body:
                entry = Entry()
                entries.append(entry)
            entry.head.append(row)
            previous, previous_kind = row, "head"
            continue
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


def _opens_entry(rows: list[Row], index: int, bullet: str, geometry: Geometry) -> bool:
    """Whether the list item at `rows[index]` is a marked entry head (see the module docstring)."""
    row = rows[index]
    if not bullet or len(bullet.split()) > 8 or bullet.rstrip().endswith((".", "!", ";")):
        return False
    if index + 1 >= len(rows):
        return False
    following = rows[index + 1]
    text = plain(following)
    # A line that ends where the next word would not fit continues on the next row; but a date set flush
    # right fills a line without wrapping it, and in a section of short lines the longest one sets the edge.
    dated = head_date(bullet) is not None
    full = not dated and wrapped(row, text, geometry.right) and row.x1 < geometry.right - 2
    if (
        bullet_text(following) is not None
        or not text
        or text.split()[0].islower()
        or following.x0 < row.x0 + 3
        or full
        or _is_sentence(following, geometry)
    ):
        return False
    if dated:
        return True
    for later in rows[index + 1 :]:
        if bullet_text(later) is not None or later.x0 < row.x0 + 3:
            break  # the rows hanging under the marker's text end here
        if head_date(plain(later)) is not None:
            return True
    return False


def wrapped(previous: Row, following: str, right: float) -> bool:
    """Whether `previous` ended because the line was full: the next row's first word would not have
    fitted after it (a word of n letters is about n/2 font sizes wide)."""
    first = following.split()[0] if following.split() else ""
    return previous.x1 + (len(first) * 0.5 + 0.3) * previous.size >= right - 1


def _continues(row: Row, previous: Row, geometry: Geometry) -> bool:
    text = plain(row)
    if not text or head_date(text) or (row.bold and not previous.bold):
        return False
    previous_text = plain(previous)
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
    dated = [i for i, row in enumerate(entry.head) if head_date(plain(row))]
    if len(dated) < 2:
        return [entry]
    period = min(b - a for a, b in itertools.pairwise(dated))
    offset = min(dated[0], period - 1)
    starts = sorted({max(0, i - offset) for i in dated})
    if starts[0] != 0:
        starts.insert(0, 0)
    parts = [Entry(head=entry.head[a:b]) for a, b in zip(starts, [*starts[1:], len(entry.head)], strict=True)]
    parts[-1].highlights, parts[-1].summary = entry.highlights, entry.summary
    return parts
