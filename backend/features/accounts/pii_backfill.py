"""Move the personal details of rows written before `users.pii` existed into it (`manage encrypt-pii`).

Resumable and safe beside the serving processes: users still without `pii` are read in primary-key
batches, and each is updated only if its plaintext columns still hold what was read (compare-and-set),
in which case they are emptied in the same statement. A row changed meanwhile (an older release
still writing them during a rollout) is left for the next run, which the report says. No Litestar.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from backend.features.accounts import queries as repo
from backend.platform.crypto import pii
from backend.platform.crypto.envelope import Envelope


class BackfillReport(msgspec.Struct, frozen=True):
    encrypted: int
    changed_meanwhile: int  # run again
    remaining: int  # users still without `pii` after this run


async def encrypt_pii(envelope: Envelope, *, batch: int = 500, progress: Callable[[int, int], None]) -> BackfillReport:
    total = await repo.count_users_without_pii()
    encrypted = changed = 0
    after = None
    while rows := await repo.users_without_pii(after, batch):
        for row in rows:
            details = pii.read(envelope, {**row, "pii": None})
            if await repo.seal_plaintext_pii(row, pii.seal(envelope, row["id"], details)):
                encrypted += 1
            else:
                changed += 1
        after = rows[-1]["id"]
        progress(encrypted + changed, total)
    return BackfillReport(encrypted, changed, await repo.count_users_without_pii())
