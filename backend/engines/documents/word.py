"""Word (.docx) documents with python-docx: built-in styles (Title, Heading 1, List Bullet), so an ATS
or a screen reader sees the structure, and real hyperlinks for emails and URLs."""

from __future__ import annotations

import io

import docx
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph

from backend.engines.documents.outline import Outline, Piece, display_url, web_link

_FONT = "Calibri"


def _document() -> docx.document.Document:
    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name = _FONT
    normal.font.size = Pt(10.5)
    for section in document.sections:
        section.left_margin = section.right_margin = Pt(54)
        section.top_margin = section.bottom_margin = Pt(54)
    return document


def hyperlink(paragraph: Paragraph, text: str, uri: str) -> None:
    """An external hyperlink run (python-docx has no API for writing one)."""
    rel_id = paragraph.part.relate_to(uri, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    props.append(style)
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "1F3A8C")
    props.append(color)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(underline)
    run.append(props)
    body = OxmlElement("w:t")
    body.text = text
    body.set(qn("xml:space"), "preserve")
    run.append(body)
    link.append(run)
    paragraph._p.append(link)


def _pieces(paragraph: Paragraph, pieces: list[Piece]) -> None:
    for index, piece in enumerate(pieces):
        if index:
            paragraph.add_run(" | ")
        if piece.link:
            hyperlink(paragraph, piece.text, piece.link)
        else:
            paragraph.add_run(piece.text)


def _save(document: docx.document.Document, title: str, author: str) -> bytes:
    document.core_properties.title = title
    document.core_properties.author = author
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def resume_docx(outline: Outline) -> bytes:
    document = _document()
    if outline.name:
        document.add_heading(outline.name, level=0)
    if outline.headline:
        document.add_paragraph(outline.headline)
    if outline.contact:
        _pieces(document.add_paragraph(), outline.contact)
    for section in outline.sections:
        document.add_heading(section.heading, level=1)
        for entry in section.entries:
            if entry.title:
                title = document.add_paragraph()
                title.add_run(entry.title).bold = True
                title.paragraph_format.space_before = Pt(6)
                title.paragraph_format.space_after = Pt(0)
            if entry.subtitle and entry.subtitle != entry.title:
                subtitle = document.add_paragraph()
                subtitle.add_run(entry.subtitle).font.color.rgb = RGBColor(0x40, 0x40, 0x40)
                subtitle.paragraph_format.space_after = Pt(2)
            for text in entry.lines:
                document.add_paragraph(text)
            for bullet in entry.bullets:
                document.add_paragraph(bullet, style="List Bullet")
            if entry.link and (uri := web_link(entry.link)):
                hyperlink(document.add_paragraph(), display_url(entry.link), uri)
            elif entry.link:
                document.add_paragraph(entry.link)
    return _save(document, f"{outline.name or 'Resume'} - Resume", outline.name)


def letter_docx(heading: str, paragraphs: list[list[str]], author: str = "") -> bytes:
    """A letter: its heading, then a paragraph per block with its line breaks kept."""
    document = _document()
    if heading:
        document.add_heading(heading, level=1)
    for lines in paragraphs:
        paragraph = document.add_paragraph()
        for index, text in enumerate(lines):
            run = paragraph.add_run(text)
            if index < len(lines) - 1:
                run.add_break()
    return _save(document, heading or "Cover letter", author)
