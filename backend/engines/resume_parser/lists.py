"""List sections: skills (with groups, keywords and levels) and languages; grids of blocks.

Templates lay list sections out in two ways that look alike on a page:

- a *grid of blocks* (Reactive Resume's skills: three blocks side by side, each a name, a level and
  a keyword list), read column by column;
- a *table of rows* ("Languages: | Python, Go" or "English | Native"), read row by row.

The difference: in a grid of blocks the pieces of one *row* are the same kind of thing (three
names, three levels, three lists), in a table the pieces of one *column* are.
"""

from __future__ import annotations

import re
from typing import Any

from backend.engines.resume_parser import pieces, vocab
from backend.engines.resume_parser import text as text_cleanup
from backend.engines.resume_parser.entries import Geometry, bullet_text, is_table_header, wrapped
from backend.engines.resume_parser.layout import Row

_LABEL = re.compile(r"^(?P<label>[^:]{1,40}):\s*(?P<rest>.*)$")
_LANGUAGE = re.compile(r"^(?P<language>[A-Z][\w'-]+(?: [A-Z][\w'-]+)?)\s*(?:[(:\-–—]\s*(?P<fluency>[^)]+?)\)?)?$")
_LANGUAGE_LABEL = re.compile(
    r"^(?:mother tongues?|mother tongue\(s\)|native languages?|other languages?|other language\(s\)|"
    r"foreign languages?|spoken languages?)\s*:?$",
    re.IGNORECASE,
)
_CEFR = re.compile(r"^(?:[ABC][12]|native|mother tongue)$", re.IGNORECASE)


def _kind(text: str) -> str:
    plain = text_cleanup.strip_icons(text)
    if _is_level(plain):
        return "level"
    if re.fullmatch(r"[\d\s/.\-–]+", plain):
        return "date"
    return "list" if pieces.is_list_like(plain) else "text"


def _is_level(text: str) -> bool:
    lowered = text.lower().strip(" ()")
    return bool(lowered) and (all(w in vocab.LEVEL_WORDS for w in lowered.split()) or bool(_CEFR.match(lowered)))


def columns_of(rows: list[Row]) -> list[list[Row]]:
    """The rows as one block, or as one block per grid column when they form a grid of blocks."""
    segments = [s for row in rows for s in row.segments]
    if len(rows) < 2 or len(segments) < 4:
        return [rows]
    intervals: list[list[float]] = []
    for segment in sorted(segments, key=lambda s: s.x0):
        if intervals and segment.x0 <= intervals[-1][1] + 2:
            intervals[-1][1] = max(intervals[-1][1], segment.x1)
        else:
            intervals.append([segment.x0, segment.x1])
    # A column starts where text starts, but an interval holding only dates or levels is a
    # right-aligned annotation of the column on its left ("2020" at the end of a certificate block).
    starts: list[float] = []
    for x0, x1 in intervals:
        inside = [s for s in segments if x0 - 0.5 <= s.x0 and s.x1 <= x1 + 0.5]
        if starts and all(_kind(s.text) in ("date", "level") for s in inside):
            continue
        starts.append(x0)
    if len(starts) < 2:
        return [rows]

    def column(segment_x0: float) -> int:
        return max((i for i, start in enumerate(starts) if segment_x0 >= start - 2), default=0)

    multi = [row for row in rows if len({column(s.x0) for s in row.segments}) > 1]
    if len(multi) < 2:
        return [rows]
    row_kinds = [{_kind(s.text) for s in row.segments} for row in multi]
    row_consistent = sum(1 for kinds in row_kinds if len(kinds) == 1) / len(multi)
    column_consistent = 0.0
    for index in range(len(starts)):
        kinds = {_kind(s.text) for row in rows for s in row.segments if column(s.x0) == index}
        column_consistent += (len(kinds) == 1) / len(starts)
    if row_consistent <= column_consistent:
        return [rows]
    blocks: list[list[Row]] = [[] for _ in starts]
    for row in rows:
        for index in range(len(starts)):
            picked = [s for s in row.segments if column(s.x0) == index]
            if picked:
                blocks[index].append(Row(picked, row.page, row.stream))
    return [block for block in blocks if block]


def _lines(rows: list[Row]) -> list[str]:
    """Rows as logical lines. A row continues the previous one when that ended in a comma or reached
    the right edge, and this one starts where the previous row's last piece started (a wrapped list
    keeps its left edge; the next row of a table starts back in the first column)."""
    geometry = Geometry.of(rows)
    lines: list[str] = []
    previous: Row | None = None
    for row in rows:
        if is_table_header(row):
            continue
        bullet = bullet_text(row)
        # Cells of a row (separate segments) are joined with a tab, so that a table row
        # ("Planning<TAB>SAP IBP, Excel") stays distinguishable from a literal "a | b | c" list.
        cells = [text_cleanup.strip_icons(s.text) for s in row.segments]
        text = text_cleanup.strip_icons(bullet) if bullet is not None else "\t".join(c for c in cells if c)
        if not text:
            continue
        if previous is not None and lines and bullet is None and not _LABEL.match(text):
            ended_open = lines[-1].rstrip().endswith((",", ";"))
            full = wrapped(previous, text, geometry.right) and geometry.width > 150
            aligned = abs(row.x0 - previous.segments[-1].x0) <= 3
            if aligned and (ended_open or (full and pieces.is_list_like(lines[-1]))):
                lines[-1] = lines[-1] + ("" if lines[-1].endswith("-") else " ") + text
                previous = row
                continue
        lines.append(text)
        previous = row
    return lines


def _item(text: str) -> tuple[str, str | None]:
    """'Python (Expert)' → ('Python', 'Expert'); 'and Docker' → ('Docker', None)."""
    text = re.sub(r"^(?:and|&)\s+", "", text.strip())
    match = re.match(r"^(.+?)\s*\(([^)]+)\)$", text)
    if match and _is_level(match.group(2)):
        return match.group(1).strip(), match.group(2).strip()
    return text, None


def parse_skills(rows: list[Row]) -> list[dict[str, Any]]:
    skills: list[dict[str, Any]] = []
    for block in columns_of(rows):
        lines = _lines(block)
        group: dict[str, Any] | None = None
        for index, line in enumerate(lines):
            label = _LABEL.match(line)
            if label and not pieces.URL.match(line):
                name, rest = label.group("label").strip(), label.group("rest").strip()
                group = {"name": name, "keywords": []}
                skills.append(group)
                group["keywords"].extend(_item(item)[0] for item in pieces.list_items(rest))
                continue
            label_cell, _, rest_cells = line.partition("\t")
            if rest_cells and not pieces.is_list_like(label_cell) and len(pieces.list_items(rest_cells)) >= 2:
                group = {"name": label_cell.strip(), "keywords": [_item(i)[0] for i in pieces.list_items(rest_cells)]}
                skills.append(group)  # a table row: "Planning | SAP IBP, Kinaxis, Excel"
                continue
            if _is_level(line):
                target = group if group is not None else (skills[-1] if skills else None)
                if target is not None and "level" not in target:
                    target["level"] = line.strip(" ()")
                continue
            items = pieces.list_items(line)
            if len(items) >= 2:
                if group is not None:
                    group["keywords"].extend(_item(item)[0] for item in items)
                    continue
                for item in items:
                    name, level = _item(item)
                    skills.append({"name": name, **({"level": level} if level else {})})
                continue
            following = [x for x in lines[index + 1 : index + 3] if not _is_level(x)]
            if group is None and following and pieces.is_list_like(following[0]) and not _LABEL.match(following[0]):
                group = {"name": line.strip(), "keywords": []}
                skills.append(group)
                continue
            name, level = _item(line)
            if group is not None:
                group["keywords"].append(name)
            else:
                skills.append({"name": name, **({"level": level} if level else {})})
        for skill in skills:
            if "keywords" in skill and not skill["keywords"]:
                del skill["keywords"]
    return [skill for skill in skills if skill.get("name")]


def split_language_rows(rows: list[Row]) -> tuple[list[Row], list[Row]]:
    """A skills section's rows as (skill rows, language rows): Europass lists languages under "Personal
    skills", each behind a label ("Mother tongue(s) | Italian", "Other language(s) | English")."""
    skills: list[Row] = []
    languages: list[Row] = []
    for row in rows:
        label = text_cleanup.strip_icons(row.segments[0].text)
        if len(row.segments) > 1 and _LANGUAGE_LABEL.match(label):
            languages.append(Row(row.segments[1:], row.page, row.stream, row.header_band, row.label_edge))
        else:
            skills.append(row)
    return skills, languages


def parse_languages(rows: list[Row]) -> list[dict[str, str]]:
    languages: list[dict[str, str]] = []
    for line in _lines(rows):
        for raw in pieces.list_items(line):
            item = raw.strip()
            if _is_level(item) and languages and "fluency" not in languages[-1]:
                languages[-1]["fluency"] = item
                continue
            match = _LANGUAGE.match(item)
            if not match:
                continue
            entry = {"language": match.group("language")}
            if match.group("fluency"):
                entry["fluency"] = match.group("fluency").strip()
            languages.append(entry)
    return languages
