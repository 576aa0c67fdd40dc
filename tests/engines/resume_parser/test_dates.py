"""Date ranges as resumes spell them → ISO-8601 partials; an open end is None."""

from __future__ import annotations

import pytest

from backend.engines.resume_parser.dates import find_date_range, parse_date, remove_span


@pytest.mark.parametrize(
    ("text", "start", "end", "ongoing"),
    [
        ("Jan 2019 – Present", "2019-01", None, True),
        ("January 2019 to Present", "2019-01", None, True),
        ("Mar 2019 - Current", "2019-03", None, True),
        ("2015 - now", "2015", None, True),
        ("2017 –", "2017", None, True),
        ("since 2020", "2020", None, True),
        ("06/2016 - 12/2018", "2016-06", "2018-12", False),
        ("6/2016 – 12/2018", "2016-06", "2018-12", False),
        ("01.2018 – 03.2020", "2018-01", "2020-03", False),
        ("2016-06 – 2018-12", "2016-06", "2018-12", False),
        ("2019-2021", "2019", "2021", False),
        ("2019–21", "2019", "2021", False),
        ("2012 – 2014", "2012", "2014", False),
        ("From 2018 to 2020", "2018", "2020", False),
        ("June 2016 to December 2018", "2016-06", "2018-12", False),
        ("Sept. 2015 - June 2017", "2015-09", "2017-06", False),
        ("Sept. 2015 to June 2017", "2015-09", "2017-06", False),
        ("Jan '19 – Mar '21", "2019-01", "2021-03", False),
        ("Jan – Mar 2020", "2020-01", "2020-03", False),
        ("2019-01-15 - 2020-02-01", "2019-01-15", "2020-02-01", False),
        ("Summer 2022", "2022", None, False),  # a season names no month: year only, never a guessed month
        ("Q3 2020", "2020", None, False),
        ("2019", "2019", None, False),
        ("2010-11", "2010-11", None, False),  # ISO year-month wins over a two-digit year range
    ],
)
def test_date_ranges(text: str, start: str, end: str | None, ongoing: bool) -> None:
    found = find_date_range(text)
    assert found is not None
    assert (found.start, found.end, found.ongoing) == (start, end, ongoing)
    assert remove_span(text, found.span) == ""


@pytest.mark.parametrize(
    ("line", "rest", "start"),
    [
        (
            "Senior Software Engineer — Brightloop, Austin, TX (Feb 2021 – Present)",
            "Senior Software Engineer — Brightloop, Austin, TX",
            "2021-02",
        ),
        ("AWS Certified Developer – Associate (2022)", "AWS Certified Developer – Associate", "2022"),
        ("Acme (since 2020)", "Acme", "2020"),
        ("Kite Labs  2012 – 2014", "Kite Labs", "2012"),
    ],
)
def test_a_range_is_cut_out_of_its_line(line: str, rest: str, start: str) -> None:
    found = find_date_range(line)
    assert found is not None and found.start == start
    assert remove_span(line, found.span) == rest


@pytest.mark.parametrize(
    "text", ["(555) 123-4567", "+1 415 555 0142", "Led a team of 12", "CI/CD pipelines", "May the best win"]
)
def test_no_date_is_found_where_there_is_none(text: str) -> None:
    assert find_date_range(text) is None


def test_parse_date_accepts_exactly_one_date() -> None:
    assert parse_date("Jan 2019") == "2019-01"
    assert parse_date("2016") == "2016"
    assert parse_date("06/2016") == "2016-06"
    assert parse_date("worked 2016") is None
    assert parse_date("2016 - 2018") is None
