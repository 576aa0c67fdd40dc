"""Degrees a letter states, compared with the resume's by level (and field when both say it).

"bachelor's degree", "B.S." and "Bachelor of Science" are one bachelor's of science; a letter may
name the resume's degree in any of these spellings, but not a level the resume does not hold, nor
a B.A. for a B.S. Only written forms count ("I mastered Kafka" is no degree): capitalised words,
dotted abbreviations, or the lower-case word followed by 's / degree / of.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import msgspec

_FIELD = r"(?:\s+of\s+(?:Applied\s+)?(?:Science|Arts|Fine\s+Arts|Engineering|Technology|Business\s+Administration))?"
_FORMS: list[tuple[str, str]] = [
    ("mba", r"MBA|Master\s+of\s+Business\s+Administration"),
    ("doctorate", r"Ph\.?\s?D\.?|Doctorate|doctorate|Doctor\s+of\s+Philosophy|doctoral\s+degree"),
    ("bachelor", rf"Bachelor(?:'?s)?{_FIELD}|bachelor(?:'?s)?(?=\s+(?:degree|of|in)\b)|B\.?\s?Sc\.?|B\.S\.?|B\.A\.?"
                 r"|B\.?\s?Eng\.?|BBA|undergraduate\s+degree"),
    ("master", rf"Masters?(?:'?s)?{_FIELD}|masters?(?:'?s)?(?=\s+(?:degree|of|in)\b)|M\.?\s?Sc\.?|M\.S\.?|M\.A\.?"
               r"|M\.?\s?Eng\.?|graduate\s+degree"),
    ("associate", rf"Associate(?:'?s)?{_FIELD}(?=\s+(?:degree|of|in)\b)|associate(?:'?s)?\s+degree"),
    ("diploma", r"[Dd]iploma"),
]  # fmt: skip
_PATTERN = re.compile("|".join(rf"(?<![\w.])(?P<{level}>{form})(?![\w])" for level, form in _FORMS))
# How a resume's studyType field may write a level (a field of its own: bare "BS", "MS" are safe here).
_HELD = [
    ("mba", r"\bmba\b|business\s+admin"),
    ("doctorate", r"ph\.?\s?d|doctor"),
    ("master", r"master|\bm\.?\s?s\.?c?\b|\bm\.?\s?a\b|\bm\.?\s?eng|\bmphil|\bmba\b|business\s+admin"),
    ("bachelor", r"bachelor|\bb\.?\s?s\.?c?\b|\bb\.?\s?a\b|\bb\.?\s?eng|\bbba\b|\bb\.?\s?tech|licenciatur"),
    ("associate", r"associate"),
    ("diploma", r"diploma"),
]


class Degree(msgspec.Struct, frozen=True):
    level: str  # bachelor | master | mba | doctorate | associate | diploma
    field: str | None  # science | arts | engineering | ... when the spelling says it
    text: str


def _field(text: str) -> str | None:
    compact = re.sub(r"[^a-z]", "", text.lower())
    if "science" in compact or compact in {"bs", "bsc", "ms", "msc"}:
        return "science"
    if "arts" in compact or compact in {"ba", "ma"}:
        return "arts"
    if "eng" in compact:
        return "engineering"
    return None


def stated(sentence: str, folded: str) -> Iterator[Degree]:
    """The degrees a sentence of the letter names."""
    for match in _PATTERN.finditer(folded):
        level = match.lastgroup or ""
        yield Degree(level, _field(match.group(0)), sentence[match.start() : match.end()])


def held(education: Iterable[tuple[str, str]]) -> set[tuple[str, str | None]]:
    """(level, field) of each degree of the resume, from (studyType, other text of the entry) pairs."""
    found: set[tuple[str, str | None]] = set()
    for study_type, other in education:
        for level, pattern in _HELD:
            if re.search(pattern, study_type, re.IGNORECASE):
                found.add((level, _field(study_type)))
        for degree in stated(other, other):
            found.add((degree.level, degree.field))
            if degree.level == "mba":
                found.add(("master", None))
    return found


def grounded(degree: Degree, holds: set[tuple[str, str | None]]) -> bool:
    return any(
        level == degree.level and (field is None or degree.field is None or field == degree.field)
        for level, field in holds
    )
