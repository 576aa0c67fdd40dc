"""The maintenance feature's reads."""

from __future__ import annotations

from backend.platform.db.tables import ResumeVersion


async def referenced_object_keys() -> list[str]:
    """Every stored file a row points at (resume versions' PDFs), each once, in key order."""
    rows = await ResumeVersion.select(ResumeVersion.object_key).distinct().order_by(ResumeVersion.object_key)
    return [row["object_key"] for row in rows]
