"""Layouts a new user's sample resumes showed the parser misreading, on the tune fixtures drawn for them
(tests/fixtures/resumes/generate.py): a sidebar on the main column's baselines, dates wrapping in a left
column, headings in a left label column, Europass pages, and a marker before each employer."""

from __future__ import annotations

import json
import re
from typing import Any

import pymupdf
import pytest

from backend.engines.resume_parser import ParseResult, parse_pdf
from tests.engines.resume_parser.samples import GENERATED, pdf

NO_WORK = "No work experience section was recognised."


def _parse(name: str) -> tuple[ParseResult, dict[str, Any]]:
    truth = json.loads((GENERATED / f"{name}.truth.json").read_text())
    return parse_pdf(pdf(f"{name}.pdf")), truth


def _jobs(entries: list[dict[str, Any]]) -> list[tuple[str | None, str | None, str | None]]:
    return [(e.get("name"), e.get("position"), e.get("startDate")) for e in entries]


def _skills(resume: dict[str, Any]) -> list[str]:
    return sorted(k for s in resume["skills"] for k in (s.get("keywords") or [s["name"]]))


def _true_skills(truth: dict[str, Any]) -> list[str]:
    return sorted(k for s in truth["skills"] for k in (s.get("keywords") or [s["name"]]))


@pytest.mark.parametrize("name", ["gen-15-sidebar-baseline-helvetica", "gen-16-sidebar-baseline-times-icons"])
def test_a_sidebar_on_the_main_columns_baselines_is_read_as_its_own_column(name: str) -> None:
    result, truth = _parse(name)
    resume = result.resume
    assert _jobs(resume["work"]) == _jobs(truth["work"])
    assert _skills(resume) == _true_skills(truth)
    assert [s["institution"] for s in resume["education"]] == [s["institution"] for s in truth["education"]]
    skills = _true_skills(truth)
    for job in resume["work"]:
        assert job["name"] not in skills  # a skill word is never the employer
        for highlight in job["highlights"]:
            assert not any(re.search(rf"\b{re.escape(skill)}\b", highlight) for skill in skills if " " in skill)
    lines = result.text.splitlines()
    assert lines.index("EXPERIENCE") < lines.index("SKILLS")  # the main column first, then the sidebar
    for skill in skills:
        assert skill in lines  # one item a line, as drawn: never a cell of a row of the main column
        assert not any(f"| {skill}" in line or f"{skill} |" in line for line in lines)


@pytest.mark.parametrize("name", ["gen-17-gutter-dates-times", "gen-18-gutter-dates-helvetica-icons"])
def test_dates_wrapped_in_a_left_column_stay_with_their_entry(name: str) -> None:
    result, truth = _parse(name)
    work = result.resume["work"]
    assert _jobs(work) == _jobs(truth["work"])
    assert [w.get("endDate") for w in work] == [t.get("endDate") for t in truth["work"]]
    for job in work:
        assert job["name"] not in job.get("location", "")  # the employer is not taken for a place
        assert all(not re.match(r"(?:Present|\d{4}|[A-Z][a-z]{2} \d{4})\b", h) for h in job["highlights"])
    assert "Present" not in result.text.splitlines()


def test_the_wrapped_range_is_one_piece_of_the_head_row() -> None:
    result, _ = _parse("gen-18-gutter-dates-helvetica-icons")
    assert (
        "Aug 2021 – Present | Staff Backend Engineer, Orchard Analytics, San Francisco, USA" in result.text.splitlines()
    )
    first = result.resume["work"][0]
    assert (first["name"], first["position"], first["location"]) == (
        "Orchard Analytics",
        "Staff Backend Engineer",
        "San Francisco, US",
    )


@pytest.mark.parametrize("name", ["gen-19-label-headings-helvetica", "gen-20-label-headings-times-icons"])
def test_headings_in_a_left_label_column_open_their_sections(name: str) -> None:
    result, truth = _parse(name)
    assert NO_WORK not in result.warnings
    assert _jobs(result.resume["work"]) == _jobs(truth["work"])
    assert [s["institution"] for s in result.resume["education"]] == [s["institution"] for s in truth["education"]]
    assert _skills(result.resume) == _true_skills(truth)
    lines = result.text.splitlines()
    experience = lines.index("Experience")  # the label is its own heading line, before the section's first row
    assert lines[experience + 1].startswith(f"{truth['work'][0]['name']} | ")


def test_group_labels_in_a_label_column_stay_labels_when_headings_are_in_the_content_column() -> None:
    result, truth = _parse("gen-17-gutter-dates-times")  # moderncv: "Languages | Python, SQL, Scala"
    assert result.resume["skills"] == [{"name": s["name"], "keywords": s["keywords"]} for s in truth["skills"]]
    assert result.resume["languages"] == []


@pytest.mark.parametrize(
    ("name", "mother_tongue"), [("gen-21-europass-helvetica-icons", "Italian"), ("gen-22-europass-times", "German")]
)
def test_europass_pages(name: str, mother_tongue: str) -> None:
    result, truth = _parse(name)
    resume = result.resume
    assert result.pages == 2
    assert NO_WORK not in result.warnings
    assert resume["basics"]["name"] == truth["basics"]["name"]  # not the running title "Curriculum Vitae"
    assert resume["basics"]["email"] == truth["basics"]["email"]
    assert _jobs(resume["work"]) == _jobs(truth["work"])
    assert [s["institution"] for s in resume["education"]] == [s["institution"] for s in truth["education"]]
    assert _skills(resume) == _true_skills(truth)
    assert [language["language"] for language in resume["languages"]] == [mother_tongue, "English"]
    assert "European Union" not in result.text  # the copyright footer is page furniture
    assert result.text.count("Curriculum Vitae") == 1  # the running header only where the document starts


@pytest.mark.parametrize("name", ["gen-23-marker-employer-helvetica-icons", "gen-24-marker-employer-times"])
def test_a_marker_before_the_employer_opens_an_entry(name: str) -> None:
    result, truth = _parse(name)
    work = result.resume["work"]
    assert _jobs(work) == _jobs(truth["work"])  # entries with dates below the employer and beside it alike
    employers = {job["name"] for job in truth["work"]}
    for job in work:
        assert job["highlights"]
        assert not any(h.startswith(tuple(employers)) for h in job["highlights"])
    assert [s["institution"] for s in result.resume["education"]] == [s["institution"] for s in truth["education"]]


def _draw(rows: list[tuple[float, str]], font: str = "helv") -> bytes:
    """One page: (x, text) rows 16 pt apart under a name and a contact line, 10 pt text."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_font(fontname="U", fontbuffer=pymupdf.Font(font).buffer)
    page.insert_text((60, 60), "Jordan Avery", fontname="U", fontsize=18)
    page.insert_text((60, 80), "jordan.avery@example.com | +1 (206) 555-0100", fontname="U", fontsize=10)
    y = 90.0
    for x, text in rows:
        y += 16
        page.insert_text((x, y), text, fontname="U", fontsize=10)
    return doc.tobytes()


def test_a_short_last_highlight_before_the_next_head_stays_a_highlight() -> None:
    """The next entry's head starts at the margin, left of the highlight's marker: not a marked employer."""
    data = _draw(
        [
            (60, "EXPERIENCE"),
            (60, "Initech — Senior Developer   Jan 2019 – Present"),
            (72, "• Rebuilt the billing service on an event log"),
            (72, "• Mentored two interns"),
            (60, "Globex — Developer   2016 – 2018"),
            (72, "• Shipped the mobile app"),
        ]
    )
    work = parse_pdf(data).resume["work"]
    assert [(w["name"], w["position"], w["highlights"]) for w in work] == [
        ("Initech", "Senior Developer", ["Rebuilt the billing service on an event log", "Mentored two interns"]),
        ("Globex", "Developer", ["Shipped the mobile app"]),
    ]


def test_a_wrapped_last_highlight_whose_rest_hangs_under_it_stays_a_highlight() -> None:
    """'…with' / 'Ansible' hangs under the highlight's text, but the next head (and its dates) starts at the
    margin: the dates below are not the highlight's, so it is no marked employer. (Courier: the wrap is
    wider than the usual estimate of a word's width.)"""
    data = _draw(
        [
            (60, "EXPERIENCE"),
            (60, "Paloma Telecom   05/2020 – 05/2023"),
            (60, "Site Reliability Engineer"),
            (61, "• Automated operating-system patching for 900 virtual machines with"),
            (72, "Ansible"),
            (60, "Tidewater Ports   01/2017 – 02/2020"),
            (60, "DevOps Engineer"),
            (61, "• Led 30 incident reviews"),
        ],
        font="cour",
    )
    work = parse_pdf(data).resume["work"]
    assert [(w["name"], w["position"], w["startDate"]) for w in work] == [
        ("Paloma Telecom", "Site Reliability Engineer", "2020-05"),
        ("Tidewater Ports", "DevOps Engineer", "2017-01"),
    ]
    assert work[0]["highlights"] == ["Automated operating-system patching for 900 virtual machines with Ansible"]


def test_a_marked_employer_may_be_followed_by_a_title_with_a_lowercase_initial() -> None:
    data = _draw(
        [
            (60, "EXPERIENCE"),
            (60, "• Brightmere"),
            (74, "iOS Developer"),
            (74, "Montreal, QC"),
            (74, "October 2015 to March 2017"),
            (82, "• Rebuilt the app in SwiftUI"),
            (60, "• Halcyon Energy"),
            (74, "Software Developer"),
            (74, "February 2013 to August 2015"),
            (82, "• Wrote the release checklist"),
        ]
    )
    work = parse_pdf(data).resume["work"]
    assert [(w["name"], w["position"], w["startDate"], w["highlights"]) for w in work] == [
        ("Brightmere", "iOS Developer", "2015-10", ["Rebuilt the app in SwiftUI"]),
        ("Halcyon Energy", "Software Developer", "2013-02", ["Wrote the release checklist"]),
    ]
