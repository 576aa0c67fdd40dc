"""The configuration the code reads, the README's table and the other documents agree.

The README's table is generated from the declarations in backend/settings.py
(`python -m backend.devtools.configuration --write`); the tables in docs/, the compose files and the
Kubernetes config may only name variables that exist, with the defaults the code declares.
"""

import re
from pathlib import Path

import yaml

from backend.devtools import configuration

ROOT = Path(__file__).resolve().parents[2]
# os.environ.get("X") · env.get("X") · env["X"] · _int(env, "X", …) (the dev supervisor's reader)
READS = re.compile(
    r"""(?:environ|env)(?:\.get)?[(\[]\s*["']([A-Z][A-Z0-9_]+)["']|_int\(\s*env,\s*["']([A-Z][A-Z0-9_]+)["']"""
)
NOT_OURS = {"PATH", "HOME"}
NAME = re.compile(r"`([A-Z][A-Z0-9_]{2,})`")


def _variables_read() -> set[str]:
    names: set[str] = set()
    for path in [*(ROOT / "backend").rglob("*.py"), *(ROOT / "tasks").rglob("*.py")]:
        for match in READS.finditer(path.read_text()):
            names.add(match.group(1) or match.group(2))
    return names - NOT_OURS


def test_the_readme_table_is_generated_from_the_declarations() -> None:
    table = configuration.readme_table((ROOT / "README.md").read_text())
    assert table == configuration.markdown_table(), "run: python -m backend.devtools.configuration --write"


def test_every_variable_read_is_documented() -> None:
    read = _variables_read()
    assert {"JWT_SECRET", "DEV_STOP_TIMEOUT", "USE_SYSTEM_REDIS", "TASK_SCHEDULE_OVERRIDES"} <= read  # the scan works
    assert sorted(read - configuration.variables()) == []


def _doc_rows() -> list[tuple[str, list[str], list[str]]]:
    """(file, variables, backticked defaults) of every table row of docs/*.md that starts with a variable."""
    rows = []
    for path in sorted((ROOT / "docs").glob("*.md")):
        for line in path.read_text().splitlines():
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if line.startswith("| `") and NAME.match(cells[0]) and len(cells) >= 3:
                rows.append((path.name, NAME.findall(cells[0]), re.findall(r"`([^`]*)`", cells[1])))
    return rows


def test_the_tables_in_docs_name_real_variables_with_their_defaults() -> None:
    rows = _doc_rows()
    assert any(name == "running.md" for name, _, _ in rows)  # the scan works
    known, generated = configuration.variables(), configuration.markdown_table()
    defaults = {m[1]: m[2] for m in re.finditer(r"^\| `([A-Z0-9_]+)`[^|]* \| `([^`]*)`(?:;|) ", generated, re.M)}
    unknown = [(doc, name) for doc, names, _ in rows for name in names if name not in known]
    assert unknown == []
    wrong = [
        (doc, name, value, defaults[name])
        for doc, names, values in rows
        if len(names) == len(values)
        for name, value in zip(names, values, strict=True)
        if name in defaults and value != defaults[name]
    ]
    assert wrong == []


def test_compose_sets_only_variables_that_exist() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    app_env = set(compose["x-app"]["environment"])
    assert {"DATABASE_URL", "JWT_KEYS"} <= app_env
    assert sorted(app_env - configuration.variables()) == []
    # the example env file feeds docker-compose.yml's ${…}: each name is either interpolated or read by the app
    example = (ROOT / "ops" / "compose.env.example").read_text()
    names = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, re.M))
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", (ROOT / "docker-compose.yml").read_text()))
    assert sorted(names - interpolated - configuration.variables() - {"COMPOSE_PROJECT_NAME"}) == []
