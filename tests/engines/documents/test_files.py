"""The exported files themselves: PDFs open unrepaired with every font embedded, selectable text and
links; Word files reopen with their text and hyperlinks; JSON validates against JSON Resume v1.0.0;
cover letters in the three formats."""

from __future__ import annotations

import io
import json
from typing import Any

import docx
import jsonschema
import pymupdf
import pytest

from backend.engines.documents import Letter, letter_document, resume_document
from backend.engines.documents.json_resume import SCHEMA_URL, schema, to_json_resume
from tests.engines.documents.corpus import parsed_corpus

BASE14 = {
    "Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique", "Times-Roman", "Times-Bold",
    "Times-Italic", "Times-BoldItalic", "Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique",
    "Symbol", "ZapfDingbats",
}  # fmt: skip

RESUME: dict[str, Any] = {
    "basics": {
        "name": "Zoë Łukasiewicz-Ngata",
        "label": "Staff Engineer",
        "email": "zoe@example.org",
        "phone": "+44 20 7946 0958",
        "url": "https://zoe.example.org",
        "summary": "Builds calm systems.\nLikes maps.",
        "location": {"city": "Leeds", "countryCode": "GB"},
        "profiles": [
            {"network": "GitHub", "username": "zoe", "url": "https://github.com/zoe"},
            {"network": "Evil", "url": "javascript:alert(1)"},
        ],
    },
    "work": [
        {
            "name": "Acme Robotics", "position": "Staff Engineer", "location": "Leeds, GB", "startDate": "2021-03",
            "highlights": ["Cut build times by 40%", "x" * 300], "url": "acme.example.com",
        },
        {"name": "Umbrella", "position": "Engineer", "startDate": "2016-01", "endDate": "2021-02-28"},
    ],
    "education": [{"institution": "University of Leeds", "studyType": "BSc", "area": "Physics", "endDate": "2015"}],
    "skills": [{"name": "Languages", "keywords": ["Rust", "C++", "C#"]}, {"name": "Leadership"}],
    "languages": [{"language": "Welsh", "fluency": "Native"}],
    "certificates": [{"name": "CKA", "date": "2022-05", "issuer": "CNCF"}],
    "projects": [{"name": "Atlas", "description": "Offline maps", "url": "https://atlas.example.org"}],
    "volunteer": [{"organization": "Code Club", "position": "Mentor", "startDate": "2019"}],
    "awards": [{"title": "Best Paper", "date": "2020", "awarder": "ICSE"}],
    "interests": [{"name": "Climbing"}],
    "references": [{"name": "Ada L.", "reference": "Excellent."}],
    "publications": [{"name": "On Maps", "publisher": "ACM", "releaseDate": "2019-07"}],
    "meta": {"unknown": True},
    "extra": "not in the schema",
}  # fmt: skip


def open_pdf(data: bytes) -> pymupdf.Document:
    doc = pymupdf.open(stream=data, filetype="pdf")
    assert not doc.is_repaired
    assert not doc.is_encrypted
    return doc


def assert_fonts_embedded(doc: pymupdf.Document) -> None:
    for page in doc.pages():
        fonts = page.get_fonts(full=True)
        assert fonts
        for xref, ext, _type, basefont, *_ in fonts:
            assert ext != "n/a", f"font {basefont} (xref {xref}) is not embedded"
            assert basefont.split("+")[-1] not in BASE14


def test_resume_pdf_is_valid_selectable_and_linked() -> None:
    doc = open_pdf(resume_document(RESUME, "pdf"))
    assert_fonts_embedded(doc)
    text = "\n".join(page.get_text() for page in doc.pages())
    for expected in ("Zoë Łukasiewicz-Ngata", "EXPERIENCE", "Staff Engineer — Acme Robotics", "Mar 2021 \u2013 Present",
                     "Leeds, United Kingdom", "Cut build times by 40%", "University of Leeds", "Rust, C++, C#", "CKA",
                     "Welsh (Native)", "Atlas", "Code Club", "Best Paper", "On Maps", "Climbing"):  # fmt: skip
        assert expected in text, expected
    uris = {link["uri"] for page in doc.pages() for link in page.get_links() if link["kind"] == pymupdf.LINK_URI}
    assert {"mailto:zoe@example.org", "tel:+442079460958", "https://zoe.example.org", "https://github.com/zoe",
            "https://acme.example.com", "https://atlas.example.org"} <= uris  # fmt: skip
    assert not any(uri.startswith("javascript:") for uri in uris)
    assert doc.metadata is not None and doc.metadata["title"].startswith("Zoë")


def test_every_fixture_exports_a_valid_pdf() -> None:
    for name, resume in parsed_corpus():
        doc = open_pdf(resume_document(resume, "pdf"))
        assert_fonts_embedded(doc)
        text = "".join(page.get_text() for page in doc.pages())
        assert resume["basics"]["name"] in text, name
        if email := resume["basics"].get("email"):
            assert any(link.get("uri") == f"mailto:{email}" for link in doc[0].get_links()), name


def test_long_resumes_flow_onto_more_pages_and_headings_never_end_a_page() -> None:
    long = {**RESUME, "work": [{**RESUME["work"][0], "name": f"Company {i}"} for i in range(30)]}
    doc = open_pdf(resume_document(long, "pdf"))
    assert doc.page_count > 2
    for page in doc.pages():
        lines = [line for line in page.get_text().splitlines() if line.strip()]
        assert lines[-1] not in {"EXPERIENCE", "EDUCATION", "SKILLS"}
    text = "".join(page.get_text() for page in doc.pages())
    assert all(f"Company {i}" in text for i in range(30))


def test_characters_outside_nimbus_sans_use_the_embedded_fallback() -> None:
    doc = open_pdf(resume_document({"basics": {"name": "王小明", "email": "wang@example.cn"}}, "pdf"))
    assert_fonts_embedded(doc)
    assert "王小明" in doc[0].get_text()
    assert len(resume_document({"basics": {"name": "王小明"}}, "pdf")) < 400_000  # the fallback is subset


def test_empty_and_odd_data_still_make_documents() -> None:
    for data in ({}, {"basics": None, "work": "nope", "skills": [None, 3, {"keywords": [1, "Go"]}]}):
        assert open_pdf(resume_document(data, "pdf")).page_count == 1
        docx.Document(io.BytesIO(resume_document(data, "docx")))
        jsonschema.validate(json.loads(resume_document(data, "json")), schema())


def test_resume_docx_has_the_text_styles_and_hyperlinks() -> None:
    document = docx.Document(io.BytesIO(resume_document(RESUME, "docx")))
    paragraphs = [(p.style.name if p.style else "", p.text) for p in document.paragraphs]
    assert paragraphs[0] == ("Title", "Zoë Łukasiewicz-Ngata")
    assert ("Heading 1", "EXPERIENCE") in paragraphs
    assert ("List Bullet", "Cut build times by 40%") in paragraphs
    assert ("Normal", "Staff Engineer — Acme Robotics") in paragraphs
    text = "\n".join(p for _, p in paragraphs)
    assert "zoe@example.org" in text and "Mar 2021 \u2013 Present | Leeds, United Kingdom" in text
    targets = {rel.target_ref for rel in document.part.rels.values() if rel.is_external}
    assert {"mailto:zoe@example.org", "https://github.com/zoe", "https://acme.example.com"} <= targets
    assert document.core_properties.author == "Zoë Łukasiewicz-Ngata"


def _validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(schema(), format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def test_the_vendored_schema_is_json_resume_v1() -> None:
    loaded = schema()
    jsonschema.Draft4Validator.check_schema(loaded)
    assert loaded["title"] == "Resume Schema" and loaded["additionalProperties"] is False
    sections = {"basics", "work", "volunteer", "education", "awards", "certificates", "publications", "skills",
                "languages", "interests", "references", "projects", "meta", "$schema"}  # fmt: skip
    assert set(loaded["properties"]) == sections
    # the schema rejects what it should: a bad date, an unknown top-level key
    assert list(_validator().iter_errors({"work": [{"startDate": "March 2020"}]}))
    assert list(_validator().iter_errors({"resume": {}}))


def test_json_export_validates_and_keeps_the_schema_fields() -> None:
    document = json.loads(resume_document(RESUME, "json", last_modified="2026-01-02T03:04:05"))
    assert not list(_validator().iter_errors(document))
    assert document["$schema"] == SCHEMA_URL
    assert "extra" not in document and document["meta"] == {"lastModified": "2026-01-02T03:04:05"}
    assert document["basics"]["profiles"] == [{"network": "GitHub", "username": "zoe", "url": "https://github.com/zoe"},
                                              {"network": "Evil"}]  # fmt: skip
    assert document["work"][0]["url"] == "https://acme.example.com"
    assert document["work"][1]["endDate"] == "2021-02-28"
    assert document["skills"] == RESUME["skills"]


def test_every_fixture_exports_valid_json_resume() -> None:
    validator = _validator()
    for name, resume in parsed_corpus():
        document = json.loads(resume_document(resume, "json"))
        assert not list(validator.iter_errors(document)), name
        assert to_json_resume(document) == document  # exporting the export changes nothing


def test_json_export_drops_values_the_schema_refuses() -> None:
    document = to_json_resume(
        {"basics": {"email": "not an email", "url": "javascript:alert(1)"}, "work": [{"startDate": "Spring 2020"}]}
    )
    assert document == {"$schema": SCHEMA_URL, "basics": {}}


LETTER = Letter(
    company="Acme Robotics",
    role="Staff Engineer",
    text="Dear hiring team,\r\n\r\nI build calm systems. I would like to build yours.\n\n\nKind regards,\nZoë\n",
    author="Zoë Ngata",
)


@pytest.mark.parametrize("fmt", ["pdf", "docx", "txt"])
def test_cover_letter_formats(fmt: str) -> None:
    data = letter_document(LETTER, fmt)  # type: ignore[arg-type]
    if fmt == "txt":
        assert (
            data.decode()
            == "Dear hiring team,\n\nI build calm systems. I would like to build yours.\n\n\nKind regards,\nZoë\n"
        )
        return
    if fmt == "pdf":
        doc = open_pdf(data)
        assert_fonts_embedded(doc)
        lines = doc[0].get_text().splitlines()
    else:
        document = docx.Document(io.BytesIO(data))
        lines = "\n".join(p.text for p in document.paragraphs).splitlines()
    assert lines[0] == "Staff Engineer — Acme Robotics"
    assert [line for line in lines[1:] if line] == [
        "Dear hiring team,", "I build calm systems. I would like to build yours.", "Kind regards,", "Zoë",
    ]  # fmt: skip


def test_long_letters_wrap_within_the_page() -> None:
    doc = open_pdf(letter_document(Letter("A", "B", " ".join(["word"] * 2000)), "pdf"))
    assert doc.page_count >= 2
    for page in doc.pages():
        for block in page.get_text("dict")["blocks"]:
            assert block["bbox"][2] <= page.rect.width - 50
