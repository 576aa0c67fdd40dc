"""The vCard writer alone: escaping and folding (RFC 6350 3.2 and 3.4) for any text, read back by a
real parser (vobject) and checked against the line rules octet by octet."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import vobject
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.features.contacts import vcard

WHEN = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
# Text a contact may hold: any character but NUL (the api refuses it), surrogates and the controls a
# vCard cannot carry (which the writer drops).
TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=300)
_DROPPED = re.compile(r"[\x01-\x08\x0b-\x1f\x7f]")


def expected(value: str) -> str:
    """What a reader gets back: newlines as LF, dropped controls gone."""
    return _DROPPED.sub("", re.sub(r"\r\n|\r|\n", "\n", value))


def lines_ok(text: str) -> None:
    raw = text.encode()
    assert raw.endswith(b"\r\n")
    for line in raw.split(b"\r\n")[:-1]:
        assert len(line) <= 75 and b"\r" not in line and b"\n" not in line
        line.decode()


def test_escaping_and_folding_by_hand() -> None:
    assert vcard.escape("a,b;c\\d\r\ne\rf\ng") == "a\\,b\\;c\\\\d\\ne\\nf\\ng"
    folded = vcard.fold("NOTE:" + "é" * 40)  # 5 + 80 octets: the cut must not split an é
    first, second = folded.removesuffix("\r\n").split("\r\n")
    assert len(first.encode()) == 75 and second.startswith(" ") and (first + second[1:]) == "NOTE:" + "é" * 40
    assert vcard.fold("FN:short") == "FN:short\r\n"
    assert vcard.uri("https://www.linkedin.com/in/x\n") == "https://www.linkedin.com/in/x"


@settings(max_examples=200, deadline=None)
@given(name=TEXT.filter(lambda v: expected(v).strip() != ""), notes=TEXT, company=TEXT, role=TEXT)
def test_any_text_round_trips_through_a_real_parser(name: str, notes: str, company: str, role: str) -> None:
    contact_id = uuid.uuid4()
    text = vcard.card(contact_id=contact_id, name=name, role=role, company=company, notes=notes, updated_at=WHEN)
    lines_ok(text)
    card = vobject.readOne(text)
    assert card.uid.value == f"urn:uuid:{contact_id}"
    assert card.fn.value == expected(name)
    if expected(notes):
        assert card.note.value == expected(notes)
    if expected(role):
        assert card.title.value == expected(role)
    if expected(company):
        assert card.org.value == [expected(company)]
