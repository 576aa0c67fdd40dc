"""Write the published contract (`frontend_contract/openapi.json`) from the code.

`python -m backend.contract` regenerates it; `python -m backend.contract --check` exits 1 on drift
(the contract test does the same). The app is built with default settings and never started.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CONTRACT_DIR = Path(__file__).resolve().parents[1] / "frontend_contract"


def render_openapi() -> str:
    from backend.app import create_app
    from backend.settings import Settings

    schema = create_app(Settings()).openapi_schema.to_schema()
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def rendered() -> dict[str, str]:
    """File name in frontend_contract/ -> expected content."""
    return {"openapi.json": render_openapi()}


def main(argv: list[str]) -> int:
    stale = [name for name, text in rendered().items() if _read(CONTRACT_DIR / name) != text]
    if "--check" in argv:
        for name in stale:
            print(f"frontend_contract/{name} is out of date: run `make contract`", file=sys.stderr)
        return 1 if stale else 0
    for name, text in rendered().items():
        (CONTRACT_DIR / name).write_text(text)
    print(f"wrote {len(rendered())} file(s) to {CONTRACT_DIR}")
    return 0


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
