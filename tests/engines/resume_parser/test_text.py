"""Cleanup of what text layers hold: ligatures, icon-font glyphs (private-use area), odd spaces."""

from __future__ import annotations

import pytest

from backend.engines.resume_parser import parse_pdf
from backend.engines.resume_parser.text import ICON, clean, is_private_use, letters_spaced_out, strip_icons
from tests.engines.resume_parser.samples import pdf


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Certi\ufb01ed", "Certified"),
        ("Chief Financial O\ufb03cer", "Chief Financial Officer"),
        ("Wa\ufb04e & Co.", "Waffle & Co."),
        ("e\ufb00ort \ufb02ow", "effort flow"),
        ("ﬆyle", "style"),
        ("O\u2019Brien", "O'Brien"),
        ("non\u2011breaking\u00a0space", "non-breaking space"),
        ("soft\u00adhyphen zero\u200bwidth", "softhyphen zerowidth"),
        ("missing\ufffd glyph", "missing glyph"),
    ],
)
def test_ligatures_and_typography_become_plain_text(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_icon_glyphs_separate_contact_fields() -> None:
    # The contact line of Reactive Resume's Onyx template, as its text layer holds it (Phosphor icons).
    raw = "\uebe0Pleasantville, CA 94588 \uec6a(555) 123-4567 \ue989john.doe@gmail.com \uebc2https://johndoe.me/"
    cleaned = clean(raw)
    assert (
        cleaned
        == f"{ICON} Pleasantville, CA 94588 {ICON} (555) 123-4567 {ICON} john.doe@gmail.com {ICON} https://johndoe.me/"
    )
    assert not any(is_private_use(char) for char in cleaned)
    assert strip_icons(cleaned) == "Pleasantville, CA 94588 (555) 123-4567 john.doe@gmail.com https://johndoe.me/"


@pytest.mark.parametrize(
    "raw", ["\uf0e0 mail@x.org", "✉ mail@x.org", "☎ mail@x.org", "▪ mail@x.org", "\U000f0001 mail@x.org"]
)
def test_pictographs_and_markers_all_become_one_marker(raw: str) -> None:
    assert clean(raw) == f"{ICON} mail@x.org"


def test_symbols_that_are_text_are_kept() -> None:
    assert clean("Brand™ © 2020 20°C") == "BrandTM © 2020 20°C"


def test_letter_spaced_headings_are_joined() -> None:
    assert letters_spaced_out("E X P E R I E N C E") == "EXPERIENCE"
    assert letters_spaced_out("Go is fun") == "Go is fun"


def test_ligature_pdf_parses_to_plain_words() -> None:
    result = parse_pdf(pdf("gen-05-html-ligatures.pdf"))
    assert "\ufb01" not in result.text and "\ufb03" not in result.text
    assert "Qualified chartered accountant" in result.text
    assert "Certifications" in result.text
    work = result.resume["work"]
    assert work[0]["name"] == "Redcliffe Outfitters Ltd"
    assert work[0]["position"] == "Chief Financial Officer"
    assert result.resume["education"][0]["institution"] == "University of Sheffield"
    assert "Workflow Automation" in result.resume["skills"][0]["keywords"]


def test_icon_font_contact_lines_parse_without_private_use_characters() -> None:
    for name in ("gen-07-inline-icons.pdf", "gen-02-sidebar-left-icons.pdf", "reactive-resume-onyx.pdf"):
        result = parse_pdf(pdf(name))
        assert not any(is_private_use(char) for char in result.text), name
        basics = result.resume["basics"]
        assert "@" in basics["email"] and basics["phone"], name
    onyx = parse_pdf(pdf("reactive-resume-onyx.pdf")).resume["basics"]
    assert onyx["location"] == {"city": "Pleasantville", "region": "CA", "postalCode": "94588"}
    assert onyx["url"] == "https://johndoe.me"
    # The profiles are icons next to "johndoe": their URLs come from the link annotations over them.
    assert [(p["network"], p["username"]) for p in onyx["profiles"]] == [("LinkedIn", "johndoe"), ("GitHub", "johndoe")]
