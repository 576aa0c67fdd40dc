"""What ships: the wheel and the container image hold the product, never the development tools.

`backend/devtools/` (the `make dev` supervisor, embedded Postgres/Redis, the mail catcher, the
contract generator) is excluded from the wheel by pyproject.toml and from the image's build context by
`.dockerignore`; no product module imports it (the api mounts the dev mailbox lazily, in development).
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_holds_the_product_and_no_devtools(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    command = [uv, "build"] if uv else ["python3", "-m", "uv", "build"]
    subprocess.run([*command, "--wheel", "-q", "-o", str(tmp_path)], cwd=ROOT, check=True, timeout=300)
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith("backend/devtools/")]
    for shipped in ("backend/entrypoints/api.py", "backend/platform/http/problems.py", "tasks/broker.py"):
        assert shipped in names


def test_the_image_context_leaves_devtools_out() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert "backend/devtools/" in lines
    assert lines.index("backend/devtools/") > lines.index("!backend/")  # a later line wins


def test_product_code_never_imports_devtools() -> None:
    offenders = []
    for path in [*ROOT.joinpath("backend").rglob("*.py"), *ROOT.joinpath("tasks").rglob("*.py")]:
        if "devtools" in path.parts:
            continue
        text = path.read_text()
        for number, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith(("import backend.devtools", "from backend.devtools")):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    # The one exception: create_app imports the dev mailbox inside a function, in development only.
    assert offenders == ["backend/entrypoints/api.py:" + _lazy_import_line()]


def _lazy_import_line() -> str:
    lines = (ROOT / "backend/entrypoints/api.py").read_text().splitlines()
    (number,) = [n for n, line in enumerate(lines, 1) if "from backend.devtools.mail.http import" in line]
    assert lines[number - 1].startswith("    "), "the dev mailbox must be imported inside a function"
    return str(number)
