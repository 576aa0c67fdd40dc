"""The parser's unit tests: the generator of hostile PDFs (tests/fixtures/resumes/generate.py)."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.engines.resume_parser.samples import load_generator


@pytest.fixture(scope="session")
def generator() -> ModuleType:
    """tests/fixtures/resumes/generate.py, for PDFs too large to commit (2,000 pages)."""
    return load_generator()
