"""CSV export and import of applications, timeline included, safe to open in a spreadsheet.

Cells that a spreadsheet would run as a formula (starting with = + - @ tab CR) are written with a
leading apostrophe, and so are cells that start with an apostrophe, so import strips exactly one and
the round trip is exact (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

import msgspec

from backend import errors
from backend.features.applications import queries as repo
from backend.features.applications import schemas
from backend.platform.db.engine import DB
from backend.platform.db.replicas import routed_reads
from backend.platform.db.tables import Application, ApplicationEvent
from backend.platform.http.inputs import Input

COLUMNS = [
    "company", "role", "status", "location", "remote", "salary_min", "salary_max", "currency", "job_url",
    "job_description", "source", "applied_at", "next_follow_up_at", "notes", "tags", "created_at", "timeline",
]  # fmt: skip
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "'")
MAX_ROWS = 5_000


class TimelineEntry(Input):  # its `at` within the years of every date of a request
    at: datetime
    to: schemas.Status
    from_: schemas.Status | None = msgspec.field(default=None, name="from")
    note: schemas.StatusNote = ""


class ImportRow(schemas.ApplicationCreate, kw_only=True):
    created_at: datetime | None = None
    timeline: list[TimelineEntry] = msgspec.field(default_factory=list)


def _safe(value: str) -> str:
    return "'" + value if value.startswith(_DANGEROUS) else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return _safe("|".join(value))
    return _safe(str(value))


def _line(values: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(list(values))
    return buffer.getvalue()


async def export_rows(user_id: uuid.UUID) -> AsyncIterator[str]:
    """The user's applications as CSV lines (header first), oldest first, each with its timeline."""
    yield _line(COLUMNS)
    with routed_reads(user_id):  # left before the next line is yielded
        apps, events = await repo.all_with_timelines(user_id)
    timelines = {
        app_id: [{"at": e["at"], "from": e["from_status"], "to": e["to_status"], "note": e["note"]} for e in rows]
        for app_id, rows in events.items()
    }
    for app in apps:
        timeline = msgspec.json.encode(timelines.get(app["id"], [])).decode()
        cells = [_cell(app[c]) for c in COLUMNS[:-1]]
        yield _line([*cells, _safe(timeline)])


def _unsafe(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] in _DANGEROUS else value


def _row_values(record: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column in COLUMNS:
        raw = _unsafe(record.get(column) or "")
        if column == "tags":
            values[column] = [tag for tag in raw.split("|") if tag]
        elif column == "timeline":
            values[column] = msgspec.json.decode(raw) if raw else []
        elif raw != "" or column in ("company", "role"):
            values[column] = raw
    return values


def parse(text: str) -> tuple[list[ImportRow], list[schemas.ImportRejection]]:
    """Every row validated; rows that fail are reported with their errors (1-based data rows)."""
    try:
        return _parse(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:  # e.g. a line break inside an unquoted cell, a cell over the size limit
        raise errors.Unprocessable(f"The CSV cannot be read: {exc}", slug="invalid-csv") from None


def _parse(reader: csv.DictReader[str]) -> tuple[list[ImportRow], list[schemas.ImportRejection]]:
    missing = [c for c in ("company", "role") if c not in (reader.fieldnames or [])]
    if missing:
        raise errors.Unprocessable(f"The CSV has no column {', '.join(missing)}", slug="invalid-csv")
    rows, rejected = [], []
    for number, record in enumerate(reader, start=1):
        if number > MAX_ROWS:
            raise errors.Unprocessable(f"At most {MAX_ROWS} rows per import", slug="invalid-csv")
        try:
            row = msgspec.convert(_row_values(record), ImportRow, strict=False)
            if row.salary_min is not None and row.salary_max is not None and row.salary_min > row.salary_max:
                raise msgspec.ValidationError("salary_max must not be below salary_min")
            rows.append(row)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            rejected.append(schemas.ImportRejection(row=number, errors=[str(exc)]))
        except errors.Unprocessable as exc:  # a date outside the supported years (schemas.Input)
            messages = [f"{e.message} - at `$.{e.field}`" for e in exc.errors] or [exc.detail or exc.title]
            rejected.append(schemas.ImportRejection(row=number, errors=messages))
    return rows, rejected


async def import_rows(user_id: uuid.UUID, rows: list[ImportRow]) -> list[uuid.UUID]:
    """Insert every row and its timeline in one transaction (all or nothing); the new ids."""
    ids = []
    async with DB.transaction():
        for row in rows:
            values = {k: v for k, v in msgspec.structs.asdict(row).items() if k not in ("timeline", "created_at")}
            app = Application(user=user_id, **values)
            if row.created_at is not None:
                app.created_at = row.created_at
            await app.save()
            ids.append(app.id)
            timeline = row.timeline or [TimelineEntry(at=row.created_at or datetime.now().astimezone(), to=row.status)]
            await ApplicationEvent.insert(
                *[
                    ApplicationEvent(application=app.id, at=e.at, from_status=e.from_, to_status=e.to, note=e.note)
                    for e in timeline
                ]
            )
    return ids
