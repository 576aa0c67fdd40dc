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
    parser's `no_text` error is the verdict. `fingerprint` (only when asked for: it decodes every
    page's content, so it runs in the sandbox) is the SHA-256 of the page count and the normalized
    text, None when the PDF has (almost) no text.
    """

    pages: int
    encrypted: bool
    repaired: bool
    has_text: bool
    fingerprint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages, "encrypted": self.encrypted, "repaired": self.repaired,
            "has_text": self.has_text, "fingerprint": self.fingerprint,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PdfInfo:
        fingerprint = data.get("fingerprint")
        return cls(
            pages=int(data["pages"]), encrypted=bool(data["encrypted"]), repaired=bool(data["repaired"]),
            has_text=bool(data["has_text"]), fingerprint=str(fingerprint) if fingerprint is not None else None,
        )  # fmt: skip


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
