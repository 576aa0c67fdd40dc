"""Every environment variable the code reads is in the README's configuration table."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# os.environ.get("X") · env.get("X") · env["X"] · _int(env, "X", …) and the other typed readers
READS = re.compile(
    r"""(?:environ|env)(?:\.get)?[(\[]\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|_(?:int|float|bool|list|optional_bool)\(\s*env,\s*["']([A-Z][A-Z0-9_]+)["']"""
)
NOT_OURS = {"PATH", "HOME"}


def _variables_read() -> set[str]:
    names: set[str] = set()
    for path in [*(ROOT / "backend").rglob("*.py"), *(ROOT / "tasks").rglob("*.py")]:
        for match in READS.finditer(path.read_text()):
            names.add(match.group(1) or match.group(2))
    return names - NOT_OURS


def _configuration_table() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme[readme.index("## Configuration") :].split("\n## ", 1)[0]


def test_every_variable_read_is_documented() -> None:
    read = _variables_read()
    assert {"DATABASE_URL", "LOGIN_MAX_FAILURES_PER_IP", "USE_SYSTEM_REDIS"} <= read  # the scan works
    table = _configuration_table()
    assert sorted(name for name in read if f"`{name}`" not in table) == []
