"""Text with geometry from each page: `Segment`s (a run of text on one baseline) and link targets.

A pymupdf *line* can hold pieces that a reader sees as separate ("Senior Engineer ........ 2019 –
2021" laid out with a wide gap or a run of spaces); it is split there, so later stages see the
same fields a reader does. Text that is not horizontal (watermarks, rotated labels) is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pymupdf

from backend.engines.resume_parser import text as text_cleanup
from backend.engines.resume_parser.document import PDF_ERRORS
from backend.engines.resume_parser.errors import ResumeParseError

# Ligatures are expanded by MuPDF (no TEXT_PRESERVE_LIGATURES) and again by NFKC in text.clean.
_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP
_GAP_EM = 1.2  # a horizontal gap wider than this many font sizes separates two fields
_SPACE_RUN = re.compile(r" {3,}|\t+")
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
MAX_CHARS = 300_000  # far beyond any resume: more text than this is a hostile or a wrong document
_MAX_DRAWINGS = 20_000  # beyond this a page is artwork, not a resume with drawn bullets
_OUT_OF_MEMORY = re.compile(r"\b(?:[mc]alloc|realloc)\b.*failed|out of memory", re.IGNORECASE)  # MuPDF's words


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool
    page: int

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return max(self.y1 - self.y0, 1.0)


@dataclass(frozen=True, slots=True)
class Link:
    uri: str
    page: int
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(slots=True)
class PageText:
    number: int
    width: float
    height: float
    segments: list[Segment] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    images: int = 0


def _span_parts(raw: str, x0: float, x1: float) -> Iterator[tuple[str, float, float, bool]]:
    """(text, x0, x1, starts_new_piece) for the parts of one span that runs of spaces separate."""
    per_char = (x1 - x0) / max(len(raw), 1)
    position = 0
    for index, separator in enumerate([*_SPACE_RUN.finditer(raw), None]):
        stop = separator.start() if separator else len(raw)
        if stop > position or index == 0:
            yield raw[position:stop], x0 + position * per_char, x0 + stop * per_char, index > 0
        if separator:
            position = separator.end()


def _pieces(line: dict[str, Any]) -> list[tuple[str, float, float, float, bool]]:
    """(raw text, x0, x1, size, bold) for each visually separate piece of one pymupdf line."""
    pieces: list[list[Any]] = []
    for span in line["spans"]:
        raw = span["text"]
        if not raw:
            continue
        sx0, _, sx1, _ = span["bbox"]
        size = float(span["size"])
        bold = bool(span["flags"] & pymupdf.TEXT_FONT_BOLD) or bool(_BOLD_FONT.search(span["font"]))
        for part, px0, px1, new in _span_parts(raw, sx0, sx1):
            last = pieces[-1] if pieces else None
            if last is None or new or px0 - last[2] > _GAP_EM * max(last[3], size):
                pieces.append([part, px0, px1, size if part.strip() else 0.0, bold and bool(part.strip())])
                continue
            last[0] += part
            last[2] = max(last[2], px1)
            if part.strip():
                last[3] = max(last[3], size)
                last[4] = last[4] or bold
    return [(text, x0, x1, size, bold) for text, x0, x1, size, bold in pieces]


def _drawn_bullets(page: pymupdf.Page, segments: list[Segment]) -> list[Segment]:
    """List markers drawn as small filled shapes (dots, squares) rather than glyphs, as `ICON` segments.

    A shape counts when it is at most 7 pt wide and high and a text segment starts just right of it
    on the same line; without this a list whose items fill their lines reads as one paragraph.
    """
    marks: list[Segment] = []
    try:
        drawings = page.get_cdrawings()
    except PDF_ERRORS:
        return marks
    if len(drawings) > _MAX_DRAWINGS:
        return marks
    for drawing in drawings:
        if drawing.get("fill") is None:
            continue
        x0, y0, x1, y1 = drawing["rect"]
        if not (0.8 <= x1 - x0 <= 7 and 0.8 <= y1 - y0 <= 7):
            continue
        cy = (y0 + y1) / 2
        for segment in segments:
            if 0.5 <= segment.x0 - x1 <= 20 and segment.y0 <= cy <= segment.y1 and segment.text != text_cleanup.ICON:
                marks.append(
                    Segment(text_cleanup.ICON, x0, segment.y0, x1, segment.y1, segment.size, False, segment.page)
                )
                break
    return marks


def extract_page(page: pymupdf.Page) -> PageText:
    """The page's segments (cleaned text), URI links and image count."""
    result = PageText(number=page.number or 0, width=page.rect.width, height=page.rect.height)
    content = page.get_text("dict", flags=_FLAGS)
    for block in content.get("blocks", []):
        if block.get("type", 0) != 0:
            continue
        for line in block.get("lines", []):
            direction = line.get("dir", (1.0, 0.0))
            if abs(direction[0] - 1.0) > 0.01 or abs(direction[1]) > 0.01:
                continue
            _, ly0, _, ly1 = line["bbox"]
            for raw, x0, x1, size, bold in _pieces(line):
                cleaned = text_cleanup.clean(raw)
                if cleaned:
                    result.segments.append(Segment(cleaned, x0, ly0, x1, ly1, size or 1.0, bold, result.number))
    result.segments.extend(_drawn_bullets(page, result.segments))
    for link in page.get_links():
        uri = link.get("uri")
        if link.get("kind") == pymupdf.LINK_URI and isinstance(uri, str) and uri:
            rect = link["from"]
            result.links.append(Link(uri.strip(), result.number, rect.x0, rect.y0, rect.x1, rect.y1))
    result.images = len(page.get_images(full=False))
    return result


def extract(doc: pymupdf.Document, warnings: list[str]) -> list[PageText]:
    """Every page's text; unreadable pages are skipped with a warning, all unreadable is `corrupt`."""
    pages: list[PageText] = []
    chars = 0
    failed = 0
    for number in range(doc.page_count):
        try:
            page_text = extract_page(doc.load_page(number))
        except PDF_ERRORS as exc:
            if _OUT_OF_MEMORY.search(str(exc)):
                raise ResumeParseError("too_complex") from exc
            failed += 1
            continue
        chars += sum(len(segment.text) for segment in page_text.segments)
        if chars > MAX_CHARS:
            raise ResumeParseError("too_complex", "The PDF holds far more text than a resume; it was not read.")
        pages.append(page_text)
    if failed and not pages:
        raise ResumeParseError("corrupt")
    if failed:
        warnings.append(f"{failed} page(s) could not be read and were skipped.")
    return pages
