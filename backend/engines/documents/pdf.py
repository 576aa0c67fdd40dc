"""PDFs drawn with PyMuPDF: one column, a real text layer, embedded fonts, clickable links.

Text is set line by line with `insert_text` in fonts that ship inside PyMuPDF, so the output is the
same on any machine: Nimbus Sans (regular and bold, MuPDF's Helvetica), embedded as Unicode (CID)
fonts so accents, dashes and bullets survive copy and paste; a line with a character Nimbus Sans
lacks (CJK, for one) is set in Droid Sans Fallback, also built into MuPDF. Fonts are subset before
saving. Links are URI annotations over the printed text (mailto:, tel:, https:).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pymupdf

from backend.engines.documents.outline import Outline, Piece, display_url, web_link

PAGE = pymupdf.paper_rect("a4")
MARGIN = 54.0
WIDTH = PAGE.width - 2 * MARGIN
BLACK = (0, 0, 0)
GREY = (0.25, 0.25, 0.25)
LINK = (0.05, 0.2, 0.55)
_FONTS = {"regular": "helv", "bold": "hebo", "fallback": "cjk"}


@cache
def _font(style: str) -> pymupdf.Font:
    return pymupdf.Font(_FONTS[style])


@cache
def _has(style: str, char: str) -> bool:
    return char.isspace() or bool(_font(style).has_glyph(ord(char)))


@cache
def _advance(style: str, char: str) -> float:
    """The advance of `char` at size 1 (insert_text sets no kerning, so widths add up)."""
    return float(_font(style).glyph_advance(ord(char)))


def font_for(content: str, bold: bool) -> str:
    """The style that draws every character of `content`: Nimbus Sans, else the fallback font."""
    style = "bold" if bold else "regular"
    return style if all(_has(style, ch) for ch in content) else "fallback"


def width_of(content: str, bold: bool, size: float) -> float:
    style = font_for(content, bold)
    return sum(_advance(style, ch) for ch in content) * size


def _cut(word: str, width: float, bold: bool, size: float) -> list[str]:
    """A word wider than a line, in pieces that fit (at least one character each)."""
    style = font_for(word, bold)
    pieces, start, used = [], 0, 0.0
    for index, char in enumerate(word):
        advance = _advance(style, char) * size
        if index > start and used + advance > width:
            pieces.append(word[start:index])
            start, used = index, 0.0
        used += advance
    pieces.append(word[start:])
    return pieces


def wrap(content: str, width: float, bold: bool, size: float) -> list[str]:
    """Words into lines no wider than `width` (a word wider than a line is cut by characters)."""
    lines: list[str] = []
    line, used = "", 0.0
    space = width_of(" ", bold, size)
    for word in content.split():
        wide = width_of(word, bold, size)
        if line and used + space + wide <= width:
            line, used = f"{line} {word}", used + space + wide
            continue
        if line:
            lines.append(line)
        if wide > width:
            *whole, word = _cut(word, width, bold, size)
            lines.extend(whole)
            wide = width_of(word, bold, size)
        line, used = word, wide
    if line:
        lines.append(line)
    return lines


@dataclass
class Pen:
    """A cursor down the pages of one document."""

    doc: pymupdf.Document
    page: pymupdf.Page | None = None
    y: float = 0.0

    def __post_init__(self) -> None:
        self.new_page()

    def new_page(self) -> None:
        self.page = self.doc.new_page(width=PAGE.width, height=PAGE.height)
        for style, name in _FONTS.items():
            if style != "fallback":
                self.page.insert_font(fontname=f"F{name}", fontbuffer=_font(style).buffer)
        self.fallback_loaded = False
        self.y = MARGIN

    def room(self, height: float) -> None:
        """Start a new page unless `height` more points fit on this one."""
        if self.y + height > PAGE.height - MARGIN:
            self.new_page()

    def _fontname(self, style: str) -> str:
        assert self.page is not None
        if style == "fallback" and not self.fallback_loaded:
            self.page.insert_font(fontname="Fcjk", fontbuffer=_font("fallback").buffer)
            self.fallback_loaded = True
        return f"F{_FONTS[style]}"

    def put(
        self, x: float, content: str, *, size: float, bold: bool = False, color: tuple[float, ...] = BLACK,
        link: str | None = None,
    ) -> float:  # fmt: skip
        """Draw `content` on the current baseline at `x`; its width. A link covers the drawn text."""
        assert self.page is not None
        style = font_for(content, bold)
        self.page.insert_text(
            (x, self.y), content, fontname=self._fontname(style), fontsize=size, color=LINK if link else color
        )
        width = width_of(content, bold, size)
        if link:
            area = pymupdf.Rect(x, self.y - size * 0.9, x + width, self.y + size * 0.25)
            self.page.insert_link({"kind": pymupdf.LINK_URI, "from": area, "uri": link})
        return width

    def line(self, content: str, *, size: float, bold: bool = False, indent: float = 0.0, gap: float = 1.35,
             color: tuple[float, ...] = BLACK, link: str | None = None) -> None:  # fmt: skip
        """A wrapped paragraph at the left margin (+ `indent`), each line `gap` times `size` below the last."""
        for index, part in enumerate(wrap(content, WIDTH - indent, bold, size)):
            self.room(size * gap)
            self.y += size * gap
            self.put(MARGIN + indent, part, size=size, bold=bold, color=color, link=link if index == 0 else None)

    def pieces(self, pieces: list[Piece], *, size: float, separator: str = " | ") -> None:
        """Contact pieces on lines joined by `separator`, each linked, wrapping between pieces."""
        rows: list[list[Piece]] = [[]]
        used = 0.0
        gap = width_of(separator, False, size)
        for piece in pieces:
            width = width_of(piece.text, False, size)
            if rows[-1] and used + gap + width > WIDTH:
                rows.append([])
                used = 0.0
            used += (gap if rows[-1] else 0.0) + width
            rows[-1].append(piece)
        for row in (r for r in rows if r):
            self.room(size * 1.4)
            self.y += size * 1.4
            x = MARGIN
            for index, piece in enumerate(row):
                if index:
                    x += self.put(x, separator, size=size, color=GREY)
                x += self.put(x, piece.text, size=size, color=GREY, link=piece.link)


def _finish(doc: pymupdf.Document, title: str, author: str) -> bytes:
    doc.set_metadata({"title": title, "author": author, "creator": "Career Copilot", "producer": "PyMuPDF"})
    doc.subset_fonts()
    return doc.tobytes(garbage=3, deflate=True)


def resume_pdf(outline: Outline) -> bytes:
    """The resume as an ATS-friendly PDF: headings, entries and bullets in reading order."""
    doc = pymupdf.open()
    pen = Pen(doc)
    if outline.name:
        pen.line(outline.name, size=20, bold=True, gap=1.0)
    if outline.headline:
        pen.line(outline.headline, size=12, gap=1.6)
    if outline.contact:
        pen.pieces(outline.contact, size=9)
    for section in outline.sections:
        pen.room(11.5 * 2.2 + 10.5 * 1.6)  # a heading never ends a page
        pen.y += 6
        pen.line(section.heading, size=11.5, bold=True, gap=1.6)
        assert pen.page is not None
        pen.page.draw_line((MARGIN, pen.y + 3), (PAGE.width - MARGIN, pen.y + 3), color=GREY, width=0.5)
        pen.y += 2
        for entry in section.entries:
            if entry.title:
                pen.room(10.5 * 1.7 + 10 * 1.35)  # the title stays with its first line
                pen.y += 3
                pen.line(entry.title, size=10.5, bold=True, gap=1.6)
            if entry.subtitle and entry.subtitle != entry.title:
                pen.line(entry.subtitle, size=10, color=GREY)
            for text in entry.lines:
                pen.line(text, size=10)
            for bullet in entry.bullets:
                pen.room(10 * 1.35)
                pen.y += 10 * 1.35
                pen.put(MARGIN + 2, "\u2022", size=10)
                pen.y -= 10 * 1.35
                pen.line(bullet, size=10, indent=12)
            if entry.link:
                pen.line(display_url(entry.link), size=9, color=GREY, link=web_link(entry.link))
    return _finish(doc, f"{outline.name or 'Resume'} - Resume", outline.name)


def letter_pdf(heading: str, paragraphs: list[list[str]], author: str = "") -> bytes:
    """A letter: its heading (role and company), then its paragraphs, each line wrapped, a gap between."""
    doc = pymupdf.open()
    pen = Pen(doc)
    if heading:
        pen.line(heading, size=14, bold=True, gap=1.0)
        pen.y += 14
    for lines in paragraphs:
        for text in lines:
            pen.line(text, size=11, gap=1.45)
        pen.y += 8
    return _finish(doc, heading or "Cover letter", author)
