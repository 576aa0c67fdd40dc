"""`backend.platform.jobs.claim` on resume versions: each claim raises `attempts`, the run's fencing
token; a write under an older token, or in another status than the one expected, changes nothing;
a settled or missing row cannot be claimed."""

from __future__ import annotations

import uuid

from backend.features.resumes.parsing import VERSION_ROWS
from backend.platform.db.tables import ResumeVersion
from backend.platform.jobs import claim
from backend.platform.storage import ObjectStore
from tests.plugins.resumes import GOOD_PDF, upload, version


async def test_a_later_claim_fences_off_the_earlier_one(store: ObjectStore) -> None:
    vid = (await upload(store, GOOD_PDF.read_bytes())).version_id

    first = await claim.claim(VERSION_ROWS, vid)
    assert first is not None and first["attempts"] == 1
    assert set(first) == {"id", "user", "resume", "object_key", "attempts"}
    second = await claim.claim(VERSION_ROWS, vid)  # a redelivery of the same job
    assert second is not None and second["attempts"] == 2

    assert not await claim.still_claimed(VERSION_ROWS, vid, 1)
    assert await claim.still_claimed(VERSION_ROWS, vid, 2)
    assert not await claim.update_fenced(VERSION_ROWS, vid, 1, {ResumeVersion.status: "parsed"})
    row = await version(vid)
    assert (row["status"], row["attempts"]) == ("parsing", 2)

    assert await claim.update_fenced(VERSION_ROWS, vid, 2, {ResumeVersion.status: "failed", ResumeVersion.error: "x"})
    assert not await claim.still_claimed(VERSION_ROWS, vid, 2)
    assert await claim.claim(VERSION_ROWS, vid) is None  # settled
    row = await version(vid)
    assert (row["status"], row["attempts"], row["error"]) == ("failed", 2, "x")


async def test_a_fenced_write_may_expect_another_status(store: ObjectStore) -> None:
    vid = (await upload(store, GOOD_PDF.read_bytes())).version_id
    claimed = await claim.claim(VERSION_ROWS, vid)
    assert claimed is not None
    await ResumeVersion.update({ResumeVersion.status: "failed"}).where(ResumeVersion.id == vid)  # settled meanwhile

    assert not await claim.update_fenced(VERSION_ROWS, vid, 1, {ResumeVersion.error: "late"})
    assert await claim.update_fenced(VERSION_ROWS, vid, 1, {ResumeVersion.error: "kept"}, status="failed")
    assert not await claim.update_fenced(VERSION_ROWS, vid, 2, {ResumeVersion.error: "no"}, status="failed")
    assert (await version(vid))["error"] == "kept"


async def test_a_missing_row_cannot_be_claimed(store: ObjectStore) -> None:
    assert await claim.claim(VERSION_ROWS, uuid.uuid4()) is None
