"""Opening a PDF from bytes with every cheap refusal in one place: not a PDF, damaged, locked, empty.

pymupdf is lenient by design: it opens a PNG as a one-page "document" when asked for a PDF, and it
silently *repairs* a truncated file into zero pages. The checks below make those cases errors:

- `%PDF-` must appear in the first 1024 bytes (where readers accept the header) and pymupdf must
  agree that the result is a PDF;
- a repaired file is `corrupt` when the repair recovered no page or the file has no `%%EOF` marker
  near its end (truncated upload); a file with a broken cross-reference table that repairs cleanly
  (common with some generators) is accepted, with `repaired=True` and a warning;
- a file that needs a password is `encrypted` (owner-password-only files open without one and are
  fine);
- 0 bytes or 0 pages is `empty`.
"""

from __future__ import annotations

import pymupdf

from backend.engines.resume_parser.errors import ResumeParseError
from backend.engines.resume_parser.models import PdfInfo

# What MuPDF raises for broken input: its own error tree, or RuntimeError/ValueError from pymupdf.
PDF_ERRORS: tuple[type[Exception], ...] = (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase)
_HEADER_WINDOW = 1024
_EOF_WINDOW = 2048
_FONT_PROBE_PAGES = 5


def open_pdf(data: bytes) -> pymupdf.Document:
    """The document, or `ResumeParseError` (`empty`, `not_pdf`, `corrupt`, `encrypted`)."""
    if not data:
        raise ResumeParseError("empty", "The file is empty (0 bytes).")
    has_header = b"%PDF-" in data[:_HEADER_WINDOW]
    if not has_header:
        raise ResumeParseError("not_pdf")
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except pymupdf.EmptyFileError as exc:
        raise ResumeParseError("empty", "The file is empty (0 bytes).") from exc
    except PDF_ERRORS as exc:
        raise ResumeParseError("corrupt") from exc
    if not doc.is_pdf:
        doc.close()
        raise ResumeParseError("not_pdf")
    if doc.needs_pass:
        doc.close()
        raise ResumeParseError("encrypted")
    if doc.is_repaired and (doc.page_count == 0 or b"%%EOF" not in data[-_EOF_WINDOW:]):
        doc.close()
        raise ResumeParseError("corrupt")
    if doc.page_count == 0:
        doc.close()
        raise ResumeParseError("empty")
    return doc


def check_page_count(pages: int, max_pages: int | None) -> None:
    if max_pages is not None and pages > max_pages:
        raise ResumeParseError(
            "too_many_pages",
            f"The PDF has {pages} pages; a resume may have at most {max_pages}. Upload a shorter document.",
        )


def _declares_fonts(doc: pymupdf.Document) -> bool:
    for number in range(min(doc.page_count, _FONT_PROBE_PAGES)):
        try:
            if doc.get_page_fonts(number, full=False):
                return True
        except PDF_ERRORS:
            continue
    return False


def inspect_pdf(data: bytes, *, max_pages: int | None = None) -> PdfInfo:
    """Cheap checks for upload validation; raises `ResumeParseError` for a file no parse can read.

    Only the header, the cross-reference table, the page tree and the first pages' resource
    dictionaries are read: no content stream is decoded, so this is safe to run in the api process.
    `max_pages` adds the `too_many_pages` check.
    """
    doc = open_pdf(data)
    try:
        check_page_count(doc.page_count, max_pages)
        # `is_encrypted` stays true for owner-password-only files, which open without a password.
        encrypted = bool(doc.metadata and doc.metadata.get("encryption"))
        return PdfInfo(
            pages=doc.page_count, encrypted=encrypted, repaired=doc.is_repaired, has_text=_declares_fonts(doc)
        )
    finally:
        doc.close()
