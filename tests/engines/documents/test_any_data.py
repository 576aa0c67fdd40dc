"""Any data makes documents: whatever strings a stored or imported resume holds (control characters,
lone surrogates, any script, any length), every format is made, PDFs open unrepaired with their fonts
embedded, Word files reopen, JSON validates against the schema; letters likewise."""

from __future__ import annotations

import io
import json

import docx
import jsonschema
import pymupdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.engines.documents import Letter, letter_document, resume_document
from backend.engines.documents.json_resume import schema

words = st.text(st.characters(codec=None, exclude_categories=()), max_size=80)
dates = st.one_of(st.from_regex(r"\A(19|20)\d\d(-(0[1-9]|1[0-2]))?\Z"), words)
job = st.fixed_dictionaries(
    {},
    optional={
        "name": words, "position": words, "location": words, "startDate": dates, "endDate": dates,
        "url": words, "summary": words, "highlights": st.lists(words, max_size=4),
    },
)  # fmt: skip
resumes = st.fixed_dictionaries(
    {},
    optional={
        "basics": st.fixed_dictionaries(
            {}, optional={"name": words, "label": words, "email": words, "phone": words, "url": words,
                          "summary": words, "location": st.dictionaries(st.sampled_from(["city", "region"]), words),
                          "profiles": st.lists(st.dictionaries(st.sampled_from(["network", "url"]), words), max_size=3)}
        ),
        "work": st.lists(job, max_size=4),
        "education": st.lists(st.dictionaries(st.sampled_from(["institution", "area", "studyType", "endDate"]), words),
                              max_size=3),
        "skills": st.lists(st.fixed_dictionaries({}, optional={"name": words, "keywords": st.lists(words, max_size=5)}),
                           max_size=4),
    },
)  # fmt: skip


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(resumes)
def test_any_resume_data_makes_every_format(resume: dict) -> None:
    doc = pymupdf.open(stream=resume_document(resume, "pdf"), filetype="pdf")
    assert not doc.is_repaired
    assert all(font[1] != "n/a" for page in doc.pages() for font in page.get_fonts())
    docx.Document(io.BytesIO(resume_document(resume, "docx")))
    jsonschema.validate(json.loads(resume_document(resume, "json")), schema())


@settings(max_examples=12, deadline=None)
@given(words, words, st.text(st.characters(codec=None), max_size=3000), words)
def test_any_letter_makes_every_format(company: str, role: str, text: str, author: str) -> None:
    letter = Letter(company, role, text, author)
    assert not pymupdf.open(stream=letter_document(letter, "pdf"), filetype="pdf").is_repaired
    docx.Document(io.BytesIO(letter_document(letter, "docx")))
    letter_document(letter, "txt").decode()
