"""Round trip over the resume fixtures: parse each fixture with the project's parser, export the data,
read the export back, and count the fields recovered.

- PDF: the export is parsed again by the same parser (`parse_pdf`) and compared field by field with
  the first parse; at least 98% of the fields must come back, over the whole corpus.
- Word: every field's text is in the document's paragraphs.
- JSON: the document holds every field exactly (it is the data itself).

`-s` prints the per-field tables.
"""

from __future__ import annotations

import io
import json

import docx
import pytest

from backend.engines.documents import resume_document
from backend.engines.documents.outline import date, place_name
from backend.engines.resume_parser import parse_pdf
from tests.engines.documents.corpus import Recovery, compare, norm, parsed_corpus, scored_fields

FLOOR = 0.98


@pytest.fixture(scope="module")
def corpus() -> tuple[tuple[str, dict], ...]:
    found = parsed_corpus()
    assert len(found) >= 40, "the fixture corpus shrank"
    return found


def test_pdf_round_trip_recovers_98_percent_of_fields(corpus: tuple[tuple[str, dict], ...]) -> None:
    recovery = Recovery()
    for name, resume in corpus:
        again = parse_pdf(resume_document(resume, "pdf")).resume
        compare(resume, again, name, recovery)
    print("\n" + recovery.table(f"PDF round trip over {len(corpus)} fixtures (parsed -> PDF -> parsed)"))
    assert sum(recovery.total.values()) >= 1000
    for required in ("basics.name", "work.name", "work.position", "work.startDate", "education.institution"):
        assert recovery.total[required] > 0
    assert recovery.rate >= FLOOR, recovery.misses[:40]


def test_docx_holds_every_field(corpus: tuple[tuple[str, dict], ...]) -> None:
    recovery = Recovery()
    for name, resume in corpus:
        document = docx.Document(io.BytesIO(resume_document(resume, "docx")))
        text = norm("\n".join(p.text for p in document.paragraphs))
        for _path, field_name, value in scored_fields(resume):
            shown = date(value) if field_name.endswith("Date") else value
            shown = place_name(shown) if field_name == "work.location" else shown  # "Lyon, FR" prints "Lyon, France"
            recovery.check(name, field_name, value, norm(shown) in text)
    print("\n" + recovery.table(f"Word export over {len(corpus)} fixtures (field text in the document)"))
    assert recovery.rate >= FLOOR, recovery.misses[:40]


def test_json_holds_every_field_exactly(corpus: tuple[tuple[str, dict], ...]) -> None:
    recovery = Recovery()
    for name, resume in corpus:
        again = json.loads(resume_document(resume, "json"))
        compare(resume, again, name, recovery)
    print("\n" + recovery.table(f"JSON Resume export over {len(corpus)} fixtures"))
    assert recovery.rate == 1.0, recovery.misses[:40]
