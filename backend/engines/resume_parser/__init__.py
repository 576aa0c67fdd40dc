"""Resume PDFs → JSON Resume data. Framework-free: no web, no database.

    inspect_pdf(data, *, max_pages=None) -> PdfInfo          cheap upload checks, safe in the api
    parse_pdf(data, *, max_pages=20, progress=None) -> ParseResult          in this process
    parse_isolated(data, *, max_pages, cpu_seconds, memory_mb, wall_seconds, progress) -> ParseResult
    await parse_isolated_async(...)  -> ParseResult          the same, for an event loop (workers)
    await inspect_isolated_async(data, *, max_pages, cpu_seconds, memory_mb, wall_seconds) -> PdfInfo
                                     inspect_pdf + content fingerprint in the same sandbox (the api's upload check)

Every failure is a `ResumeParseError` with a stable `code` and a `reason` safe to show a user:

    not_pdf · corrupt · encrypted · empty · too_many_pages   (inspect_pdf and the parsers)
    no_text (no text layer: scanned) · timeout · too_complex · internal   (the parsers)

Pipeline (one module each): document (open + refusals) → extract (segments with geometry; text
cleans them) → layout (columns, rows, reading order) → sections (headings) → fields: basics,
entries + records (work, education, projects, certificates), lists (skills, languages); dates and
pieces recognise dates, places and contact details. Design and measurements: docs/parser.md.
"""

from backend.engines.resume_parser.document import inspect_pdf
from backend.engines.resume_parser.errors import ErrorCode, ResumeParseError
from backend.engines.resume_parser.models import STAGES, ParseResult, PdfInfo, ProgressCallback
from backend.engines.resume_parser.parser import parse_pdf
from backend.engines.resume_parser.sandbox import (
    AsyncProgressCallback,
    inspect_isolated_async,
    parse_isolated,
    parse_isolated_async,
)

__all__ = [
    "STAGES",
    "AsyncProgressCallback",
    "ErrorCode",
    "ParseResult",
    "PdfInfo",
    "ProgressCallback",
    "ResumeParseError",
    "inspect_isolated_async",
    "inspect_pdf",
    "parse_isolated",
    "parse_isolated_async",
    "parse_pdf",
]
