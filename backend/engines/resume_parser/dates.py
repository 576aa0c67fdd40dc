"""Dates and date ranges as resumes spell them, turned into ISO-8601 partials (`2019-01`, `2016`).

Understood spellings: `Jan 2019`, `January 2019`, `Sept. 2015`, `Jan '19`, `06/2016`, `6.2016`,
`2016-06`, `2016/06`, `2019-01-15`, `2019`, `Summer 2022` (→ `2022`: a season names no month),
`Q3 2020` (→ `2020`), and ranges joined by `-`, `–`, `—`, `~`, `to`, `until`, `through`: `Jan 2019 –
Present`, `2017 –` (open), `since 2020` (open), `06/2016 - 12/2018`, `2019-2021`, `2019–21`,
`Jan – Mar 2020`. An open or ongoing end is `None`. `2010-11` reads as November 2010 (ISO wins).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_YEAR = r"(?:19|20)\d{2}"
_TOKEN = re.compile(
    rf"""
    (?P<full>(?<!\d){_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?!\d))
  | (?P<monyear>\b{_MONTH}\b\.?,?\s*(?:(?<!\d){_YEAR}(?!\d)|'\d{{2}}(?!\d)))
  | (?P<season>\b(?:spring|summer|fall|autumn|winter)\s+{_YEAR}(?!\d))
  | (?P<quarter>\bQ[1-4]\s+{_YEAR}(?!\d))
  | (?P<mmyyyy>(?<![\d/.])(?:0?[1-9]|1[0-2])\s?[/.]\s?{_YEAR}(?!\d))
  | (?P<yyyymm>(?<![\d/.-]){_YEAR}[/.-](?:0[1-9]|1[0-2])(?![\d/.-]))
  | (?P<year>(?<![\d/.]){_YEAR}(?![\d/]|\.\d))
  | (?P<present>\b(?:present|current(?:ly)?|now|today|ongoing|to\ date|till\ date|till\ now|until\ now)\b)
  | (?P<month>\b{_MONTH}\b\.?)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_SEP = re.compile(r"\s*(?:[-–—~]+|\bto\b|\buntil\b|\btill\b|\bthrough\b|\bthru\b)\s*", re.IGNORECASE)
_SHORT_END = re.compile(r"\s*[-–—]\s*(\d{2})(?!\d)")
_OPEN_TAIL = re.compile(r"\s*[-–—]+\s*(?:$|[)\]|,;·•])")
_SINCE = re.compile(r"\b(?:since|from)\s*$", re.IGNORECASE)
_PRESENT = re.compile(
    r"(?:present|current(?:ly)?|now|today|ongoing|to date|till date|till now|until now)\.?", re.IGNORECASE
)
_DANGLING_SEP = re.compile(r"^(?P<date>.*\S)\s*(?:[-–—]+|\bto|\buntil)$", re.IGNORECASE)
_LEADING_SEP = re.compile(r"^(?:[-–—]+|to\b|until\b)\s*(?P<date>.+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DateRange:
    """A date or a range found in a line; `span` is where it sits in that line."""

    start: str | None
    end: str | None
    ongoing: bool  # "Present", "since 2020", "2017 –"
    single: bool  # one date, no range
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    value: str | None  # ISO partial; the month number for a bare month
    start: int
    end: int


def _month_number(text: str) -> int:
    return _MONTHS[text.strip().lower()[:3]]


def _two_digit_year(digits: str) -> int:
    value = int(digits)
    return 2000 + value if value <= 40 else 1900 + value


def _iso(kind: str, text: str) -> str | None:
    if kind == "full":
        return text
    if kind == "monyear":
        month = _month_number(re.match(r"[a-z]+", text, re.IGNORECASE).group(0))  # type: ignore[union-attr]
        year_match = re.search(r"(\d{4})|'(\d{2})", text)
        assert year_match is not None
        year = int(year_match.group(1)) if year_match.group(1) else _two_digit_year(year_match.group(2))
        return f"{year:04d}-{month:02d}"
    if kind in ("season", "quarter", "year"):
        match = re.search(r"\d{4}", text)
        return match.group(0) if match else None
    if kind == "mmyyyy":
        month_text, year_text = re.split(r"\s?[/.]\s?", text)
        return f"{year_text}-{int(month_text):02d}"
    if kind == "yyyymm":
        year_text, month_text = re.split(r"[/.-]", text)
        return f"{year_text}-{int(month_text):02d}"
    if kind == "month":
        return str(_month_number(text))
    return None


def _tokens(text: str) -> list[_Token]:
    found = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or ""
        found.append(_Token(kind, _iso(kind, match.group(0)), match.start(), match.end()))
    return found


def parse_date(text: str) -> str | None:
    """One date ("Jan 2019", "06/2016", "2016") as an ISO partial; None when it is not one date."""
    tokens = [token for token in _tokens(text) if token.kind not in ("present", "month")]
    if len(tokens) != 1 or text[: tokens[0].start].strip() or text[tokens[0].end :].strip(" .,"):
        return None
    return tokens[0].value


def _range_end(text: str) -> bool:
    return parse_date(text) is not None or _PRESENT.fullmatch(text.strip()) is not None


def wrapped_range(first: str, second: str) -> bool:
    """Whether two stacked lines are one date range that wrapped: "2021 –" over "Present", or "Jan 2019"
    over "– Dec 2020" (a narrow date column breaks the range at its dash)."""
    first, second = first.strip(), second.strip()
    dangling = _DANGLING_SEP.match(first)
    if dangling and parse_date(dangling.group("date")) is not None:
        return _range_end(second)
    leading = _LEADING_SEP.match(second)
    return leading is not None and parse_date(first) is not None and _range_end(leading.group("date"))


def find_date_range(text: str) -> DateRange | None:
    """The first date range (or single date) in `text`, with where it sits; None when there is none."""
    found = _find(text)
    if found is None or (found.ongoing and not found.single):
        return found
    since = _SINCE.search(text[: found.span[0]])  # "from 2018 to 2020": the "from" belongs to the range
    if since:
        return DateRange(found.start, found.end, found.ongoing, found.single, (since.start(), found.span[1]))
    return found


def _find(text: str) -> DateRange | None:
    tokens = _tokens(text)
    for index, token in enumerate(tokens):
        if token.kind == "present":
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        between = text[token.end : following.start] if following else ""
        joined = following is not None and _SEP.fullmatch(between) is not None
        if token.kind == "month":
            # "Jan – Mar 2020": a bare month takes the year of the date that ends the range.
            if joined and following is not None and following.kind == "monyear" and following.value:
                start = f"{following.value[:4]}-{int(token.value or 0):02d}"
                return DateRange(start, following.value, False, False, (token.start, following.end))
            continue
        if joined and following is not None and following.kind != "month":
            if following.kind == "present":
                return DateRange(token.value, None, True, False, (token.start, following.end))
            return DateRange(token.value, following.value, False, False, (token.start, following.end))
        short = _SHORT_END.match(text, token.end) if token.kind == "year" and token.value else None
        if short and token.value:  # "2019–21"
            end = f"{token.value[:2]}{short.group(1)}"
            if end > token.value:
                return DateRange(token.value, end, False, False, (token.start, short.end(1)))
        open_tail = _OPEN_TAIL.match(text, token.end)
        if open_tail:  # "2017 –" with nothing after the dash
            return DateRange(
                token.value, None, True, False, (token.start, token.end + len(open_tail.group(0).rstrip(")]|,;·•")))
            )
        since = _SINCE.search(text[: token.start])
        if since:
            return DateRange(token.value, None, True, False, (since.start(), token.end))
        return DateRange(token.value, None, False, True, (token.start, token.end))
    return None


def remove_span(text: str, span: tuple[int, int]) -> str:
    """`text` with `span` cut out and the brackets/separators it leaves behind tidied."""
    rest = text[: span[0]] + " " + text[span[1] :]
    rest = re.sub(r"\(\s*\)|\[\s*\]", " ", rest)
    rest = re.sub(r"\s+", " ", rest).strip(" ,;|·•-–—:(")
    if rest.endswith(")") and "(" not in rest:
        rest = rest[:-1].rstrip(" ,;|·•-–—:")
    return rest
