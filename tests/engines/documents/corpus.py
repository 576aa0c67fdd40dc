"""The round-trip corpus: every resume fixture the parser reads (tests/fixtures/resumes, generated/,
heldout/), parsed once per test session, and the field-by-field comparison of two parses."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from backend.engines.resume_parser import ResumeParseError, parse_pdf
from tests.support import FIXTURES

RESUMES = FIXTURES / "resumes"


def fixture_pdfs() -> list[Path]:
    return sorted(
        [*RESUMES.glob("*.pdf"), *(RESUMES / "generated").glob("*.pdf"), *(RESUMES / "heldout").glob("*.pdf")]
    )


@cache
def parsed_corpus() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(file name, the parser's JSON Resume) of every fixture PDF that parses."""
    out = []
    for path in fixture_pdfs():
        try:
            out.append((path.name, parse_pdf(path.read_bytes()).resume))
        except ResumeParseError:  # pragma: no cover - the fixtures with text all parse
            continue
    return tuple(out)


def norm(value: object) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).casefold()
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Recovery:
    """Fields of the first parse found again, per field name, with the misses for the message."""

    total: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def check(self, where: str, name: str, expected: object, ok: bool, got: object = None) -> None:
        self.total[name] += 1
        if ok:
            self.found[name] += 1
        else:
            self.misses.append(f"{where}: {name}: {expected!r} -> {got!r}")

    @property
    def rate(self) -> float:
        total = sum(self.total.values())
        return sum(self.found.values()) / total if total else 1.0

    def table(self, title: str) -> str:
        lines = [title]
        for name in sorted(self.total):
            lines.append(
                f"  {name:<24} {self.found[name]:>4}/{self.total[name]:<4} {self.found[name] / self.total[name]:7.1%}"
            )
        lines.append(f"  {'ALL':<24} {sum(self.found.values()):>4}/{sum(self.total.values()):<4} {self.rate:7.1%}")
        return "\n".join(lines)


WORK_FIELDS = ("name", "position", "startDate", "endDate", "location")
EDUCATION_FIELDS = ("institution", "studyType", "area", "startDate", "endDate")
BASICS_FIELDS = ("name", "label", "email", "phone")


def scored_fields(resume: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(path, field name, value) of every field the round trip scores: basics, work entries, schools,
    skills (each keyword, or the skill's name when it has none), certificates and languages."""
    fields: list[tuple[str, str, Any]] = []
    basics = resume.get("basics") or {}
    for key in BASICS_FIELDS:
        if basics.get(key):
            fields.append((f"basics.{key}", f"basics.{key}", basics[key]))
    if (basics.get("location") or {}).get("city"):
        fields.append(("basics.location.city", "basics.location.city", basics["location"]["city"]))
    for index, job in enumerate(resume.get("work") or []):
        for key in WORK_FIELDS:
            if job.get(key):
                fields.append((f"work[{index}].{key}", f"work.{key}", job[key]))
    for index, school in enumerate(resume.get("education") or []):
        for key in EDUCATION_FIELDS:
            if school.get(key):
                fields.append((f"education[{index}].{key}", f"education.{key}", school[key]))
    for skill in resume.get("skills") or []:
        for keyword in skill.get("keywords") or ([skill["name"]] if skill.get("name") else []):
            fields.append(("skills", "skills.keyword", keyword))
    for certificate in resume.get("certificates") or []:
        if certificate.get("name"):
            fields.append(("certificates", "certificates.name", certificate["name"]))
    for language in resume.get("languages") or []:
        if language.get("language"):
            fields.append(("languages", "languages.language", language["language"]))
    return fields


def _lookup(resume: dict[str, Any], path: str) -> Any:
    value: Any = resume
    for part in re.findall(r"[^.\[\]]+", path):
        if isinstance(value, list):
            index = int(part)
            value = value[index] if index < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def _members(resume: dict[str, Any], path: str) -> set[str]:
    """The normalised values a list field holds anywhere in `resume` (skills, certificates, languages)."""
    if path == "skills":
        return {norm(k) for s in resume.get("skills") or [] for k in [*(s.get("keywords") or []), s.get("name")] if k}
    key = "name" if path == "certificates" else "language"
    return {norm(item.get(key)) for item in resume.get(path) or [] if item.get(key)}


def compare(first: dict[str, Any], second: dict[str, Any], where: str, recovery: Recovery) -> None:
    """Score `second` (the data read back) against `first`: entries by position, list items by membership."""
    for path, name, expected in scored_fields(first):
        if path in ("skills", "certificates", "languages"):
            recovery.check(where, name, expected, norm(expected) in _members(second, path))
            continue
        got = _lookup(second, path)
        recovery.check(where, name, expected, norm(expected) == norm(got), got)
