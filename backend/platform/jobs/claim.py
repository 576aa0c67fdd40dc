"""The fenced claim of a job row: how one run of a job takes its row, and writes it only while it
still holds it.

A job row has a primary key, a status and an attempts counter. A run claims it with one
compare-and-set: from a `claimable` status to `working`, attempts raised by one. The new attempts
value is the run's fencing token: `update_fenced` writes only while the row still has it (and the
expected status), so after a later claim (a redelivery, a sweep) or a settlement by someone else
(cancelled, failed by the sweeper, deleted) the older run's writes change nothing. Delivery is at
least once; this makes every outcome of a row happen once.

The SQL is built from the `JobRows` fields only (constants, never input); values are parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.columns import Column
from piccolo.table import Table

from backend.platform.db import engine


@dataclass(frozen=True)
class JobRows:
    """The rows of one kind of job: their table and the statuses a claim moves between."""

    table: type[Table]
    claimable: tuple[str, ...]  # the statuses a run may claim the row from
    working: str  # the status of a claimed row
    returning: tuple[str, ...] = ()  # the columns a claim returns; all when empty
    touch: str | None = None  # a timestamp column each claim sets to now()
    status: str = "status"
    attempts: str = "attempts"

    def column(self, name: str) -> Column:
        return self.table._meta.get_column_by_name(name)

    @property
    def claim_sql(self) -> str:
        touch = f', "{self.touch}" = now()' if self.touch else ""
        statuses = ", ".join(f"'{status}'" for status in self.claimable)
        returning = ", ".join(f'"{name}"' for name in self.returning) or "*"
        key = self.table._meta.primary_key._meta.db_column_name
        return (
            f'UPDATE "{self.table._meta.tablename}" '  # noqa: S608 - constants only
            f'SET "{self.status}" = \'{self.working}\', "{self.attempts}" = "{self.attempts}" + 1{touch} '
            f'WHERE "{key}" = {{}} AND "{self.status}" IN ({statuses}) '
            f"RETURNING {returning}"
        )


async def claim(rows: JobRows, row_id: Any) -> dict[str, Any] | None:
    """Claim row `row_id`: the returned columns (with the new attempts, the run's token), or None
    when the row is gone or not in a claimable status."""
    claimed = await rows.table.raw(rows.claim_sql, row_id)
    if not claimed:
        return None
    row = dict(claimed[0])
    if row.get("user") is not None:  # the run acts for the row's owner (read replicas: docs/replicas.md)
        await engine.act_for(row["user"])
    return row


async def update_fenced(
    rows: JobRows, row_id: Any, attempts: int, values: dict[Any, Any], *, status: str | None = None
) -> bool:
    """Apply `values` to the row if it still has `attempts` and is in `status` (by default the
    working status); True when it did."""
    key = rows.table._meta.primary_key
    updated = (
        await rows.table.update(values)
        .where(key == row_id)
        .where(rows.column(rows.status) == (rows.working if status is None else status))
        .where(rows.column(rows.attempts) == attempts)
        .returning(key)
    )
    return bool(updated)


async def still_claimed(rows: JobRows, row_id: Any, attempts: int) -> bool:
    """Whether the row is still working under the claim that returned `attempts`."""
    return bool(
        await rows.table.exists()
        .where(rows.table._meta.primary_key == row_id)
        .where(rows.column(rows.status) == rows.working)
        .where(rows.column(rows.attempts) == attempts)
    )
