"""The import engine on its own: LinkedIn's dates, CSV decoding and preambles, the archive's bounds
(a declared size that lies), JSON Resume validation and the plain text of the data."""

from __future__ import annotations

import io
import zipfile

import pytest

from backend.engines.resume_import import (
    ArchiveLimits,
    ImportRefused,
    Note,
    from_json_resume,
    from_linkedin_archive,
    resume_text,
    validate,
)
from backend.engines.resume_import.linkedin import parse_csv, parse_date

PROFILE = b"First Name,Last Name,Headline\r\nAda,Lovelace,Analyst\r\n"
POSITIONS = b"Company Name,Title,Started On,Finished On\r\nAcme,CEO,Jan 2020,\r\n"


def archive(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Jan 2020", "2020-01"), ("September 2019", "2019-09"), ("Sept 2019", "2019-09"), ("2020", "2020"),
     ("Mar 15, 2021", "2021-03-15"), ("01/2020", "2020-01"), ("3/15/21", "2021-03-15"), ("2019-05-01", "2019-05-01"),
     ("", None), ("Present", None), ("13/2020", None), ("Foo 2020", None), ("0999", None)],
)  # fmt: skip
def test_linkedin_dates(value: str, expected: str | None) -> None:
    assert parse_date(value) == expected


def test_a_notes_preamble_and_a_bom_are_skipped() -> None:
    data = b'\xef\xbb\xbfNotes:\r\n"Some, with commas"\r\n\r\nName\r\nPython\r\n\r\nSQL\r\n'
    notes: list[Note] = []
    table = parse_csv(data, "Skills.csv", notes)
    assert table.rows == [{"Name": "Python"}, {"Name": "SQL"}] and notes == []


def test_latin_1_is_the_last_fallback_and_control_characters_are_removed() -> None:
    notes: list[Note] = []
    table = parse_csv("Name\r\nZo\x81ë\x01\r\n".encode("latin-1"), "Skills.csv", notes)  # 0x81: not cp1252
    assert table.rows == [{"Name": "Zo\x81ë"}]
    assert [n.message.split(";")[0] for n in notes] == [
        "is not UTF-8: read as Latin-1",
        "control characters removed from: row 1 Name",
    ]


def test_a_size_header_that_lies_is_caught_while_reading() -> None:
    body = bytearray(archive({"Profile.csv": PROFILE, "Positions.csv": POSITIONS + b"x" * 5000}))
    # shrink the declared uncompressed size of Positions.csv in its local and central headers
    info = zipfile.ZipFile(io.BytesIO(bytes(body))).getinfo("Positions.csv")
    real = info.file_size.to_bytes(4, "little")
    body = bytearray(bytes(body).replace(real, (100).to_bytes(4, "little")))
    with pytest.raises(ImportRefused) as refused:
        from_linkedin_archive(bytes(body), ArchiveLimits(max_csv_bytes=1000))
    assert refused.value.problems[0].field == "Positions.csv"


def test_an_encrypted_entry_and_a_header_without_its_columns_are_named() -> None:
    body = bytearray(archive({"Profile.csv": PROFILE, "Positions.csv": POSITIONS}))
    central = body.rfind(b"PK\x01\x02")  # the last central directory record: Positions.csv's
    assert body[central + 46 : central + 46 + len(b"Positions.csv")] == b"Positions.csv"
    body[central + 8] |= 0x1  # its flags: what a password-protected entry declares
    with pytest.raises(ImportRefused) as refused:
        from_linkedin_archive(bytes(body))
    assert [(p.field, p.message) for p in refused.value.problems] == [("Positions.csv", "is encrypted")]
    with pytest.raises(ImportRefused) as refused:
        from_linkedin_archive(archive({"Profile.csv": b"Nope\r\n1\r\n", "Positions.csv": POSITIONS}))
    assert [p.field for p in refused.value.problems] == ["Profile.csv: First Name", "Profile.csv: Last Name"]


def test_a_minimal_export_and_its_text() -> None:
    imported = from_linkedin_archive(archive({"profile.CSV": PROFILE, "deep/Positions.csv": POSITIONS}))
    assert imported.resume == {
        "basics": {"name": "Ada Lovelace", "label": "Analyst"},
        "work": [{"name": "Acme", "position": "CEO", "startDate": "2020-01"}],
    }
    assert validate(imported.resume) == []
    assert resume_text(imported.resume) == "Ada Lovelace\nAnalyst\n\nExperience\nCEO · Acme\n2020-01\n"


def test_json_resume_paths_and_limits() -> None:
    assert from_json_resume(b'{"basics": {"name": "A"}, "work": []}').resume == {"basics": {"name": "A"}, "work": []}
    problems = validate({"basics": {"name": "", "location": {"city": 3}}, "education": [{"courses": "x"}]})
    assert [(p.field, p.message) for p in problems] == [
        ("basics.location.city", "must be a string, not a number"),
        ("education[0].courses", "must be an array, not a string"),
        ("basics.name", "must not be empty"),
    ]
    assert validate({"basics": {"name": "A", "x-extra": {"k": "v\x00"}}})[0].field == "basics.x-extra.k"
