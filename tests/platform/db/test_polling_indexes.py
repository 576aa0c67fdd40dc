"""The partial indexes of the two polling queries (migration 2026-11-25T21:03:24) exist in the migrated
database: versions still queued/parsing for the sweeper (`parsing.lost_versions(...).stuck_sql`),
pending outbox rows for the relay (`outbox_relay._CLAIM`), each ordered as its query reads them."""

from __future__ import annotations

from backend.platform.db.tables import TaskOutbox


async def test_the_sweeper_and_relay_indexes_exist_with_their_predicates(db: None) -> None:
    rows = await TaskOutbox.raw(
        "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE indexname = ANY({})",
        ["resume_versions_unsettled_created_at_idx", "task_outbox_pending_created_at_idx"],
    )
    indexes = {row["indexname"]: (row["tablename"], row["indexdef"]) for row in rows}

    table, definition = indexes["resume_versions_unsettled_created_at_idx"]
    assert table == "resume_versions"
    assert "(created_at) WHERE" in definition and "'queued'" in definition and "'parsing'" in definition
    table, definition = indexes["task_outbox_pending_created_at_idx"]
    assert table == "task_outbox"
    assert definition.endswith("(created_at, id) WHERE (sent_at IS NULL)")
