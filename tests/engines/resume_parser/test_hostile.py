"""Files a user may upload that are not readable resumes: each ends in the right code, quickly."""

from __future__ import annotations

import time
from types import ModuleType

import pymupdf
import pytest

from backend.engines.resume_parser import PdfInfo, ResumeParseError, inspect_pdf, parse_pdf
from tests.engines.resume_parser.samples import pdf


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("empty.pdf", "empty"),
        ("not-a-pdf.pdf", "not_pdf"),
        ("truncated.pdf", "corrupt"),
        ("encrypted.pdf", "encrypted"),
    ],
)
def test_inspect_refuses_unreadable_uploads(name: str, code: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ResumeParseError) as caught:
        inspect_pdf(pdf(name))
    assert caught.value.code == code
    assert caught.value.reason.endswith(".") and len(caught.value.reason) < 300
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("empty.pdf", "empty"),
        ("not-a-pdf.pdf", "not_pdf"),
        ("truncated.pdf", "corrupt"),
        ("encrypted.pdf", "encrypted"),
        ("scanned.pdf", "no_text"),
        ("page-tree-loop.pdf", "corrupt"),
        ("deep-nesting.pdf", "corrupt"),
        ("recursive-xobject.pdf", "no_text"),
    ],
)
def test_parse_refuses_unreadable_uploads(name: str, code: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ResumeParseError) as caught:
        parse_pdf(pdf(name))
    assert caught.value.code == code
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("data", [b"hello, not a pdf", b"%PDF-1.7\n", b"GIF89a" + b"\x00" * 40, b"<html>%PDF-</html>"])
def test_other_non_pdfs(data: bytes) -> None:
    with pytest.raises(ResumeParseError) as caught:
        inspect_pdf(data)
    assert caught.value.code in ("not_pdf", "corrupt")


def test_two_thousand_pages_are_refused_without_reading_them(generator: ModuleType) -> None:
    data = generator.many_pages_pdf(2000)
    started = time.perf_counter()
    with pytest.raises(ResumeParseError) as caught:
        inspect_pdf(data, max_pages=20)
    assert caught.value.code == "too_many_pages"
    assert "2000" in caught.value.reason
    with pytest.raises(ResumeParseError) as caught:
        parse_pdf(data, max_pages=20)
    assert caught.value.code == "too_many_pages"
    assert time.perf_counter() - started < 1
    assert inspect_pdf(data).pages == 2000  # no cap asked for: just the facts


def test_inspect_describes_a_good_resume() -> None:
    assert inspect_pdf(pdf("gen-06-two-pages.pdf")) == PdfInfo(pages=2, encrypted=False, repaired=False, has_text=True)
    assert inspect_pdf(pdf("scanned.pdf")).has_text is False


def test_owner_password_only_pdfs_open_and_parse() -> None:
    """Permissions-only encryption (no password to open) is common and harmless."""
    doc = pymupdf.open(stream=pdf("gen-01-classic-helvetica.pdf"), filetype="pdf")
    data = doc.tobytes(encryption=pymupdf.mupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="")
    info = inspect_pdf(data)
    assert info.encrypted and info.pages == 1
    assert parse_pdf(data).resume["basics"]["name"] == "Maya Okafor"


def test_a_damaged_but_repairable_pdf_is_read_with_a_warning() -> None:
    data = bytearray(pdf("jobsync-standard.pdf"))
    start = data.rindex(b"startxref")
    data[start + 10 : start + 14] = b"9999"  # a broken cross-reference offset; the file is complete
    info = inspect_pdf(bytes(data))
    assert info.repaired
    result = parse_pdf(bytes(data))
    assert result.resume["basics"]["name"] == "Priya Raman"
    assert any("repaired" in warning for warning in result.warnings)
