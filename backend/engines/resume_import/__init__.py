"""Resume data without a PDF: a JSON Resume document or a LinkedIn data export → JSON Resume v1 data.

Pure computation (no web, database or Redis), safe to run in the api on untrusted input: every
input is bounded (the archive's entries and uncompressed bytes, the CSVs read, the JSON's nesting).

    from_json_resume(body: bytes) -> Imported      validate a JSON Resume v1 document (every error, with its path)
    from_linkedin_archive(body: bytes) -> Imported  read the CSVs of LinkedIn's "Get a copy of your data" ZIP
    resume_text(resume) -> str                      the plain text of JSON Resume data (what a parse would extract)

A refused input raises `ImportRefused(detail, problems)`: each problem names where (`field`: a JSON
path such as `work[0].startDate`, or an archive's file and column) and what is wrong. What was read
but changed on the way (a CSV that was not UTF-8, a date that could not be read) is reported in
`Imported.notes`, never silently.
"""

from backend.engines.resume_import.json_resume import from_json_resume, validate
from backend.engines.resume_import.linkedin import LIMITS, ArchiveLimits, from_linkedin_archive
from backend.engines.resume_import.models import Imported, ImportRefused, Note, Problem
from backend.engines.resume_import.text import resume_text

__all__ = [
    "LIMITS",
    "ArchiveLimits",
    "ImportRefused",
    "Imported",
    "Note",
    "Problem",
    "from_json_resume",
    "from_linkedin_archive",
    "resume_text",
    "validate",
]
