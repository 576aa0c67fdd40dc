"""Documents out: resumes and cover letters as PDF, Word and JSON Resume files. Pure computation.

    resume_document(resume, fmt) -> bytes          fmt: "pdf" | "docx" | "json"
    letter_document(letter, fmt) -> bytes          fmt: "pdf" | "docx" | "txt"

`resume` is JSON Resume data (what the parser stores per version). One outline (`outline.py`) feeds
the PDF and the Word writers, so both print the same text in the same order: a single column, section
headings in capitals, "Position — Company" with "Mar 2021 - Present | City, Country" under it, bullets
for highlights. It is the layout the project's resume parser reads back (the round-trip test in
tests/engines/documents holds it to ≥ 98% of fields). PDFs embed their fonts (shipped inside
PyMuPDF) and link emails and URLs; Word files use the built-in styles and real hyperlinks; JSON
validates against JSON Resume v1.0.0 (`json_resume.py`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

from backend.engines.documents import json_resume, pdf, word
from backend.engines.documents.letter import Letter
from backend.engines.documents.outline import outline, text

ResumeFormat = Literal["pdf", "docx", "json"]
LetterFormat = Literal["pdf", "docx", "txt"]
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "json": "application/json",
    "txt": "text/plain",  # Litestar adds "; charset=utf-8"
}


def file_name(*parts: str, ext: str) -> str:
    """A download's file name from its parts: letters and digits kept (any script), other runs as one
    "-", at most 120 characters before the extension. `file_name("Maya Okafor", "resume v2", ext="pdf")`
    is "Maya-Okafor-resume-v2.pdf"."""
    words = "-".join(
        p for p in (re.sub(r"[\W_]+", "-", unicodedata.normalize("NFC", part)).strip("-") for part in parts) if p
    )
    return f"{words[:120].rstrip('-') or 'document'}.{ext}"


def resume_document(resume: dict[str, Any], fmt: ResumeFormat, *, last_modified: str | None = None) -> bytes:
    if fmt == "json":
        return json_resume.to_json_bytes(resume, last_modified=last_modified)
    shape = outline(resume)
    return pdf.resume_pdf(shape) if fmt == "pdf" else word.resume_docx(shape)


def letter_document(letter: Letter, fmt: LetterFormat) -> bytes:
    if fmt == "txt":
        return letter.plain_text().encode()
    if fmt == "pdf":
        return pdf.letter_pdf(letter.heading, letter.paragraphs(), author=text(letter.author))
    return word.letter_docx(letter.heading, letter.paragraphs(), author=text(letter.author))


__all__ = ["MEDIA_TYPES", "Letter", "LetterFormat", "ResumeFormat", "file_name", "letter_document", "resume_document"]
