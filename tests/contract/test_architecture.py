"""The import contracts in pyproject.toml (`[tool.importlinter]`) hold: engines are pure, the platform
and the queue never reach up into features or entry points, and what workers reuse never imports
Litestar. A broken contract names the import chain that breaks it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
