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

import hashlib
import re
import unicodedata

import pymupdf

from backend.engines.resume_parser.errors import ResumeParseError
from backend.engines.resume_parser.models import PdfInfo

# What MuPDF raises for broken input: its own error tree, or RuntimeError/ValueError from pymupdf.
PDF_ERRORS: tuple[type[Exception], ...] = (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase)
_HEADER_WINDOW = 1024
_EOF_WINDOW = 2048
_FONT_PROBE_PAGES = 5
_MIN_FINGERPRINT_CHARS = 20  # fewer letters and digits: no text layer, nothing to compare by
# Decoded content of one page: a resume page holds a few KB; more is a decompression bomb, refused
# before the text is extracted (a 1 GiB stream of spaces deflates to 1 MB and took ~5 s to extract).
MAX_PAGE_CONTENT_BYTES = 8 * 1024 * 1024
_SPACE = re.compile(r"\s+")


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


def content_fingerprint(doc: pymupdf.Document) -> str | None:
    """SHA-256 of the page count and every page's text (NFKC, whitespace collapsed), or None when the
    document holds (almost) no text. Equal for the same document saved again: other metadata, bytes
    appended after `%%EOF`, an incremental update, objects renumbered or recompressed. Decodes every
    content stream: run it where a hostile file is bounded (the sandbox)."""
    pages = []
    for number in range(doc.page_count):
        page = doc[number]
        if len(page.read_contents()) > MAX_PAGE_CONTENT_BYTES:
            raise ResumeParseError("too_complex")
        text = unicodedata.normalize("NFKC", page.get_text("text"))
        pages.append(_SPACE.sub(" ", text).strip())
    if sum(len(re.sub(r"\W", "", text)) for text in pages) < _MIN_FINGERPRINT_CHARS:
        return None
    canonical = f"{len(pages)}\n" + "\f".join(pages)
    return hashlib.sha256(canonical.encode()).hexdigest()


def inspect_pdf(data: bytes, *, max_pages: int | None = None, fingerprint: bool = False) -> PdfInfo:
    """Cheap checks for upload validation; raises `ResumeParseError` for a file no parse can read.

    Only the header, the cross-reference table, the page tree and the first pages' resource
    dictionaries are read: no content stream is decoded. `max_pages` adds the `too_many_pages`
    check. `fingerprint` adds `PdfInfo.fingerprint` (`content_fingerprint`), which does decode them.
    The api runs it in the sandbox all the same (`inspect_isolated_async`): a hostile page tree or
    cross-reference table costs MuPDF time and memory too.
    """
    try:
        doc = open_pdf(data)
    except MemoryError as exc:
        raise ResumeParseError("too_complex") from exc
    except PDF_ERRORS as exc:  # e.g. a page tree whose counts MuPDF refuses ("Invalid number of pages")
        raise ResumeParseError("corrupt") from exc
    try:
        check_page_count(doc.page_count, max_pages)
        # `is_encrypted` stays true for owner-password-only files, which open without a password.
        encrypted = bool(doc.metadata and doc.metadata.get("encryption"))
        return PdfInfo(
            pages=doc.page_count, encrypted=encrypted, repaired=doc.is_repaired, has_text=_declares_fonts(doc),
            fingerprint=content_fingerprint(doc) if fingerprint else None,
        )  # fmt: skip
    except (MemoryError, pymupdf.mupdf.FzErrorSystem, pymupdf.mupdf.FzErrorLimit) as exc:
        raise ResumeParseError("too_complex") from exc  # out of memory (a failed allocation) or a MuPDF limit
    except PDF_ERRORS as exc:  # a page tree or object graph MuPDF gives up on (bad counts, nesting)
        raise ResumeParseError("corrupt") from exc
    finally:
        doc.close()
