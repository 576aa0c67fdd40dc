"""`parse_pdf`: bytes → `ParseResult`, in this process (the sandbox runs it in a child)."""

from __future__ import annotations

import re

from backend.engines.resume_parser import document, extract, fields, layout, sections
from backend.engines.resume_parser import text as text_cleanup
from backend.engines.resume_parser.errors import ResumeParseError
from backend.engines.resume_parser.models import ParseResult, ProgressCallback

_MIN_TEXT_CHARS = 20  # fewer letters and digits than this is not a text layer (a scan's stray marks)


def _no_progress(stage: str, percent: int) -> None:
    return None


def render_text(rows: list[layout.Row]) -> str:
    """The document's text in reading order: one row a line, a blank line between streams and pages.

    Icon glyphs are dropped, except at the start of a row where they read as a list marker ("• ")."""
    lines: list[str] = []
    previous: layout.Row | None = None
    for row in rows:
        if previous is not None and (row.stream != previous.stream or row.page != previous.page):
            lines.append("")
        line = " | ".join(text_cleanup.strip_icons(s.text) for s in row.segments if text_cleanup.strip_icons(s.text))
        if line and row.segments[0].text.startswith(text_cleanup.ICON):
            line = f"{text_cleanup.ICON} {line}"  # a list marker (glyph, icon or drawn dot) stays a bullet
        if line:
            lines.append(line)
        previous = row
    return "\n".join(lines).strip()


def parse_pdf(data: bytes, *, max_pages: int = 20, progress: ProgressCallback | None = None) -> ParseResult:
    """Parse a resume PDF into JSON Resume fields; raises `ResumeParseError` with a user-safe reason.

    Runs in the calling process with no resource limits: use `parse_isolated` for untrusted uploads.
    """
    report = progress or _no_progress
    warnings: list[str] = []
    try:
        report("extracting", 20)
        doc = document.open_pdf(data)
        try:
            document.check_page_count(doc.page_count, max_pages)
            if doc.is_repaired:
                warnings.append("The PDF was damaged and has been repaired; some content may be missing.")
            pages = extract.extract(doc, warnings)
            page_count = doc.page_count
        finally:
            doc.close()
        letters = sum(len(re.sub(r"\W", "", s.text)) for page in pages for s in page.segments)
        if letters < _MIN_TEXT_CHARS:
            raise ResumeParseError("no_text")
        scanned = [p.number + 1 for p in pages if not p.segments and p.images]
        if scanned:
            listed = ", ".join(str(n) for n in scanned)
            warnings.append(f"Page(s) {listed} hold only images (scanned?); their content could not be read.")

        report("layout", 40)
        rows = layout.reading_order(pages)

        report("sections", 60)
        body = layout.body_size(rows)
        rows = sections.split_label_headings(rows, body)
        found = sections.split_sections(rows, body)

        report("fields", 80)
        links = [link for page in pages for link in page.links]
        resume = fields.build_resume(found, links)
        if not resume["work"] and not any(s.kind == "work" for s in found):
            warnings.append("No work experience section was recognised.")
        text = render_text(rows)
    except MemoryError as exc:
        raise ResumeParseError("too_complex") from exc
    report("done", 100)
    return ParseResult(resume=resume, text=text, pages=page_count, warnings=warnings)
