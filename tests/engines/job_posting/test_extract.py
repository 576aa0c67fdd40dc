"""A job posting's fields from its page (backend/engines/job_posting): schema.org JobPosting in
JSON-LD and in microdata, and a page with neither."""

from __future__ import annotations

import json

from backend.engines.job_posting import board_of, extract

JSON_LD = {
    "@context": "https://schema.org",
    "@type": "JobPosting",
    "title": "Senior Data Engineer",
    "hiringOrganization": {"@type": "Organization", "name": "Northwind Cloud"},
    "jobLocation": {
        "@type": "Place",
        "address": {"@type": "PostalAddress", "addressLocality": "Berlin", "addressCountry": "DE"},
    },
    "jobLocationType": "TELECOMMUTE",
    "baseSalary": {
        "@type": "MonetaryAmount",
        "currency": "EUR",
        "value": {"@type": "QuantitativeValue", "minValue": 70000, "maxValue": 90000, "unitText": "YEAR"},
    },
    "description": "<p>Build <b>pipelines</b> with Spark.</p><ul><li>Airflow</li><li>dbt</li></ul>",
}


def test_json_ld_gives_every_field() -> None:
    page = f'<html><head><script type="application/ld+json">{json.dumps(JSON_LD)}</script></head><body></body></html>'
    posting = extract(page, "https://boards.greenhouse.io/northwind/jobs/123")
    assert (posting.role, posting.company, posting.location) == (
        "Senior Data Engineer",
        "Northwind Cloud",
        "Berlin, DE",
    )
    assert (posting.remote, posting.salary_min, posting.salary_max) == ("remote", 70000.0, 90000.0)
    assert (posting.salary_currency, posting.salary_period) == ("EUR", "YEAR")
    assert posting.description == "Build pipelines with Spark.\nAirflow\ndbt"
    assert (posting.source, posting.method) == ("Greenhouse", "json-ld")


def test_a_graph_wrapping_the_posting_is_read_too() -> None:
    graph = {"@context": "https://schema.org", "@graph": [{"@type": "WebPage", "name": "x"}, JSON_LD]}
    page = f'<script type="application/ld+json">{json.dumps(graph)}</script>'
    assert extract(page, "https://jobs.lever.co/northwind/1").role == "Senior Data Engineer"


def test_microdata_gives_the_fields_it_carries() -> None:
    page = """<html><body><div itemscope itemtype="https://schema.org/JobPosting">
      <h1 itemprop="title">Frontend Engineer</h1>
      <div itemprop="hiringOrganization" itemscope itemtype="https://schema.org/Organization">
        <span itemprop="name">Contoso</span></div>
      <div itemprop="jobLocation" itemscope itemtype="https://schema.org/Place">
        <div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">
          <span itemprop="addressLocality">Lisbon</span> <span itemprop="addressCountry">PT</span></div></div>
      <div itemprop="description"><p>TypeScript and accessibility.</p></div>
    </div></body></html>"""
    posting = extract(page, "https://jobs.smartrecruiters.com/Contoso/42")
    assert (posting.role, posting.company, posting.location) == ("Frontend Engineer", "Contoso", "Lisbon, PT")
    assert "TypeScript and accessibility." in posting.description
    assert (posting.source, posting.method) == ("SmartRecruiters", "microdata")


def test_a_page_without_structured_data_gives_its_readable_text_and_title() -> None:
    body = " ".join(["We are hiring a backend engineer to build our payments platform in Go."] * 5)
    page = "<html><head><title>Backend Engineer &amp; SRE | Acme</title></head>"
    page += f"<body><nav>Home</nav><article><p>{body}</p></article></body></html>"
    posting = extract(page, "https://acme.example/careers/backend")
    assert posting.role == "Backend Engineer & SRE" and "payments platform in Go" in posting.description
    assert (posting.company, posting.source, posting.method) == ("Acme", None, "text")  # the host's name
    assert posting.sources == {"role": "text", "description": "text", "company": "host"}


def test_boards_are_named_by_their_host() -> None:
    assert board_of("https://acme.wd5.myworkdayjobs.com/en-US/careers/job/1") == "Workday"
    assert board_of("https://jobs.ashbyhq.com/acme/1") == "Ashby"
    assert board_of("https://notgreenhouse.io.example.com/") is None
