"""What a database holds, to compare a restore with its source: every table's row count and a checksum
of its rows (their text, sorted), and how many stored documents the rows reference and can be read."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from backend.platform import storage
from backend.settings import Settings


@dataclass(frozen=True)
class Fingerprint:
    tables: dict[str, tuple[int, str]]  # table -> (rows, md5 of the sorted rows' text)

    @property
    def rows(self) -> int:
        return sum(count for count, _ in self.tables.values())

    def differences(self, other: Fingerprint) -> list[str]:
        lines = []
        for table in sorted(self.tables.keys() | other.tables.keys()):
            mine, theirs = self.tables.get(table), other.tables.get(table)
            if mine != theirs:
                lines.append(f"{table}: {mine} != {theirs}")
        return lines


async def fingerprint(url: str) -> Fingerprint:
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            names = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
            tables = {}
            for (name,) in names:
                row = await connection.fetchrow(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{name}\" t"  # noqa: S608, E501 - names from pg_tables
                )
                tables[name] = (int(row[0]), str(row[1]))
        return Fingerprint(tables)
    finally:
        await connection.close()


async def documents_readable(url: str, settings: Settings) -> int:
    """How many stored files (resume PDFs, imported job pages) the database at `url` references; raises
    if one is missing from the store `settings` name or does not decrypt with its keys."""
    connection = await asyncpg.connect(url)
    try:
        query = (
            "SELECT object_key FROM resume_versions WHERE object_key IS NOT NULL"  # NULL: imported, no file
            " UNION ALL SELECT object_key FROM application_snapshots"
        )
        keys = [row[0] for row in await connection.fetch(query)]
    finally:
        await connection.close()
    store = storage.build_store(settings)
    await store.open()
    try:
        for key in keys:
            await store.get(key)
    finally:
        await store.close()
    return len(keys)
