"""Figures a letter states ("40%", "$2M", "10x", "3k users", "2TB", "120 ms") and whether a source holds them.

A figure is a number with a unit: percent, a currency, a multiplier, a magnitude (k, M, million...),
a data size or milliseconds. Plain numbers (years, versions, team sizes) are not checked. Figures
compare by value and unit, so "30%" = "30 percent" and "$2M" = "$2 million" = "$2,000,000"; money
and bare magnitudes compare with each other ("2M" in the resume allows "$2M"). In a range ("30-40%")
the first number takes the unit of the second.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import msgspec

_NUMBER = re.compile(
    r"""(?<![\w.$€£¥])(?P<cur>[$€£¥])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)
    (?:\s?(?P<unit>%|percent\b|per\s?cent\b|x\b|(?:k|K|M|MM|B|bn)\b|(?:thousand|million|billion|trillion)\b
        |(?:KB|MB|GB|TB|PB)\b|ms\b))?""",
    re.VERBOSE,
)
_RANGE = re.compile(r"\s?(?:-|to)\s?")
_SCALE = {"k": 1e3, "K": 1e3, "thousand": 1e3, "M": 1e6, "MM": 1e6, "million": 1e6, "B": 1e9, "bn": 1e9,
          "billion": 1e9, "trillion": 1e12}  # fmt: skip
_MONEY = frozenset({"", "$", "€", "£", "¥"})


class Figure(msgspec.Struct, frozen=True):
    value: float
    unit: str  # % | x | a currency symbol | KB..PB | ms | "" (a bare magnitude or a plain number)
    text: str
    plain: bool  # no unit at all: a source number, never a figure of the letter


def _unit(unit: str) -> str:
    if unit.startswith(("%", "per")):
        return "%"
    return unit if unit in {"x", "ms", "KB", "MB", "GB", "TB", "PB"} else ""  # magnitudes compare by value


def _figures(original: str, folded: str) -> Iterator[Figure]:
    matches = list(_NUMBER.finditer(folded))
    for index, match in enumerate(matches):
        unit = match.group("unit") or ""
        after = matches[index + 1] if index + 1 < len(matches) else None
        in_range = after is not None and _RANGE.fullmatch(folded[match.end() : after.start()])
        if not unit and not match.group("cur") and after is not None and after.group("unit") and in_range:
            unit = after.group("unit")
        value = float(match.group("num").replace(",", "")) * _SCALE.get(unit, 1.0)
        kind = match.group("cur") or _unit(unit)
        plain = not unit and not match.group("cur")
        yield Figure(round(value, 6), kind, original[match.start() : match.end()].strip(), plain)


def stated(sentence: str, folded: str) -> Iterator[Figure]:
    """The figures a sentence of the letter states."""
    return (figure for figure in _figures(sentence, folded) if not figure.plain)


def held(text: str) -> set[tuple[float, str]]:
    """(value, unit) of every number in a source text (plain numbers included)."""
    return {(figure.value, figure.unit) for figure in _figures(text, text)}


def grounded(figure: Figure, holds: set[tuple[float, str]]) -> bool:
    if (figure.value, figure.unit) in holds:
        return True
    return figure.unit in _MONEY and any(value == figure.value and unit in _MONEY for value, unit in holds)
