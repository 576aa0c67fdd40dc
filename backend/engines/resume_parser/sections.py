"""Section headings and the rows under them, per stream (main column, sidebar).

A heading is a row holding one short piece of text that names a section ("Experience", "WORK
HISTORY", "E D U C A T I O N", "Skills & Awards:"). Exact names from `vocab.HEADINGS` count as they
are (many templates set headings in the body font); a few words that also occur as ordinary text
("Work", "Training", "Links") and phrases that merely contain a section word ("Experience
Highlights 2020") count only when styled as a heading: capitals, bold or a larger size.
Rows before a stream's first heading form its `header` section (name, title, contact).

On a page with a label column (layout) a heading may share its row with the first line of its
section ("Experience | Employer | January 2019 to Present"): the label is cut off as the heading and
the rest of the row opens the section. Headings live in one place per document, though: when some
heading stands on its own row in the content column (moderncv puts them there, with dates and group
names such as "Languages" in the label column), labels are never headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from backend.engines.resume_parser import text as text_cleanup
from backend.engines.resume_parser import vocab
from backend.engines.resume_parser.extract import Segment
from backend.engines.resume_parser.layout import Row

_NEEDS_STYLE = frozenset(
    vocab.compact(word)
    for word in (
        "work",
        "career",
        "positions",
        "details",
        "training",
        "courses",
        "language",
        "links",
        "social",
        "online",
        "community",
        "talks",
        "papers",
        "studies",
        "about",
        "introduction",
        "overview",
        "expertise",
        "technologies",
        "toolbox",
        "credentials",
        "accomplishments",
        "achievements",
        "profiles",
        "academics",
        "open source",
        "internships",
    )
)


@dataclass(slots=True)
class Section:
    kind: str
    title: str
    stream: str
    rows: list[Row] = field(default_factory=list)


def heading_kind(row: Row, body: float, current: str) -> str | None:
    """The section kind a row opens, or None when it is not a heading."""
    pieces = [s.text for s in row.segments if s.text != text_cleanup.ICON]
    if len(pieces) != 1:
        return None
    raw = text_cleanup.letters_spaced_out(text_cleanup.strip_icons(pieces[0]))
    label = raw.rstrip(":").strip()
    if not label or len(label) > 45 or len(label.split()) > 5 or re.search(r"\d|[.,;]$|@", label):
        return None
    if raw.endswith(":") and current == "skills":
        return None  # "Languages:" inside a skills section labels a group of skills
    key = vocab.compact(label)
    styled = label.isupper() or row.bold or row.size >= body * 1.15
    kind = vocab.HEADINGS.get(key)
    if kind is not None and (key not in _NEEDS_STYLE or styled):
        return kind
    if styled and label[:1].isupper():
        for word in re.findall(r"[a-z]+", label.lower()):
            if word in vocab.HEADING_WORDS:
                return vocab.HEADING_WORDS[word]
    return None


def _is_label(segment: Segment, row: Row) -> bool:
    return row.label_edge > 0 and segment.x1 <= row.label_edge


def _labels_may_be_headings(rows: list[Row], body: float) -> bool:
    """False when a heading stands on its own row in a content column (see the module docstring)."""
    return not any(
        row.label_edge > 0 and not any(_is_label(s, row) for s in row.segments) and heading_kind(row, body, "")
        for row in rows
    )


def split_label_headings(rows: list[Row], body: float) -> list[Row]:
    """`rows` with each heading set in a label column beside its section's first line cut off into a row of
    its own, before that line (see the module docstring)."""
    if not any(row.label_edge > 0 for row in rows) or not _labels_may_be_headings(rows, body):
        return rows
    result: list[Row] = []
    current = ""
    for row in rows:
        first = row.segments[0]
        if len(row.segments) > 1 and _is_label(first, row):
            label = Row([first], row.page, row.stream, row.header_band, row.label_edge)
            kind = heading_kind(label, body, current)
            if kind is not None:
                result.append(label)
                result.append(Row(row.segments[1:], row.page, row.stream, row.header_band, row.label_edge))
                current = kind
                continue
        current = heading_kind(row, body, current) or current
        result.append(row)
    return result


def split_sections(rows: list[Row], body: float) -> list[Section]:
    """Each stream's rows cut into sections at headings, in reading order."""
    sections: list[Section] = []
    current: dict[str, Section] = {}
    for row in rows:
        section = current.get(row.stream)
        if section is None:
            section = current[row.stream] = Section("header", "", row.stream)
            sections.append(section)
        kind = heading_kind(row, body, section.kind)
        if kind is not None:
            title = text_cleanup.strip_icons(row.text).rstrip(":").strip()
            section = current[row.stream] = Section(kind, text_cleanup.letters_spaced_out(title), row.stream)
            sections.append(section)
            continue
        section.rows.append(row)
    return sections
