"""The parser's sample PDFs: real ones from tests/fixtures/resumes, and the generator of the hostile ones."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.support import FIXTURES

RESUMES = FIXTURES / "resumes"
GENERATED = RESUMES / "generated"
HOSTILE = RESUMES / "hostile"


def pdf(name: str) -> bytes:
    """A fixture PDF by file name, looked up in generated/, hostile/ and the public samples."""
    for folder in (GENERATED, HOSTILE, RESUMES):
        path = folder / name
        if path.exists():
            return path.read_bytes()
    raise FileNotFoundError(name)


def load_generator() -> ModuleType:
    """tests/fixtures/resumes/generate.py, imported once under its own module name."""
    spec = importlib.util.spec_from_file_location("resume_fixture_generator", RESUMES / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module
