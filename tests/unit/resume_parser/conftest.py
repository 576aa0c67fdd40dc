"""Fixtures for the parser's unit tests: real PDFs from tests/fixtures/resumes, hostile PDFs built there."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

RESUMES = Path(__file__).resolve().parents[2] / "fixtures" / "resumes"
GENERATED = RESUMES / "generated"
HOSTILE = RESUMES / "hostile"


def pdf(name: str) -> bytes:
    """A fixture PDF by file name, looked up in generated/, hostile/ and the public samples."""
    for folder in (GENERATED, HOSTILE, RESUMES):
        path = folder / name
        if path.exists():
            return path.read_bytes()
    raise FileNotFoundError(name)


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("resume_fixture_generator", RESUMES / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generator() -> ModuleType:
    """tests/fixtures/resumes/generate.py, for PDFs too large to commit (2,000 pages)."""
    return _load_generator()
