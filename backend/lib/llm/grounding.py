"""After generation: does a letter name only employers, titles, schools and degrees the resume holds? (SPEC §8)

`check(letter, resume, company=, role=, job_description=)` returns the names the letter states
that have no source: organisations (a capitalised name after at/with/for/from/joined) must appear in
the resume, the company/role applied for or the job description; job titles in the resume or the
role applied for; schools and degrees in the resume only. Matching is on normalised text (case,
punctuation), so "Corvus Analytics," and "corvus analytics" agree. Deliberately strict: a false alarm
costs a regeneration, an invented employer costs the user's credibility.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import msgspec

_TITLE_NOUNS = (
    "Engineer|Developer|Manager|Director|Scientist|Analyst|Designer|Architect|Consultant|Specialist|"
    "Administrator|Officer|Intern|Researcher|Programmer|Technician|Coordinator|Lead"
)
_TITLE = re.compile(rf"\b(?:[A-Z][A-Za-z+#/.-]*\s+){{0,3}}(?:{_TITLE_NOUNS})s?\b")
_ORG = re.compile(r"\b(?:at|with|for|from|joined|by)\s+((?:[A-Z][\w&'.-]*)(?:\s+(?:[A-Z][\w&'.-]*|&|of))*)")
_SCHOOL = re.compile(
    r"\b(?:(?:University|College|Institute|Academy|School)\s+of\s+[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)*"
    r"|(?:[A-Z][\w.-]*\s+){1,4}(?:University|College|Institute of Technology|Polytechnic))\b"
)
_DEGREE = re.compile(
    r"\b(?:Bachelor(?:'s)?|Master(?:'s)?|Doctorate|Ph\.?\s?D|MBA|B\.?\s?Sc|M\.?\s?Sc|B\.S|M\.S|B\.A|M\.A|"
    r"B\.?\s?Eng|M\.?\s?Eng|Associate(?:'s)? degree|diploma)\b",
    re.IGNORECASE,
)
# Capitalised words that start sentences or name things every letter may name.
_COMMON = frozenset(
    [
        "i",
        "my",
        "me",
        "the",
        "a",
        "an",
        "your",
        "our",
        "this",
        "that",
        "these",
        "those",
        "we",
        "you",
        "it",
        "thank",
        "thanks",
        "dear",
        "sincerely",
        "regards",
        "best",
        "hiring",
        "team",
        "manager",
        "mr",
        "ms",
        "mrs",
        "dr",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)


class Ungrounded(msgspec.Struct, frozen=True):
    kind: str  # employer | title | school | degree
    text: str


def _norm(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9+#]+", " ", text.lower()).strip() + " "


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _within(phrase: str, corpus: str) -> bool:
    return _norm(phrase) in corpus


def check(letter: str, resume: dict[str, Any], *, company: str, role: str, job_description: str) -> list[Ungrounded]:
    """Names in `letter` without a source (empty when the letter is grounded)."""
    resume_text = _norm(" \n ".join(_strings(resume)))
    education = _norm(" \n ".join(_strings([resume.get("education") or [], resume.get("certificates") or []])))
    orgs_ok = resume_text + _norm(company) + _norm(role) + _norm(job_description)
    titles_ok = resume_text + _norm(role)
    found: dict[tuple[str, str], Ungrounded] = {}

    def flag(kind: str, text: str) -> None:
        found.setdefault((kind, _norm(text)), Ungrounded(kind, text.strip()))

    for match in _ORG.finditer(letter):
        words = []
        for word in match.group(1).split():
            words.append(word.rstrip(".'"))
            if word.endswith("."):  # the sentence ends here
                break
        while words and words[0].lower() in _COMMON:
            words = words[1:]
        while words and (words[-1].lower() in _COMMON or words[-1].lower() in {"of", "&"}):
            words = words[:-1]
        name = " ".join(words)
        if name and not _within(name, orgs_ok):
            flag("employer", name)
    for match in _TITLE.finditer(letter):
        words = match.group(0).split()
        while words and words[0].lower() in _COMMON:
            words = words[1:]
        title = " ".join(words)
        if title and len(words) > 0 and not _within(title, titles_ok) and title.lower() != "hiring manager":
            flag("title", title)
    for match in _SCHOOL.finditer(letter):
        if not _within(match.group(0), resume_text):
            flag("school", match.group(0))
    for match in _DEGREE.finditer(letter):
        if not _within(match.group(0), education):
            flag("degree", match.group(0))
    return list(found.values())


def describe(problems: list[Ungrounded]) -> str:
    """A reason safe to show: what the letter named that the resume does not hold."""
    named = "; ".join(f"{p.kind} {p.text!r}" for p in problems[:5])
    return f"The generated letter named what your resume does not hold ({named}), so it was not accepted. Try again."
