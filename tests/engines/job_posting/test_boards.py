"""Each board's own markup (backend/engines/job_posting/boards.py) and the fallbacks after it, on the
pages of tests/fixtures/job_pages (written for this project in each format): every field of
`expected.json`, where it came from, and what happens when a page lacks one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backend.engines.job_posting import Posting, extract
from backend.engines.job_posting.markup import salary, workplace
from backend.engines.job_posting.urls import company_of

PAGES = Path(__file__).parents[2] / "fixtures" / "job_pages"
EXPECTED: dict[str, dict[str, Any]] = json.loads((PAGES / "expected.json").read_text())


def fields_of(posting: Posting) -> dict[str, Any]:
    """A posting in the application's field names, as the import stores it."""
    return {
        "role": posting.role,
        "company": posting.company,
        "location": posting.location or "",
        "remote": posting.remote,
        "salary_min": int(posting.salary_min) if posting.salary_min is not None else None,
        "salary_max": int(posting.salary_max) if posting.salary_max is not None else None,
        "currency": posting.salary_currency,
        "source": posting.source or "",
        "job_description": posting.description,
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_format_gives_every_field_it_shows(name: str) -> None:
    case = EXPECTED[name]
    posting = extract((PAGES / case["file"]).read_text(), case["url"])
    assert fields_of(posting) == case["fields"]
    assert (posting.method, posting.sources) == (case["method"], case["sources"])


def test_the_board_pages_carry_no_structured_data() -> None:
    """The board pages test the board readers: none of them may be read as schema.org data first."""
    for name in ("greenhouse", "lever", "ashby", "workday", "smartrecruiters"):
        assert EXPECTED[name]["method"] == "board"
        assert set(EXPECTED[name]["sources"].values()) == {"board"}


def test_a_board_page_read_under_another_host_falls_back_to_text() -> None:
    """Markup is read by the board the URL names: a Lever page under an unknown host is only text."""
    posting = extract((PAGES / "lever.html").read_text(), "https://careers.lumen.example/data")
    assert posting.method == "text" and posting.role == "Lumen Analytics"  # its <title> "Lumen Analytics - ..."
    assert posting.source is None and "streaming warehouse" in posting.description


def test_structured_data_wins_and_the_board_fills_what_it_lacks() -> None:
    page = (PAGES / "greenhouse.html").read_text()
    partial = '{"@context": "https://schema.org", "@type": "JobPosting", "title": "Principal Backend Engineer"}'
    page = page.replace("</head>", f'<script type="application/ld+json">{partial}</script></head>')
    posting = extract(page, EXPECTED["greenhouse"]["url"])
    assert (posting.role, posting.company, posting.location) == (
        "Principal Backend Engineer", "Northwind Cloud", "Berlin, Germany (Hybrid)",
    )  # fmt: skip
    assert posting.method == "json-ld"
    assert posting.sources == {
        "role": "json-ld", "company": "board", "location": "board", "remote": "board", "description": "board",
        "salary": "board",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("url", "company", "where"),
    [
        ("https://boards.greenhouse.io/northwindcloud/jobs/4012345", "Northwindcloud", "url"),
        ("https://job-boards.greenhouse.io/northwind-cloud/jobs/4012345", "Northwind Cloud", "url"),
        ("https://boards.greenhouse.io/embed/job_app?for=quill-labs&token=123", "Quill Labs", "url"),
        ("https://jobs.lever.co/lumen-analytics/7c1d2e3f", "Lumen Analytics", "url"),
        ("https://jobs.eu.lever.co/lumen/7c1d2e3f", "Lumen", "url"),
        ("https://jobs.ashbyhq.com/quill/3f9c1d7a", "Quill", "url"),
        ("https://jobs.smartrecruiters.com/ContosoIndustrial/744000012345", "ContosoIndustrial", "url"),
        ("https://tessera.wd5.myworkdayjobs.com/en-US/TesseraCareers/job/1", "Tessera", "host"),
        ("https://careers.kestrel-robotics.com/jobs/1", "Kestrel Robotics", "host"),
        ("https://www.acme.co.uk/careers", "Acme", "host"),
        ("https://jobs.lever.co/", None, "none"),
        ("http://127.0.0.1:8000/job", None, "none"),
        ("https://www.linkedin.com/jobs/view/1", None, "none"),
        ("http://[oops/job", None, "none"),
        ("https://jobs.lever.co:99999/acme/1", None, "none"),
    ],
)
def test_the_company_from_the_url(url: str, company: str | None, where: str) -> None:
    assert company_of(url) == (company, where)


def test_a_board_page_without_a_company_takes_the_boards_slug() -> None:
    page = (PAGES / "greenhouse.html").read_text().replace("at Northwind Cloud", "")
    page = page.replace("<title>Job Application for Senior Backend Engineer at Northwind Cloud</title>", "")
    posting = extract(page, "https://boards.greenhouse.io/northwind-cloud/jobs/4012345")
    assert (posting.company, posting.sources["company"]) == ("Northwind Cloud", "url")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$120,000 — $150,000 USD", (120000.0, 150000.0, "USD", None)),
        ("Pay range: $120,000.00 - $155,000.00 per year", (120000.0, 155000.0, "USD", "YEAR")),
        ("€70k–90k per year", (70000.0, 90000.0, "EUR", "YEAR")),
        ("70.000 - 90.000 €", (70000.0, 90000.0, "EUR", None)),
        ("CHF 120 000 – 140 000", (120000.0, 140000.0, "CHF", None)),
        ("£45,000", (45000.0, 45000.0, "GBP", None)),
        ("85.50 USD/hr", (85.5, 85.5, "USD", "HOUR")),
        ("Competitive salary", (None, None, None, None)),
        (None, (None, None, None, None)),
    ],
)
def test_pay_ranges_as_pages_write_them(text: str | None, expected: tuple[Any, ...]) -> None:
    assert salary(text) == expected


def test_workplace_words() -> None:
    assert [workplace(v) for v in ("Remote - US", "Hybrid", "OnSite", "On-site", "In office", "Berlin")] == [
        "remote", "hybrid", "onsite", "onsite", "onsite", None,
    ]  # fmt: skip


@pytest.mark.parametrize(
    "page",
    [
        "",
        "   ",
        "<html><body><div class='posting-headline'></div></body></html>",
        "<script>window.__appData = {not json</script>",
        "<script>window.__appData = [1, 2]</script>",
        "\x00<<<>>>",
        "<html>" + "<div>" * 5000 + "deep" + "</div>" * 5000 + "</html>",
    ],
)
def test_broken_pages_give_an_empty_posting_not_an_error(page: str) -> None:
    for url in ("https://jobs.lever.co/x/1", "https://jobs.ashbyhq.com/x/1", "https://boards.greenhouse.io/x/jobs/1"):
        posting = extract(page, url)
        assert posting.method in ("none", "text")
