"""Cover letters as documents: the text split into paragraphs (blank lines) of lines (line breaks)."""

from __future__ import annotations

from dataclasses import dataclass

from backend.engines.documents.outline import printable, text


@dataclass(frozen=True)
class Letter:
    company: str
    role: str
    text: str
    author: str = ""  # the applicant's name, for the document's properties

    @property
    def heading(self) -> str:
        """ "Staff Engineer — Acme" (either alone when the other is missing)."""
        role, company = text(self.role), text(self.company)
        return f"{role} \u2014 {company}" if role and company else role or company

    def paragraphs(self) -> list[list[str]]:
        """Paragraphs (separated by blank lines), each a list of its lines (a signature keeps its breaks)."""
        blocks: list[list[str]] = [[]]
        for raw in self._normalised().split("\n"):
            line = " ".join(raw.split())
            if line:
                blocks[-1].append(line)
            elif blocks[-1]:
                blocks.append([])
        return [b for b in blocks if b]

    def plain_text(self) -> str:
        """The letter as plain UTF-8 text: its own words, normalised line ends, one final newline."""
        body = self._normalised().strip("\n")
        return f"{body}\n" if body else ""

    def _normalised(self) -> str:
        return printable(self.text.replace("\r\n", "\n").replace("\r", "\n"))
