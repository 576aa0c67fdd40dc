"""What an import yields, and how it is refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Source = Literal["json_resume", "linkedin"]


@dataclass(frozen=True)
class Problem:
    """One thing missing or wrong: `field` says where (a JSON path, or `<file>` / `<file>: <column>`)."""

    field: str
    message: str


@dataclass(frozen=True)
class Note:
    """Something read but changed on the way (re-decoded text, a date left out), for the user to check."""

    field: str
    message: str


@dataclass(frozen=True)
class Imported:
    source: Source
    resume: dict[str, Any]  # JSON Resume v1 data
    notes: list[Note] = field(default_factory=list)


class ImportRefused(Exception):
    """The input cannot become a resume; `problems` lists every reason found (at most `MAX_PROBLEMS`)."""

    def __init__(self, detail: str, problems: list[Problem] | None = None, *, kind: str = "invalid") -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = (problems or [])[:MAX_PROBLEMS]
        self.kind = kind  # invalid | too_large (the archive's uncompressed size or entries)


MAX_PROBLEMS = 50
