"""Field extraction on small real PDFs drawn here: line forms, what is never invented, progress."""

from __future__ import annotations

import pymupdf
import pytest

from backend.engines.resume_parser import STAGES, ResumeParseError, parse_pdf
from tests.engines.resume_parser.samples import pdf

_FONTS = {"helv": pymupdf.Font("helv"), "hebo": pymupdf.Font("hebo")}


def draw(lines: list[str]) -> bytes:
    """A one-column PDF: '# Title' lines are bold headings, 'left >> right' puts `right` flush right."""
    doc = pymupdf.open()
    page = doc.new_page()
    for name, font in _FONTS.items():  # embedded as Unicode fonts (base-14 encoding lacks dashes and bullets)
        page.insert_font(fontname=f"U{name}", fontbuffer=font.buffer)
    y = 60.0
    for line in lines:
        heading = line.startswith("# ")
        text = line[2:] if heading else line
        face, size = ("hebo", 12.0) if heading else ("helv", 10.0)
        y += 22 if heading else 15
        left, _, right = text.partition(" >> ")
        page.insert_text((60, y), left, fontname=f"U{face}", fontsize=size)
        if right:
            width = _FONTS[face].text_length(right, fontsize=size)
            page.insert_text((page.rect.width - 60 - width, y), right, fontname=f"U{face}", fontsize=size)
    return doc.tobytes()


HEADER = ["Jordan Avery", "jordan.avery@example.com | +1 (206) 555-0100 | Seattle, WA"]


@pytest.mark.parametrize(
    ("line", "company", "position"),
    [
        ("Initech — Senior Developer >> Jan 2019 – Present", "Initech", "Senior Developer"),
        ("Senior Developer — Initech >> Jan 2019 – Present", "Initech", "Senior Developer"),
        ("Data Analyst, Globex Corporation, Springfield, IL >> 2017 –", "Globex Corporation", "Data Analyst"),
        ("Product Manager at Hooli >> Mar 2018 – Feb 2020", "Hooli", "Product Manager"),
        ("Acme, Inc. | Staff Engineer >> 06/2016 - 12/2018", "Acme, Inc.", "Staff Engineer"),
        ("Research Scientist, Umbrella Labs, Berlin, Germany >> Summer 2022", "Umbrella Labs", "Research Scientist"),
        (
            "Machine Learning Engineer, OpenAI, San Francisco, USA >> 2021 – Present",
            "OpenAI",
            "Machine Learning Engineer",
        ),
        ("Analyst, Acme, Austin, Texas, USA >> 2019 – 2021", "Acme", "Analyst"),
        ("Senior Engineer — Pirelli S.p.A., Milan (Italy) >> Jan 2019 - Present", "Pirelli S.p.A.", "Senior Engineer"),
    ],
)
def test_work_line_forms(line: str, company: str, position: str) -> None:
    data = draw([*HEADER, "# Experience", line, "• Shipped the thing that mattered"])
    (work,) = parse_pdf(data).resume["work"]
    assert (work.get("name"), work.get("position")) == (company, position)
    assert work["highlights"] == ["Shipped the thing that mattered"]


@pytest.mark.parametrize(
    ("line", "location"),
    [
        ("Machine Learning Engineer, OpenAI, San Francisco, USA >> 2021 – Present", "San Francisco, US"),
        ("Analyst, Acme, Austin, Texas, USA >> 2019 – 2021", "Austin, Texas, US"),
        ("Senior Engineer — Pirelli S.p.A., Milan (Italy) >> Jan 2019 - Present", "Milan, IT"),
    ],
)
def test_the_place_after_an_employer_is_the_tail_that_reads_as_one(line: str, location: str) -> None:
    (work,) = parse_pdf(draw([*HEADER, "# Experience", line, "• Shipped it"])).resume["work"]
    assert work["location"] == location


def test_dates_and_places_of_a_job() -> None:
    data = draw(
        [*HEADER, "# Experience", "Data Analyst, Globex Corporation, Springfield, IL >> 2017 –", "• Built dashboards"]
    )
    (work,) = parse_pdf(data).resume["work"]
    assert work["startDate"] == "2017" and "endDate" not in work  # open end: absent
    assert work["location"] == "Springfield, IL"


def test_one_piece_is_never_split_into_an_invented_other_half() -> None:
    data = draw(
        [
            *HEADER,
            "# Experience",
            "Stark Industries >> 2015 – 2017",
            "• Built suits",
            "Software Engineer >> 2013 – 2015",
            "• Wrote code",
        ]
    )
    first, second = parse_pdf(data).resume["work"]
    assert first == {"name": "Stark Industries", "startDate": "2015", "endDate": "2017", "highlights": ["Built suits"]}
    assert second == {
        "position": "Software Engineer",
        "startDate": "2013",
        "endDate": "2015",
        "highlights": ["Wrote code"],
    }


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            ["Bachelor of Arts in Economics, Yale University, 2012"],
            {"institution": "Yale University", "studyType": "Bachelor of Arts", "area": "Economics", "endDate": "2012"},
        ),
        (
            ["University of California, Berkeley >> 2008 – 2012", "B.S. Electrical Engineering"],
            {
                "institution": "University of California, Berkeley",
                "studyType": "B.S.",
                "area": "Electrical Engineering",
                "startDate": "2008",
                "endDate": "2012",
            },
        ),
        (
            ["MIT — Ph.D., Physics >> 2019"],
            {"institution": "MIT", "studyType": "Ph.D.", "area": "Physics", "endDate": "2019"},
        ),
    ],
)
def test_education_line_forms(lines: list[str], expected: dict[str, str]) -> None:
    (school,) = parse_pdf(draw([*HEADER, "# Education", *lines])).resume["education"]
    assert school == expected


def test_basics_from_the_header() -> None:
    resume = parse_pdf(draw([*HEADER, "# Skills", "Languages: Go, Rust, SQL", "Tools: Docker, Terraform"])).resume
    assert resume["basics"] == {
        "name": "Jordan Avery",
        "email": "jordan.avery@example.com",
        "phone": "+1 (206) 555-0100",
        "location": {"city": "Seattle", "region": "WA"},
    }
    assert resume["skills"] == [
        {"name": "Languages", "keywords": ["Go", "Rust", "SQL"]},
        {"name": "Tools", "keywords": ["Docker", "Terraform"]},
    ]


def test_prompt_injection_is_just_text() -> None:
    result = parse_pdf(pdf("jobsync-adversarial.pdf"))
    basics = result.resume["basics"]
    assert basics["name"] == "Marcus Webb"
    assert "label" not in basics  # the "IMPORTANT: Ignore all previous instructions" line is not a headline
    assert "Ignore all previous instructions" not in str({k: v for k, v in result.resume.items() if k != "basics"})
    assert "Ignore all previous instructions" in result.text  # kept as the text it is, for the user to see


def test_progress_stages_arrive_in_order() -> None:
    seen: list[tuple[str, int]] = []
    parse_pdf(pdf("gen-01-classic-helvetica.pdf"), progress=lambda stage, percent: seen.append((stage, percent)))
    assert seen == list(STAGES)
    assert [p for _, p in seen] == sorted(p for _, p in seen)


def test_scanned_pdf_fails_with_no_text_and_invents_nothing() -> None:
    seen: list[str] = []
    with pytest.raises(ResumeParseError) as caught:
        parse_pdf(pdf("scanned.pdf"), progress=lambda stage, _: seen.append(stage))
    assert caught.value.code == "no_text"
    assert "scan" in caught.value.reason
    assert "done" not in seen  # no result, not even an empty one


def test_blank_and_symbol_only_pages_are_no_text() -> None:
    doc = pymupdf.open()
    doc.new_page()
    doc.new_page().insert_text((72, 72), "• • — 1", fontname="helv")
    with pytest.raises(ResumeParseError) as caught:
        parse_pdf(doc.tobytes())
    assert caught.value.code == "no_text"


def test_error_maps_to_a_problem_slug() -> None:
    error = ResumeParseError("too_many_pages")
    assert (error.status, error.slug, error.code) == (422, "resume-too-many-pages", "too_many_pages")
    assert error.detail == error.reason
