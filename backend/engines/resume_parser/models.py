"""What the parser hands back: `PdfInfo` from the cheap checks, `ParseResult` from a full parse."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ProgressCallback = Callable[[str, int], None]
"""Called with (stage, percent): extracting 20 · layout 40 · sections 60 · fields 80 · done 100."""

STAGES: tuple[tuple[str, int], ...] = (
    ("extracting", 20),
    ("layout", 40),
    ("sections", 60),
    ("fields", 80),
    ("done", 100),
)


@dataclass(frozen=True, slots=True)
class PdfInfo:
    """Facts about an upload that cost no parsing: page count, encryption, repair, a text-layer hint.

    `has_text` is a hint from the fonts the first pages declare (no content stream is decoded); the
    parser's `no_text` error is the verdict.
    """

    pages: int
    encrypted: bool
    repaired: bool
    has_text: bool


@dataclass(slots=True)
class ParseResult:
    """A parsed resume: JSON Resume (schema v1) fields, the text in reading order, and warnings.

    `resume` holds only what the PDF's text holds: absent fields are left out, never guessed.
    `warnings` are sentences safe to show the user.
    """

    resume: dict[str, Any]
    text: str
    pages: int
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"resume": self.resume, "text": self.text, "pages": self.pages, "warnings": list(self.warnings)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParseResult:
        return cls(
            resume=dict(data["resume"]),
            text=str(data["text"]),
            pages=int(data["pages"]),
            warnings=[str(w) for w in data.get("warnings", [])],
        )
