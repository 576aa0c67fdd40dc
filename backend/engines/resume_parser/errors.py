"""The one error of the parser: a stable `code` slug and a `reason` safe to show a user.

It is an `Unprocessable` (422) of the project's exception tree, so an upload handler that lets it
propagate answers a problem document whose `type` is `resume-<code>` and whose detail is `reason`.
A worker stores `code` and `reason` on the failed version.
"""

from __future__ import annotations

from typing import Final, Literal

from backend import errors as app_errors

ErrorCode = Literal[
    "not_pdf",
    "corrupt",
    "encrypted",
    "empty",
    "too_many_pages",
    "no_text",
    "timeout",
    "too_complex",
    "internal",
]

REASONS: Final[dict[str, str]] = {
    "not_pdf": "The file is not a PDF document.",
    "corrupt": "The PDF is damaged or incomplete (was the upload cut short?). Export it again and retry.",
    "encrypted": "The PDF is password-protected. Remove the password and upload it again.",
    "empty": "The PDF is empty: it has no pages.",
    "too_many_pages": "The PDF has too many pages for a resume.",
    "no_text": (
        "The PDF has no text layer (it looks like a scan or a picture), so nothing could be read from it. "
        "Export the resume from your editor as a PDF with text and upload it again."
    ),
    "timeout": "Reading the PDF took too long, so it was stopped. Simplify the document and try again.",
    "too_complex": "The PDF is too complex or too large to read safely. Simplify the document and try again.",
    "internal": "The resume could not be read because of an internal error. Please try again later.",
}


class ResumeParseError(app_errors.Unprocessable):
    """A PDF that cannot be parsed; `code` is one of `ErrorCode`, `reason` a sentence for the user."""

    title = "The resume could not be read"

    def __init__(self, code: ErrorCode, reason: str | None = None) -> None:
        self.code: ErrorCode = code
        self.reason = reason or REASONS[code]
        super().__init__(self.reason, slug="resume-" + code.replace("_", "-"))
        self.args = (code, self.reason)  # picklable and readable in tracebacks

    def __repr__(self) -> str:
        return f"ResumeParseError({self.code!r}, {self.reason!r})"
