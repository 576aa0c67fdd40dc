"""Which master keys the stored data needs, counted from indexes, and moving it to the active key.

Every envelope blob (backend/platform/crypto/envelope.py) names its master key in its header. The
encrypted columns are listed in `COLUMNS`; each has an index on `envelope_kid(<column>)` (a SQL
function reading that header), so the set of key ids in use is read with one index probe per key
id (a loose index scan) and the blobs of one key id are counted from the index. Stored files record
theirs in the `object_kid` of their row (`FILE_TABLES`: resume versions' PDFs, imported job pages;
NULL: uploaded before it was recorded; `rewrap` fills it in; a row with no `object_key`, a resume
version imported without a file, has nothing to rewrap).

- `missing_keys(keys)`: the stored blobs no configured key can unwrap, per key id (the api and the
  worker refuse to start when there are any: `check_keys`).
- `rewrap(...)`: moves every blob and file wrapped by another key to the active one, in small
  batches, each row updated only if it still holds the blob that was read (compare-and-set), so it
  runs safely beside the serving processes and can be stopped and run again at any time.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import structlog

from backend.platform.crypto.envelope import DecryptionError, Envelope
from backend.platform.db.tables import User
from backend.platform.storage import ObjectNotFound
from backend.platform.storage.encrypted import EncryptedStore

log = structlog.get_logger("career_copilot.crypto.keys")

# (table, primary key, column) of every envelope-encrypted column; the migrations that created
# their `envelope_kid` indexes list the same.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("users", "id", "pii"),
    ("cover_letters", "id", "content"),
    ("idempotency_records", "id", "response_body"),
    ("resume_versions", "id", "parsed"),
    ("resume_versions", "id", "text"),
    ("interviews", "id", "details"),
    ("contacts", "id", "details"),
    ("application_activity", "id", "detail"),
)
# Tables whose rows point at a stored file (`object_key`) and name its master key (`object_kid`, indexed).
FILE_TABLES: tuple[str, ...] = ("resume_versions", "application_snapshots")
FILES = "resume_versions.object_kid"  # the label of the resume files in reports ("<table>.object_kid")


def _files_label(table: str) -> str:
    return f"{table}.object_kid"


def _kid(column: str) -> str:
    return f'envelope_kid("{column}")'


def _distinct(table: str, expression: str) -> str:
    """Every distinct non-null value of an indexed expression, one index probe each."""
    return f"""
    WITH RECURSIVE kids(kid) AS (
        (SELECT {expression} FROM {table} WHERE {expression} IS NOT NULL ORDER BY 1 LIMIT 1)
        UNION ALL
        SELECT (SELECT {expression} FROM {table} WHERE {expression} > kids.kid ORDER BY 1 LIMIT 1)
        FROM kids WHERE kids.kid IS NOT NULL
    )
    SELECT kid FROM kids WHERE kid IS NOT NULL
    """  # noqa: S608 (names from COLUMNS, never from input)


async def _raw(sql: str, *args: Any) -> list[dict[str, Any]]:
    return list(await User.raw(sql, *args))


async def usage() -> dict[str, dict[str | None, int]]:
    """{"table.column": {kid: blobs}} for every encrypted column, and the stored files under
    "<table>.object_kid" for each of `FILE_TABLES` (key None: files whose key was not recorded)."""
    found: dict[str, dict[str | None, int]] = {}
    for table, _, column in COLUMNS:
        counts: dict[str | None, int] = {}
        for row in await _raw(_distinct(table, _kid(column))):
            kid = str(row["kid"])
            rows = await _raw(f"SELECT count(*) AS n FROM {table} WHERE {_kid(column)} = {{}}", kid)  # noqa: S608
            counts[kid] = int(rows[0]["n"])
        found[f"{table}.{column}"] = counts
    for table in FILE_TABLES:
        files: dict[str | None, int] = {}
        for row in await _raw(_distinct(table, "object_kid")):
            kid = str(row["kid"])
            rows = await _raw(f"SELECT count(*) AS n FROM {table} WHERE object_kid = {{}}", kid)  # noqa: S608
            files[kid] = int(rows[0]["n"])
        unknown = await _raw(
            f"SELECT count(*) AS n FROM {table} WHERE object_kid IS NULL AND object_key IS NOT NULL"  # noqa: S608
        )
        if int(unknown[0]["n"]):
            files[None] = int(unknown[0]["n"])
        found[_files_label(table)] = files
    return found


async def missing_keys(configured: Collection[str]) -> dict[str, dict[str, int]]:
    """{kid: {"table.column": count}} of the stored blobs and files under a key id not in `configured`."""
    missing: dict[str, dict[str, int]] = {}
    for table, _, column in COLUMNS:
        for row in await _raw(_distinct(table, _kid(column))):
            kid = str(row["kid"])
            if kid not in configured:
                rows = await _raw(f"SELECT count(*) AS n FROM {table} WHERE {_kid(column)} = {{}}", kid)  # noqa: S608
                missing.setdefault(kid, {})[f"{table}.{column}"] = int(rows[0]["n"])
    for table in FILE_TABLES:
        for row in await _raw(_distinct(table, "object_kid")):
            kid = str(row["kid"])
            if kid not in configured:
                rows = await _raw(f"SELECT count(*) AS n FROM {table} WHERE object_kid = {{}}", kid)  # noqa: S608
                missing.setdefault(kid, {})[_files_label(table)] = int(rows[0]["n"])
    return missing


class MissingKeyError(RuntimeError):
    """Stored data is wrapped by a master key that ENCRYPTION_KEYS no longer lists."""


async def check_keys(configured: Collection[str]) -> None:
    """Raise MissingKeyError naming each missing key id and what it wraps (cheap: index probes)."""
    missing = await missing_keys(configured)
    if not missing:
        return
    parts = []
    for kid, where in sorted(missing.items()):
        total = sum(where.values())
        detail = ", ".join(f"{name}: {count}" for name, count in sorted(where.items()))
        parts.append(f"master key {kid!r} wraps {total} stored blob(s) ({detail})")
    raise MissingKeyError(
        "ENCRYPTION_KEYS cannot decrypt stored data: "
        + "; ".join(parts)
        + ". Put the key back in ENCRYPTION_KEYS, run `python -m backend.entrypoints.manage rewrap`, "
        "and remove it only once that reports nothing left under it."
    )


@dataclass
class RewrapReport:
    rewrapped: dict[str, int] = field(default_factory=dict)  # per "table.column" (and "<table>.object_kid")
    skipped: dict[str, int] = field(default_factory=dict)  # changed meanwhile, or a file missing: run again
    failed: dict[str, int] = field(default_factory=dict)  # not unwrappable with the configured keys

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped


Progress = Callable[[str, int, int], None]  # (what, done, total)


async def rewrap(
    envelope: Envelope, store: EncryptedStore | None, *, batch: int = 200, progress: Progress
) -> RewrapReport:
    """Re-wrap every blob (and, with `store`, an EncryptedStore, every file) whose master key is not
    the active one, `batch` rows per transaction-free round of compare-and-set updates."""
    report = RewrapReport()
    active = envelope.active_kid
    for table, pk, column in COLUMNS:
        label = f"{table}.{column}"
        old = [str(r["kid"]) for r in await _raw(_distinct(table, _kid(column))) if str(r["kid"]) != active]
        if not old:
            continue
        total_rows = await _raw(f"SELECT count(*) AS n FROM {table} WHERE {_kid(column)} = ANY({{}})", old)  # noqa: S608
        total, done, after = int(total_rows[0]["n"]), 0, None
        select = (
            f'SELECT "{pk}" AS pk, "{column}" AS blob FROM {table} WHERE {_kid(column)} = ANY({{}})'  # noqa: S608
            f' AND ({{}}::uuid IS NULL OR "{pk}" > {{}}::uuid) ORDER BY "{pk}" LIMIT {int(batch)}'
        )
        update = f'UPDATE {table} SET "{column}" = {{}} WHERE "{pk}" = {{}} AND "{column}" = {{}}'  # noqa: S608
        while rows := await _raw(select, old, after, after):
            for row in rows:
                blob = bytes(row["blob"])
                try:
                    new = envelope.rewrap(blob)
                except DecryptionError:
                    report.failed[label] = report.failed.get(label, 0) + 1
                    continue
                changed = await _raw(update + " RETURNING 1 AS one", new, row["pk"], blob)
                key = "rewrapped" if changed else "skipped"
                getattr(report, key)[label] = getattr(report, key).get(label, 0) + 1
                done += 1
            after = rows[-1]["pk"]
            progress(label, done, total)
    if store is not None:
        for table in FILE_TABLES:
            await _rewrap_files(table, store, active, batch, progress, report)
    return report


async def _rewrap_files(
    table: str, store: EncryptedStore, active: str, batch: int, progress: Progress, report: RewrapReport
) -> None:
    label = _files_label(table)
    counted = await _raw(
        f"SELECT count(DISTINCT object_key) AS n FROM {table} WHERE object_kid IS DISTINCT FROM {{}}"  # noqa: S608
        " AND object_key IS NOT NULL",
        active,
    )
    total, done, after = int(counted[0]["n"]), 0, ""
    select = (
        f"SELECT DISTINCT object_key FROM {table} WHERE object_kid IS DISTINCT FROM {{}} AND object_key > {{}}"  # noqa: S608
        " ORDER BY object_key LIMIT {}"
    )
    while rows := await _raw(select, active, after, batch):
        for row in rows:
            key = str(row["object_key"])
            try:
                await store.rewrap(key)
            except ObjectNotFound:
                report.skipped[label] = report.skipped.get(label, 0) + 1
                done += 1
                continue
            except DecryptionError:
                report.failed[label] = report.failed.get(label, 0) + 1
                done += 1
                continue
            await _raw(f"UPDATE {table} SET object_kid = {{}} WHERE object_key = {{}}", active, key)  # noqa: S608
            report.rewrapped[label] = report.rewrapped.get(label, 0) + 1
            done += 1
        after = str(rows[-1]["object_key"])
        progress(label, done, total)
