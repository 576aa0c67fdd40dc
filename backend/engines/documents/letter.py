"""Cover letters as documents: the text split into paragraphs (blank lines) of lines (line breaks)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Letter:
    company: str
    role: str
    text: str
    author: str = ""  # the applicant's name, for the document's properties

    @property
    def heading(self) -> str:
        """ "Staff Engineer — Acme" (either alone when the other is missing)."""
        role, company = self.role.strip(), self.company.strip()
        return f"{role} \u2014 {company}" if role and company else role or company

    def paragraphs(self) -> list[list[str]]:
        """Paragraphs (separated by blank lines), each a list of its lines (a signature keeps its breaks)."""
        blocks: list[list[str]] = [[]]
        for raw in self.text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            line = " ".join(raw.split())
            if line:
                blocks[-1].append(line)
            elif blocks[-1]:
                blocks.append([])
        return [b for b in blocks if b]

    def plain_text(self) -> str:
        """The letter as plain UTF-8 text: its own words, normalised line ends, one final newline."""
        text = self.text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
        return f"{text}\n" if text else ""
