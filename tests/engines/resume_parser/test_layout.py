"""Reading order from geometry: sidebars drawn first, right-aligned dates, tables, page furniture."""

from __future__ import annotations

import pymupdf
import pytest

from backend.engines.resume_parser import parse_pdf
from tests.engines.resume_parser.samples import pdf


def _naive(data: bytes) -> str:
    doc = pymupdf.open(stream=data, filetype="pdf")
    return "".join(doc.load_page(number).get_text() for number in range(doc.page_count))


def test_left_sidebar_drawn_first_is_read_after_the_main_column() -> None:
    data = pdf("gen-02-sidebar-left-icons.pdf")
    naive = _naive(data)
    assert naive.index("CONTACT") < naive.index("Lukas Brandt")  # what extraction order gives peers

    text = parse_pdf(data).text
    lines = text.splitlines()
    assert lines[:2] == ["Lukas Brandt", "Product Designer"]
    main = ["Profile", "Experience", "Nordlicht Studio — Lead Product Designer | 06/2019 - Present", "Education"]
    side = ["CONTACT", "SKILLS", "Figma", "LANGUAGES", "German — Native"]
    positions = [lines.index(line) for line in main + side]
    assert positions == sorted(positions), text
    # Each job's bullets directly follow its own head, with no sidebar line in between.
    start = lines.index("Nordlicht Studio — Lead Product Designer | 06/2019 - Present")
    assert lines[start + 1].startswith("• Built and maintained")
    assert lines[start + 3].startswith("Kiezbank AG")


@pytest.mark.parametrize(
    ("name", "first_main", "first_side"),
    [
        ("gen-03-sidebar-right-times.pdf", "Experience", "Contact"),
        ("gen-09-html-two-columns.pdf", "Experience", "Contact"),
    ],
)
def test_sidebars_do_not_interleave_with_the_main_column(name: str, first_main: str, first_side: str) -> None:
    result = parse_pdf(pdf(name))
    lines = result.text.splitlines()
    assert lines.index(first_main) < lines.index(first_side)
    work = result.resume["work"]
    assert len(work) >= 2 and all(entry.get("highlights") for entry in work)


def test_right_aligned_dates_stay_on_their_rows() -> None:
    text = parse_pdf(pdf("gen-08-european.pdf")).text
    assert "Alpenwerk Software GmbH, Munich, Germany | since 2020" in text.splitlines()


def test_table_cells_stay_in_rows() -> None:
    result = parse_pdf(pdf("gen-04-tables-courier.pdf"))
    assert "2018-01 – 2023-06 | Andes Freight S.A. | Supply Chain Manager" in result.text.splitlines()
    assert [(w["name"], w["position"]) for w in result.resume["work"]] == [
        ("Andes Freight S.A.", "Supply Chain Manager"),
        ("Pacific Ports Co.", "Logistics Coordinator"),
        ("Grupo Verde", "Operations Analyst"),
    ]
    assert {s["name"] for s in result.resume["skills"]} == {"Planning", "Analytics", "Methods"}


def test_grid_of_blocks_is_read_block_by_block() -> None:
    result = parse_pdf(pdf("reactive-resume-onyx.pdf"))
    assert result.resume["skills"][0] == {
        "name": "Web Technologies",
        "keywords": ["HTML5", "JavaScript", "PHP", "Python"],
        "level": "Advanced",
    }
    assert result.resume["certificates"] == [
        {"name": "Full-Stack Web Development", "date": "2020", "issuer": "CodeAcademy"},
        {"name": "AWS Certified Developer", "date": "2019", "issuer": "Amazon Web Services"},
    ]


def test_running_headers_and_page_numbers_are_dropped_and_sections_span_pages() -> None:
    result = parse_pdf(pdf("gen-06-two-pages.pdf"))
    assert result.pages == 2
    assert "Page 1 of 2" not in result.text and "Daniel Kowalski — Resume" not in result.text
    assert [w["name"] for w in result.resume["work"]] == [
        "Vistula Payments",
        "Amber Search Technologies",
        "Polar Messaging",
        "Baltic Bank",
        "Kite Labs",
    ]
