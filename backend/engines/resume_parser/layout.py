"""Reading order from block geometry: columns, rows, and the order a person reads them in.

PDF generators write text in whatever order they drew it: a two-column template often draws its
sidebar (contact, skills) before the main column, so naive extraction starts with the sidebar and
interleaves the rest. Here each page is cut at a *gutter*: a vertical strip that no text crosses
while text lies on both sides of it, side by side (their vertical extents overlap) rather than
stacked. Text crossing the gutter above the columns is the page header (name, contact line), text
below is the footer.

A right-aligned date next to a job title also leaves a strip no text crosses; what tells it from a
sidebar is that nearly every piece on one side sits on the same baseline as a piece on the other
(it is a row layout, like a table), while two independent columns' baselines rarely line up.

A strip with only dates or contact details on one side is no column either: those annotate the rows
beside them ("Company ........ 2019 – 2021").

Two layouts break those rules and are recognised first:

- a *label column*: a narrow left column of short labels (section names, entry dates, "Mother
  tongue(s)") each set beside the content it labels (Europass, moderncv, templates with headings in
  the margin). It is no sidebar: the page is read as rows, a label first, and each row remembers
  where the label column ends (`Row.label_edge`) so sections can tell a heading set in the margin
  from the first line of its section. What tells it from a sidebar: labels are *anchored* (most of
  those with text beside them sit on that text's baseline, where an independent sidebar's lines
  land only by chance), and no list of labels runs beside prose that wraps from row to row (a
  sidebar on the main column's baselines does; the values of key/value rows do not run on);
- a *sidebar on the main column's baseline grid*: same font size and leading on both sides, so
  nearly every sidebar line shares a baseline with a main-column line, which the row rule would
  read as one table. It is still two columns when the narrow side is short list items that include
  a section name ("Skills") and its consecutive rows sit beside prose that wraps from row to row
  (sentences that fill their line and go on in the next), which a table's cells, dates beside
  titles and key/value rows never are.

Before any of this, a date range that a narrow column wrapped over two lines ("2021 –" over
"Present") is joined back into one piece on its first line.

Page furniture is dropped: page numbers, copyright footers, and lines repeated in the bottom margin
of every page; after the first page also running headers ("Name — Resume", lines repeated in the
top margin).

The output is one list of `Row`s (segments on one baseline in one column, left to right): page by
page the header and the main (wider) column, then the sidebar of every page, so a stream's sections
stay contiguous across page breaks.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from backend.engines.resume_parser import pieces, vocab
from backend.engines.resume_parser import text as text_cleanup
from backend.engines.resume_parser.dates import find_date_range, remove_span, wrapped_range
from backend.engines.resume_parser.extract import PageText, Segment

_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?$", re.IGNORECASE)
_RUNNING_TITLE = re.compile(r"\b(?:resume|résumé|cv|curriculum vitae|page \d)\b", re.IGNORECASE)
_COPYRIGHT = re.compile(r"^(?:©|\(c\)\s|copyright\b)", re.IGNORECASE)
_MARGIN_BAND = 0.07  # top/bottom share of a page where running headers and footers live
_ALIGNED_PT = 1.5


@dataclass(slots=True)
class Row:
    """Segments on one baseline within one column, left to right."""

    segments: list[Segment]
    page: int
    stream: str = "main"  # "main" or "side"
    header_band: bool = False
    label_edge: float = 0.0  # on a page with a label column: where it ends (segments left of it are labels)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def x0(self) -> float:
        return min(s.x0 for s in self.segments)

    @property
    def x1(self) -> float:
        return max(s.x1 for s in self.segments)

    @property
    def y0(self) -> float:
        return min(s.y0 for s in self.segments)

    @property
    def y1(self) -> float:
        return max(s.y1 for s in self.segments)

    @property
    def size(self) -> float:
        return max(s.size for s in self.segments)

    @property
    def bold(self) -> bool:
        return all(s.bold for s in self.segments)

    @property
    def text(self) -> str:
        return " | ".join(s.text for s in self.segments)


@dataclass(frozen=True, slots=True)
class Columns:
    gutter: float
    top: float
    bottom: float
    left_is_main: bool
    labels: bool = False  # the left side is a label column: read the page as rows


def _aligned_share(side: list[Segment], other: list[Segment]) -> float:
    if not side:
        return 0.0
    centers = sorted(s.cy for s in other)
    aligned = 0
    for segment in side:
        if any(abs(segment.cy - cy) <= _ALIGNED_PT for cy in centers):
            aligned += 1
    return aligned / len(side)


def _substantive(segment: Segment) -> bool:
    """Text that could make up a column: not a lone date, a contact item, a page number or an icon."""
    text = text_cleanup.strip_icons(segment.text)
    found = find_date_range(text)
    if found is not None:
        text = remove_span(text, found.span)
    return bool(text) and not pieces.is_contact_only(text) and not _PAGE_NUMBER.match(text)


def _same_row(a: Segment, b: Segment) -> bool:
    return abs(a.cy - b.cy) <= 0.45 * min(a.height, b.height)


def _words(segment: Segment) -> int:
    return len(text_cleanup.strip_icons(segment.text).split())


def _short(segment: Segment) -> bool:
    """A label or a list item: a few words, not a sentence."""
    return _words(segment) <= 6 and len(segment.text) <= 45


def _names_section(segment: Segment) -> bool:
    label = text_cleanup.letters_spaced_out(text_cleanup.strip_icons(segment.text)).rstrip(":").strip()
    return vocab.HEADINGS.get(vocab.compact(label)) is not None


def _page_rows(side: list[Segment], other: list[Segment]) -> list[tuple[list[Segment], list[Segment]]]:
    """The rows the two sides' segments form, top to bottom, as (segments of `side`, segments of `other`)."""
    marks = sorted([(s, True) for s in side] + [(s, False) for s in other], key=lambda mark: mark[0].cy)
    rows: list[tuple[list[Segment], list[Segment]]] = []
    first: Segment | None = None  # the row's first segment, which later ones must share a row with
    for segment, mine in marks:
        if first is None or not _same_row(segment, first):
            rows.append(([], []))
            first = segment
        (rows[-1][0] if mine else rows[-1][1]).append(segment)
    return rows


def _on_baseline(a: Segment, b: Segment) -> bool:
    """Set on one baseline (bottoms agree) or centred on one line, to within a point or so."""
    return abs(a.y1 - b.y1) <= 1.2 or abs(a.cy - b.cy) <= 1.2


def _lists_beside_prose(narrow: list[Segment], wide: list[Segment]) -> bool:
    """Whether consecutive rows of `narrow` sit beside prose that wraps from row to row on the wide side
    (at least twice): a sidebar list on the main column's baselines, not the labels of key/value rows
    (whose values do not run on into each other)."""
    if not wide:
        return False
    edge = max(s.x1 for s in wide)
    rows = _page_rows(narrow, wide)
    flowing = 0
    run = 0
    for index, (mine, theirs) in enumerate(rows):
        run = run + 1 if mine else 0
        if run < 2 or not theirs or not rows[index - 1][1]:
            continue
        before = max(rows[index - 1][1], key=lambda s: s.x1)
        first_word = (min(theirs, key=lambda s: s.x0).text.split() or [""])[0]
        prose = sum(map(_words, rows[index - 1][1])) >= 6 and not before.text.rstrip().endswith((".", "!", "?", ":"))
        if prose and before.x1 + (len(first_word) * 0.5 + 0.3) * before.size >= edge - 1:
            flowing += 1  # a sentence that did not end and filled its line: it goes on in the next row
    return flowing >= 2


def _label_column(left: list[Segment], right: list[Segment]) -> bool:
    """Whether `left` is a column of labels for the content at its right (see the module docstring)."""
    if len(left) < 2 or not right:
        return False
    left_extent = max(s.x1 for s in left) - min(s.x0 for s in left)
    right_extent = max(s.x1 for s in right) - min(s.x0 for s in right)
    if left_extent > 0.6 * right_extent or sum(not _short(s) for s in left) > 0.1 * len(left):
        return False
    beside = [(mine, theirs) for mine, theirs in _page_rows(left, right) if mine and theirs]
    labels = [s for mine, _ in beside for s in mine]
    anchored = [s for mine, theirs in beside for s in mine if any(_on_baseline(s, other) for other in theirs)]
    return len(anchored) >= 2 and len(anchored) >= 0.6 * len(labels) and not _lists_beside_prose(left, right)


def _sidebar_on_grid(narrow: list[Segment], wide: list[Segment]) -> bool:
    """Whether `narrow` is a sidebar of short list items set on the wide column's baselines (see the module
    docstring), rather than the last column of a table or dates beside the rows they date."""
    return (
        sum(map(_short, narrow)) >= 0.9 * len(narrow)
        and any(map(_names_section, narrow))
        and _lists_beside_prose(narrow, wide)
    )


def find_columns(segments: list[Segment], width: float) -> Columns | None:
    """The page's gutter, if its text is laid out as two side-by-side columns."""
    segments = [s for s in segments if s.text != text_cleanup.ICON]  # an icon beside a contact item is no column
    if len(segments) < 8:
        return None
    text_top = min(s.y0 for s in segments)
    text_bottom = max(s.y1 for s in segments)
    valid: list[int] = []
    bands: dict[int, tuple[float, float]] = {}
    for x in range(int(width * 0.15), int(width * 0.85), 2):
        left = [s for s in segments if s.x1 <= x]
        right = [s for s in segments if s.x0 >= x]
        if len(left) < 3 or len(right) < 3:
            continue
        top = max(min(s.y0 for s in left), min(s.y0 for s in right))
        bottom = min(max(s.y1 for s in left), max(s.y1 for s in right))
        if bottom - top < max(60.0, 0.2 * (text_bottom - text_top)):
            continue
        crossing = [s for s in segments if s.x0 < x < s.x1 and top < s.cy < bottom]
        if crossing:
            continue
        valid.append(x)
        bands[x] = (top, bottom)
    if not valid:
        return None
    runs: list[list[int]] = [[valid[0]]]
    for x in valid[1:]:
        if x - runs[-1][-1] <= 2:
            runs[-1].append(x)
        else:
            runs.append([x])
    for run in sorted(runs, key=lambda r: r[-1] - r[0], reverse=True):
        gutter = run[len(run) // 2]
        top, bottom = bands[gutter]
        left = [s for s in segments if s.x1 <= gutter and top - 1 <= s.cy <= bottom + 1]
        right = [s for s in segments if s.x0 >= gutter and top - 1 <= s.cy <= bottom + 1]
        if _label_column(left, right):
            return Columns(gutter, top, bottom, left_is_main=False, labels=True)
        left_extent = max(s.x1 for s in left) - min(s.x0 for s in left)
        right_extent = max(s.x1 for s in right) - min(s.x0 for s in right)
        narrow, wide = (left, right) if left_extent < right_extent else (right, left)
        if max(_aligned_share(left, right), _aligned_share(right, left)) > 0.8 and not _sidebar_on_grid(narrow, wide):
            continue  # a row layout (title ... date, or a table), not two columns
        if min(sum(map(_substantive, left)), sum(map(_substantive, right))) < 3:
            continue  # one side is only dates or contact details set against the rows of the other
        return Columns(gutter, top, bottom, left_is_main=left_extent >= right_extent)
    return None


def join_wrapped_dates(segments: list[Segment]) -> list[Segment]:
    """A date range wrapped over two stacked lines ("2021 –" over "Present") as one segment on the first
    line's geometry, so that it stays on the row of the entry it dates."""
    ordered = sorted(segments, key=lambda s: (s.y0, s.x0))
    joined: list[Segment] = []
    used: set[int] = set()
    for index, first in enumerate(ordered):
        if index in used:
            continue
        for later in range(index + 1, len(ordered)):
            second = ordered[later]
            if second.y0 - first.y1 > 0.6 * first.height:
                break
            if (
                later not in used
                and second.cy - first.cy >= 0.6 * first.height
                and second.x0 < first.x1
                and first.x0 < second.x1
                and wrapped_range(first.text, second.text)
            ):
                used.add(later)
                first = Segment(
                    f"{first.text} {second.text}",
                    first.x0,
                    first.y0,
                    max(first.x1, second.x1),
                    first.y1,
                    first.size,
                    first.bold,
                    first.page,
                )
                break
        joined.append(first)
    return joined


def group_rows(segments: list[Segment], page: int, stream: str) -> list[Row]:
    """Segments grouped into rows by baseline, rows top to bottom, segments left to right."""
    rows: list[Row] = []
    for segment in sorted(segments, key=lambda s: (round(s.cy, 1), s.x0)):
        if rows:
            row = rows[-1]
            row_cy = statistics.fmean(s.cy for s in row.segments)
            row_h = min(s.height for s in row.segments)
            overlaps = any(segment.x0 < s.x1 - 1 and s.x0 < segment.x1 - 1 for s in row.segments)
            if abs(segment.cy - row_cy) <= 0.45 * min(row_h, segment.height) and not overlaps:
                row.segments.append(segment)
                continue
        rows.append(Row([segment], page, stream))
    for row in rows:
        row.segments.sort(key=lambda s: s.x0)
        row.segments = _merge_touching(row.segments)
    return rows


def _merge_touching(segments: list[Segment]) -> list[Segment]:
    """Pieces of one phrase drawn separately (a bold word, then the rest) become one segment."""
    merged = [segments[0]]
    for segment in segments[1:]:
        last = merged[-1]
        gap = segment.x0 - last.x1
        if gap < 0.3 * max(last.size, segment.size):
            joiner = " " if gap > 0.12 * last.size else ""
            merged[-1] = Segment(
                last.text + joiner + segment.text,
                last.x0,
                min(last.y0, segment.y0),
                segment.x1,
                max(last.y1, segment.y1),
                max(last.size, segment.size),
                last.bold and segment.bold,
                last.page,
            )
        else:
            merged.append(segment)
    return merged


def _drop_running_lines(pages: list[PageText]) -> list[list[Segment]]:
    """Each page's segments without page furniture: page numbers and copyright lines in the margins,
    footers repeated across pages, and, after the first page (whose top may hold the name), running
    headers: lines in the top margin that repeat across pages or read like "Name — Resume"."""

    def in_top(segment: Segment, page: PageText) -> bool:
        return segment.y1 < page.height * _MARGIN_BAND

    def in_bottom(segment: Segment, page: PageText) -> bool:
        return segment.y0 > page.height * (1 - _MARGIN_BAND)

    repeated: Counter[str] = Counter()
    if len(pages) > 1:
        for page in pages:
            repeated.update({s.text for s in page.segments if in_top(s, page) or in_bottom(s, page)})
    kept: list[list[Segment]] = []
    for page in pages:
        keep = []
        for segment in page.segments:
            top, bottom = in_top(segment, page), in_bottom(segment, page)
            if (top or bottom) and (_PAGE_NUMBER.match(segment.text) or _COPYRIGHT.match(segment.text)):
                continue
            if bottom and repeated[segment.text] > 1:
                continue
            if (
                (top or bottom)
                and page.number > 0
                and (repeated[segment.text] > 1 or _RUNNING_TITLE.search(segment.text))
            ):
                continue
            keep.append(segment)
        kept.append(keep)
    return kept


def reading_order(pages: list[PageText]) -> list[Row]:
    """All rows of the document in reading order (see the module docstring)."""
    main: list[Row] = []
    side: list[Row] = []
    for page, kept in zip(pages, _drop_running_lines(pages), strict=True):
        segments = join_wrapped_dates(kept)
        columns = find_columns(segments, page.width)
        if columns is None or columns.labels:
            rows = group_rows(segments, page.number, "main")
            for row in rows:
                row.label_edge = columns.gutter if columns is not None else 0.0
            main.extend(rows)
            continue
        header, left, right, footer = [], [], [], []
        for segment in segments:
            if segment.x1 <= columns.gutter:
                left.append(segment)
            elif segment.x0 >= columns.gutter:
                right.append(segment)
            elif segment.cy <= columns.top:
                header.append(segment)
            else:
                footer.append(segment)
        main_segments, side_segments = (left, right) if columns.left_is_main else (right, left)
        header_rows = group_rows(header, page.number, "main")
        for row in header_rows:
            row.header_band = True
        main.extend(header_rows)
        main.extend(group_rows(main_segments, page.number, "main"))
        main.extend(group_rows(footer, page.number, "main"))
        side.extend(group_rows(side_segments, page.number, "side"))
    return main + side


def body_size(rows: list[Row]) -> float:
    """The font size most of the text is set in (weighted by characters)."""
    weights: Counter[float] = Counter()
    for row in rows:
        for segment in row.segments:
            weights[round(segment.size, 1)] += len(segment.text)
    return weights.most_common(1)[0][0] if weights else 10.0
