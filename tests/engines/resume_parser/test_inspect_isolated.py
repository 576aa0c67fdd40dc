"""inspect_isolated_async: the upload checks in a sandboxed child, with the content fingerprint the
duplicate check compares (same for the same document in other bytes, different for other text)."""

from __future__ import annotations

import pymupdf
import pytest

from backend.engines.resume_parser import ResumeParseError, inspect_isolated_async
from tests.engines.resume_parser.samples import pdf


def _resaved(data: bytes) -> bytes:
    doc = pymupdf.open(stream=data, filetype="pdf")
    doc.set_metadata({"title": "another title"})
    out = bytes(doc.tobytes(garbage=4, deflate=True))
    doc.close()
    return out


async def test_the_fingerprint_follows_the_text_not_the_bytes() -> None:
    original = pdf("resume-matcher-single-column.pdf")
    info = await inspect_isolated_async(original)
    assert info.pages >= 1 and info.fingerprint is not None and len(info.fingerprint) == 64
    assert (await inspect_isolated_async(original + b"\n%garbage\n")).fingerprint == info.fingerprint
    assert (await inspect_isolated_async(_resaved(original))).fingerprint == info.fingerprint
    other = await inspect_isolated_async(pdf("reactive-resume-onyx.pdf"))
    assert other.fingerprint not in (None, info.fingerprint)


async def test_a_scan_has_no_fingerprint() -> None:
    assert (await inspect_isolated_async(pdf("scanned.pdf"))).fingerprint is None


@pytest.mark.parametrize(
    ("name", "code"),
    [("text-bomb.pdf", "too_complex"), ("deep-nesting.pdf", "corrupt"), ("encrypted.pdf", "encrypted")],
)
async def test_hostile_files_end_in_a_code(name: str, code: str) -> None:
    with pytest.raises(ResumeParseError) as caught:
        await inspect_isolated_async(pdf(name))
    assert caught.value.code == code
