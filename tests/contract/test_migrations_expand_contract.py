"""Expand/contract: a migration runs while the previous release still serves (docs/rollouts.md), so it
may only add. Every migration in migrations/ is loaded and its `forwards()` manager read (Piccolo's
operations, and the SQL its raw steps send, recorded without a database); a destructive step (DROP
TABLE or COLUMN, RENAME, a column made NOT NULL without a default, a type narrowed) is refused unless
the module is marked as the contract step of a later release:

    CONTRACT_STEP = "why it is safe now: what stopped using it, in which release"
    EXPANDED_IN = "<the ID of the earlier migration that added the replacement>"

The synthetic migrations below prove that the check refuses each kind of step, and accepts it once
marked.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import column_types
from piccolo.table import Table

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted((ROOT / "migrations").glob("*.py"))
MIGRATIONS = [path for path in MIGRATIONS if path.name != "__init__.py"]

# Column type changes that keep every value (anything else is a narrowing).
WIDENINGS = {
    (column_types.Varchar, column_types.Text),
    (column_types.SmallInt, column_types.Integer),
    (column_types.SmallInt, column_types.BigInt),
    (column_types.Integer, column_types.BigInt),
    (column_types.Real, column_types.DoublePrecision),
    (column_types.Timestamp, column_types.Timestamptz),
}
RAW_RULES = (
    ("DROP TABLE", re.compile(r"\bDROP\s+TABLE\b", re.I)),
    ("DROP COLUMN", re.compile(r"\bDROP\s+COLUMN\b", re.I)),
    (
        "DROP COLUMN",
        re.compile(
            r"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?[\w.\"]+\s+DROP\s+"
            r"(?!COLUMN\b|CONSTRAINT\b|DEFAULT\b|NOT\s+NULL\b|EXPRESSION\b|IDENTITY\b)",
            re.I,
        ),
    ),
    ("RENAME", re.compile(r"\bRENAME\b", re.I)),
    ("type change", re.compile(r"\bALTER\s+COLUMN\s+[\w\"]+\s+(?:SET\s+DATA\s+)?TYPE\b", re.I)),
)
NOT_NULL = re.compile(r"\bSET\s+NOT\s+NULL\b", re.I)
SET_DEFAULT = re.compile(r"\bSET\s+DEFAULT\b", re.I)


@dataclass(frozen=True)
class Migration:
    path: Path
    module: ModuleType

    @property
    def id(self) -> str:
        return str(self.module.ID)


def load(path: Path) -> Migration:
    spec = importlib.util.spec_from_file_location(f"_migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return Migration(path, module)


async def recorded_sql(manager: MigrationManager, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL the manager's raw forwards steps send (Table.raw recorded, nothing sent)."""
    sent: list[str] = []

    async def _nothing() -> list[Any]:
        return []

    def raw(cls: type[Table], sql: str, *args: Any) -> Any:
        sent.append(sql)
        return _nothing()

    with monkeypatch.context() as patch:
        patch.setattr(Table, "raw", classmethod(raw))
        for step in manager.raw:
            result = step()
            if hasattr(result, "__await__"):
                await result
    return sent


def _narrowed(change: Any) -> str | None:
    old, new = change.old_column_class, change.column_class
    if old is not None and new is not None and old is not new and (old, new) not in WIDENINGS:
        return f"{old.__name__} -> {new.__name__}"
    old_length, new_length = change.old_params.get("length"), change.params.get("length")
    if old_length is not None and new_length is not None and new_length < old_length:
        return f"length {old_length} -> {new_length}"
    return None


def destructive_steps(manager: MigrationManager, sql: list[str]) -> Iterator[str]:
    """What in this migration would break the release still running beside it."""
    for table in manager.drop_tables:
        yield f"DROP TABLE {table.tablename}"
    for renamed in manager.rename_tables:
        yield f"RENAME TABLE {renamed.old_tablename} -> {renamed.new_tablename}"
    for column in manager.drop_columns.drop_columns:
        yield f"DROP COLUMN {column.tablename}.{column.db_column_name}"
    for renamed_column in manager.rename_columns.rename_columns:
        where = renamed_column.tablename
        yield f"RENAME COLUMN {where}.{renamed_column.old_db_column_name} -> {renamed_column.new_db_column_name}"
    for change in manager.alter_columns.alter_columns:
        where = f"{change.tablename}.{change.db_column_name}"
        made_not_null = change.params.get("null") is False and change.old_params.get("null") is not False
        if made_not_null and "default" not in change.params:
            yield f"NOT NULL without a default on {where}"
        if (narrowing := _narrowed(change)) is not None:
            yield f"type narrowed on {where}: {narrowing}"
    for statement in sql:
        for name, rule in RAW_RULES:
            if rule.search(statement):
                yield f"{name} in raw SQL: {statement.strip()}"
                break
        else:
            if NOT_NULL.search(statement) and not SET_DEFAULT.search(statement):
                yield f"NOT NULL without a default in raw SQL: {statement.strip()}"


def refusal(migration: Migration, steps: list[str], earlier_ids: set[str]) -> str | None:
    """Why `migration` is refused (None: accepted)."""
    if not steps:
        return None
    reason = getattr(migration.module, "CONTRACT_STEP", None)
    expanded_in = getattr(migration.module, "EXPANDED_IN", None)
    if not isinstance(reason, str) or not reason.strip():
        return (
            f"{migration.path.name} is destructive ({'; '.join(steps)}) and not marked as a contract step: split it "
            "into an expand migration now and a contract migration (CONTRACT_STEP, EXPANDED_IN) in a later release"
        )
    if expanded_in not in earlier_ids:
        return f"{migration.path.name}: EXPANDED_IN must name an earlier migration's ID, got {expanded_in!r}"
    return None


async def check(paths: list[Path], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every refusal among `paths` (in ID order)."""
    migrations = sorted((load(path) for path in paths), key=lambda m: m.id)
    refusals: list[str] = []
    earlier: set[str] = set()
    for migration in migrations:
        manager = await migration.module.forwards()
        steps = list(destructive_steps(manager, await recorded_sql(manager, monkeypatch)))
        if (why := refusal(migration, steps, earlier)) is not None:
            refusals.append(why)
        earlier.add(migration.id)
    return refusals


async def test_every_migration_only_expands_unless_marked_as_a_later_contract_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert len(MIGRATIONS) >= 10
    assert await check(MIGRATIONS, monkeypatch) == []


HEADER = """
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt, Integer, Text, Varchar
from piccolo.table import Table


class RawTable(Table):
    pass


ID = "2099-01-01T00:00:00:000000"
"""
SYNTHETIC = {
    "drop_column": """
    manager.drop_column(table_class_name="User", tablename="users", column_name="full_name", db_column_name="full_name")
""",
    "drop_table": """
    manager.drop_table(class_name="Note", tablename="notes")
""",
    "rename_column": """
    manager.rename_column(
        table_class_name="User", tablename="users", old_column_name="full_name", new_column_name="name",
        old_db_column_name="full_name", new_db_column_name="name",
    )
""",
    "not_null": """
    manager.alter_column(
        table_class_name="User", tablename="users", column_name="full_name", db_column_name="full_name",
        params={"null": False}, old_params={"null": True},
    )
""",
    "narrowing": """
    manager.alter_column(
        table_class_name="User", tablename="users", column_name="full_name", db_column_name="full_name",
        params={"length": 50}, old_params={"length": 255}, column_class=Varchar, old_column_class=Varchar,
    )
    manager.alter_column(
        table_class_name="User", tablename="users", column_name="logins", db_column_name="logins",
        params={}, old_params={}, column_class=Integer, old_column_class=BigInt,
    )
""",
    "raw_drop": """
    async def run():
        await RawTable.raw("ALTER TABLE users DROP full_name")

    manager.add_raw(run)
""",
    "raw_rename": """
    async def run():
        await RawTable.raw('ALTER TABLE "users" RENAME COLUMN full_name TO name')

    manager.add_raw(run)
""",
    "raw_not_null": """
    async def run():
        await RawTable.raw("ALTER TABLE users ALTER COLUMN full_name SET NOT NULL")

    manager.add_raw(run)
""",
    "raw_type": """
    async def run():
        await RawTable.raw("ALTER TABLE users ALTER COLUMN full_name TYPE varchar(20)")

    manager.add_raw(run)
""",
}
HARMLESS = {
    "widening": """
    manager.alter_column(
        table_class_name="User", tablename="users", column_name="full_name", db_column_name="full_name",
        params={}, old_params={}, column_class=Text, old_column_class=Varchar,
    )
""",
    "not_null_with_default": """
    manager.alter_column(
        table_class_name="User", tablename="users", column_name="full_name", db_column_name="full_name",
        params={"null": False, "default": ""}, old_params={"null": True},
    )
""",
    "raw_index": """
    async def run():
        await RawTable.raw("CREATE INDEX IF NOT EXISTS users_x_idx ON users (full_name)")
        await RawTable.raw("DROP INDEX IF EXISTS users_old_idx")
        await RawTable.raw("ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL")

    manager.add_raw(run)
""",
}


def _write(directory: Path, name: str, body: str, marker: str = "") -> Path:
    path = directory / f"synthetic_{name}.py"
    forwards = (
        "\n\nasync def forwards():\n"
        '    manager = MigrationManager(migration_id=ID, app_name="career_copilot", description="synthetic")\n'
        f"{body}\n    return manager\n"
    )
    path.write_text(HEADER + marker + forwards)
    return path


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
async def test_a_destructive_migration_is_refused_until_marked_as_the_contract_step_of_a_later_release(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unmarked = _write(tmp_path, name, SYNTHETIC[name])
    (refused,) = await check([*MIGRATIONS, unmarked], monkeypatch)
    assert "not marked as a contract step" in refused and unmarked.name in refused

    earliest = load(MIGRATIONS[0]).id
    wrong = _write(tmp_path, name, SYNTHETIC[name], 'CONTRACT_STEP = "nothing reads it since 2026.12"\n')
    (refused,) = await check([*MIGRATIONS, wrong], monkeypatch)
    assert "EXPANDED_IN must name an earlier migration" in refused

    marked = _write(
        tmp_path,
        name,
        SYNTHETIC[name],
        f'CONTRACT_STEP = "nothing reads it since 2026.12"\nEXPANDED_IN = "{earliest}"\n',
    )
    assert await check([*MIGRATIONS, marked], monkeypatch) == []


@pytest.mark.parametrize("name", sorted(HARMLESS))
async def test_widening_a_type_a_default_with_not_null_and_indexes_are_expand_steps(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await check([*MIGRATIONS, _write(tmp_path, name, HARMLESS[name])], monkeypatch) == []
