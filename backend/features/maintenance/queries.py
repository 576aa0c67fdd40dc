"""The maintenance feature's reads."""

from __future__ import annotations

from backend.platform.db.tables import ResumeVersion


async def referenced_object_keys() -> list[str]:
    """Every stored file a row points at (resume versions' PDFs, imported job pages), each once, in key order."""
    rows = await ResumeVersion.raw(
        "SELECT object_key FROM resume_versions WHERE object_key IS NOT NULL"  # NULL: imported, no file
        " UNION SELECT object_key FROM application_snapshots ORDER BY 1"
    )
    return [row["object_key"] for row in rows]
