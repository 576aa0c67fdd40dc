"""LinkedIn's data export ("Settings → Data privacy → Get a copy of your data") → JSON Resume v1 data.

The archive is a ZIP of CSV files (a header line, then one line per record). What is read, and where
it goes:

    Profile.csv          First Name + Last Name → basics.name · Headline → basics.label · Summary →
                         basics.summary · Geo Location → basics.location.city (its first part) and
                         .region (the rest) · Zip Code → basics.location.postalCode · Address →
                         basics.location.address · Websites → basics.url (the first) and
                         basics.profiles · Twitter Handles → basics.profiles (Twitter)
    Email Addresses.csv  Email Address → basics.email (the one marked Primary, else the first)
    PhoneNumbers.csv     Number → basics.phone (the first)
    Positions.csv        Company Name → work[].name · Title → .position · Description → .summary ·
                         Location → .location · Started On / Finished On → .startDate / .endDate
    Education.csv        School Name → education[].institution · Degree Name → .studyType · Start
                         Date / End Date → .startDate / .endDate · Notes and Activities → .summary
    Skills.csv           Name → skills[].name
    Languages.csv        Name → languages[].language · Proficiency → .fluency
    Certifications.csv   Name → certificates[].name · Authority → .issuer · Url → .url · Started On → .date
    Projects.csv         Title → projects[].name · Description → .description · Url → .url · Started
                         On / Finished On → .startDate / .endDate
    Volunteering.csv     Company Name → volunteer[].organization · Role → .position · Description →
                         .summary · Started On / Finished On → .startDate / .endDate
    Honors.csv           Title → awards[].title · Description → .summary · Issued On → .date
    Publications.csv     Name → publications[].name · Publisher → .publisher · Published On →
                         .releaseDate · Description → .summary · Url → .url

`Profile.csv` and `Positions.csv` are required (a ZIP without them is refused, naming both); the
others are optional. Files are found by name anywhere in the archive, case-insensitively. LinkedIn's
dates ("Jan 2020", "2020", "Mar 15, 2021", "01/2020") become `2020-01`, `2020`, `2021-03-15`; an empty
"Finished On" means current (no end date); a date that cannot be read is left out and noted.

CSVs are read as UTF-8 (a BOM allowed); a file that is not UTF-8 is read as Windows-1252, else
Latin-1, and the fields that held the re-read characters are noted. Some exports start a file with a
"Notes:" preamble before the header: the header is the first line holding the file's expected
columns. NUL and other control characters are removed from values (noted).

Limits (`ArchiveLimits`): entries in the archive, their total uncompressed size as declared, and the
bytes read from each CSV (read in a bounded stream: a declared size that lies is caught too).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from backend.engines.resume_import.json_resume import EMAIL
from backend.engines.resume_import.models import Imported, ImportRefused, Note, Problem


@dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int = 1000
    max_total_bytes: int = 200 * 1024 * 1024  # the uncompressed size of every entry, as declared
    max_csv_bytes: int = 8 * 1024 * 1024  # read from one CSV we use
    max_rows: int = 2000  # records taken from one CSV


LIMITS = ArchiveLimits()
REQUIRED = ("Profile.csv", "Positions.csv")
# The columns that identify each file's header line (after a possible "Notes:" preamble).
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "Profile.csv": ("First Name", "Last Name"),
    "Positions.csv": ("Company Name", "Title"),
    "Education.csv": ("School Name",),
    "Skills.csv": ("Name",),
    "Languages.csv": ("Name",),
    "Certifications.csv": ("Name",),
    "Email Addresses.csv": ("Email Address",),
    "PhoneNumbers.csv": ("Number",),
    "Projects.csv": ("Title",),
    "Volunteering.csv": ("Company Name",),
    "Honors.csv": ("Title",),
    "Publications.csv": ("Name",),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MONTHS = {name: index for index, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
)}  # fmt: skip


@dataclass
class Table:
    """One CSV: its records as {column: value}, stripped; `name` as the archive names it."""

    name: str
    rows: list[dict[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)


# -- the archive ----------------------------------------------------------------------------------
def _open(body: bytes, limits: ArchiveLimits) -> zipfile.ZipFile:
    if not body:
        raise ImportRefused("The body is empty: send LinkedIn's data export (a ZIP)", [Problem("body", "is empty")])
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise ImportRefused(
            "This is not a ZIP archive: send LinkedIn's data export as downloaded (a .zip)",
            [Problem("body", "is not a ZIP archive")],
        ) from None
    if len(entries) > limits.max_entries:
        raise ImportRefused(
            f"The archive has {len(entries)} entries; at most {limits.max_entries} are accepted",
            [Problem("body", f"has more than {limits.max_entries} entries")],
            kind="too_large",
        )
    total = sum(max(entry.file_size, 0) for entry in entries)
    if total > limits.max_total_bytes:
        mb = limits.max_total_bytes // (1024 * 1024)
        raise ImportRefused(
            f"The archive unpacks to {total / (1024 * 1024):.0f} MB; at most {mb} MB are accepted",
            [Problem("body", f"unpacks to more than {mb} MB")],
            kind="too_large",
        )
    return archive


def _find(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The entries of the files we read, by their expected name (the shallowest one wins)."""
    wanted = {name.lower(): name for name in KEY_COLUMNS}
    found: dict[str, zipfile.ZipInfo] = {}
    for entry in sorted(archive.infolist(), key=lambda e: (e.filename.count("/"), e.filename)):
        if entry.is_dir() or "__MACOSX" in entry.filename:
            continue
        base = entry.filename.rsplit("/", 1)[-1].lower()
        if base in wanted and wanted[base] not in found:
            found[wanted[base]] = entry
    return found


def _read(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, name: str, limits: ArchiveLimits) -> bytes:
    if entry.flag_bits & 0x1:
        raise ImportRefused(f"{name} is encrypted in the archive", [Problem(name, "is encrypted")])
    too_large = ImportRefused(
        f"{name} is larger than {limits.max_csv_bytes // (1024 * 1024)} MB",
        [Problem(name, f"is larger than {limits.max_csv_bytes // (1024 * 1024)} MB")],
        kind="too_large",
    )
    if entry.file_size > limits.max_csv_bytes:
        raise too_large
    try:
        with archive.open(entry) as stream:
            data = stream.read(limits.max_csv_bytes + 1)  # bounded: a size header that lies is caught here
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError, ValueError) as exc:
        reason = (
            "uses a compression this server does not read"
            if isinstance(exc, NotImplementedError)
            else ("is damaged in the archive")
        )
        raise ImportRefused(f"{name} {reason}", [Problem(name, reason)]) from None
    if len(data) > limits.max_csv_bytes:
        raise too_large
    return data


# -- one CSV -------------------------------------------------------------------------------------
def _decode(data: bytes, name: str, notes: list[Note]) -> tuple[str, str | None]:
    """(text, the fallback encoding used or None for UTF-8)."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    for encoding, label in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
        try:
            return data.decode(encoding), label
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _header_index(rows: list[list[str]], keys: tuple[str, ...]) -> int | None:
    """Where the header is: the first row holding the key columns (after a "Notes:" preamble)."""
    wanted = {key.lower() for key in keys}
    for index, row in enumerate(rows[:50]):
        if wanted <= {cell.strip().lower() for cell in row}:
            return index
    return None


def parse_csv(data: bytes, name: str, notes: list[Note], limits: ArchiveLimits = LIMITS) -> Table:
    """One CSV file of the export (see the module docstring for decoding and the preamble)."""
    text, fallback = _decode(data, name, notes)
    try:
        rows = list(csv.reader(io.StringIO(text.replace("\x00", ""), newline="")))
    except csv.Error as exc:
        reason = f"is not a readable CSV: {exc}"
        raise ImportRefused(f"{name} {reason}", [Problem(name, reason)]) from None
    at = _header_index(rows, KEY_COLUMNS[name])
    if at is None:
        missing = ", ".join(KEY_COLUMNS[name])
        raise ImportRefused(
            f"{name} has no header line with the columns {missing}",
            [Problem(f"{name}: {column}", "column is missing") for column in KEY_COLUMNS[name]],
        )
    columns = [cell.strip() for cell in rows[at]]
    table = Table(name, columns=columns)
    reread: list[str] = []
    cleaned: list[str] = []
    for number, row in enumerate(rows[at + 1 :], start=1):
        if not any(cell.strip() for cell in row):
            continue
        if len(table.rows) >= limits.max_rows:
            notes.append(Note(name, f"only the first {limits.max_rows} records were read"))
            break
        record: dict[str, str] = {}
        for column, cell in zip(columns, row, strict=False):
            value = cell.strip()
            if _CONTROL.search(value):
                value = _CONTROL.sub("", value)
                cleaned.append(f"row {number} {column}")
            if fallback is not None and not value.isascii():
                reread.append(f"row {number} {column}")
            record[column] = value
        table.rows.append(record)
    if "\x00" in text:
        cleaned.append("NUL characters")
    if fallback is not None:
        where = "; fields re-read: " + ", ".join(reread[:20]) + (" …" if len(reread) > 20 else "") if reread else ""
        notes.append(Note(name, f"is not UTF-8: read as {fallback}{where}. Check the names and accents."))
    if cleaned:
        notes.append(Note(name, "control characters removed from: " + ", ".join(cleaned[:20])))
    return table


# -- values --------------------------------------------------------------------------------------
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})$")
_NUMERIC = re.compile(r"^(\d{1,2})/(\d{4})$")
_NUMERIC_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2,4})$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _iso(year: str, month: int | None = None, day: int | None = None) -> str | None:
    """`year[-month[-day]]` when each part is in range (years 1000 to 2999, as the schema's), else None."""
    if not 1000 <= int(year) <= 2999:
        return None
    if month is None:
        return year
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year}-{month:02d}"
    return f"{year}-{month:02d}-{day:02d}" if 1 <= day <= 31 else None


def parse_date(value: str) -> str | None:
    """A LinkedIn date as JSON Resume's ISO 8601 (`2020`, `2020-01`, `2020-01-31`), or None."""
    value = value.strip()
    if re.fullmatch(r"\d{4}", value):
        return _iso(value)
    if match := _MONTH_YEAR.match(value):
        month = MONTHS.get(match.group(1)[:3].lower())
        return _iso(match.group(2), month) if month else None
    if match := _MONTH_DAY_YEAR.match(value):
        month = MONTHS.get(match.group(1)[:3].lower())
        return _iso(match.group(3), month, int(match.group(2))) if month else None
    if match := _NUMERIC.match(value):
        return _iso(match.group(2), int(match.group(1)))
    if match := _NUMERIC_DAY.match(value):  # LinkedIn writes these month first (US)
        year = match.group(3) if len(match.group(3)) == 4 else f"20{match.group(3)[-2:]}"
        return _iso(year, int(match.group(1)), int(match.group(2)))
    if match := _ISO.match(value):
        iso_year, iso_month, iso_day = match.groups()
        return _iso(iso_year, int(iso_month) if iso_month else None, int(iso_day) if iso_day else None)
    return None


class _Builder:
    """Fills one JSON Resume document from the tables, noting what it leaves out."""

    def __init__(self, notes: list[Note]) -> None:
        self.notes = notes

    def date(self, row: dict[str, str], column: str, where: str) -> str | None:
        raw = row.get(column, "")
        parsed = parse_date(raw)
        if raw and parsed is None:
            self.notes.append(Note(f"{where}: {column}", f"the date {raw[:40]!r} could not be read and was left out"))
        return parsed

    @staticmethod
    def put(target: dict[str, Any], **values: Any) -> dict[str, Any]:
        for key, value in values.items():
            if value not in (None, "", [], {}):
                target[key] = value
        return target


def _split_list(value: str) -> list[str]:
    """LinkedIn's list cells: `[a,b]`, `a,b` or `TYPE:url` pairs."""
    value = value.strip().strip("[]")
    return [part.strip() for part in value.split(",") if part.strip()]


def _website(item: str) -> str:
    kind, _, url = item.partition(":")
    return url.strip() if kind.isupper() and url and not url.startswith("//") else item


def _basics(build: _Builder, profile: Table, emails: Table | None, phones: Table | None) -> dict[str, Any]:
    row = profile.rows[0] if profile.rows else {}
    name = " ".join(part for part in (row.get("First Name", ""), row.get("Last Name", "")) if part)
    basics: dict[str, Any] = {"name": name}
    location: dict[str, Any] = {}
    geo = [part.strip() for part in row.get("Geo Location", "").split(",") if part.strip()]
    build.put(location, address=row.get("Address"), postalCode=row.get("Zip Code"))
    if geo:
        build.put(location, city=geo[0], region=", ".join(geo[1:]))
    email = ""
    if emails is not None and emails.rows:
        primary = [r for r in emails.rows if r.get("Primary", "").lower() == "yes" and r.get("Email Address")]
        chosen = primary or [r for r in emails.rows if r.get("Email Address")]
        email = chosen[0]["Email Address"] if chosen else ""
    if email and not EMAIL.match(email):
        where = "Email Addresses.csv: Email Address"
        build.notes.append(Note(where, f"{email[:80]!r} is not an e-mail address: left out"))
        email = ""
    phone = next((r["Number"] for r in phones.rows if r.get("Number")), "") if phones is not None else ""
    websites = [_website(item) for item in _split_list(row.get("Websites", ""))]
    profiles = [{"network": "Website", "url": url} for url in websites[1:]]
    profiles += [
        {"network": "Twitter", "username": handle.lstrip("@"), "url": f"https://twitter.com/{handle.lstrip('@')}"}
        for handle in _split_list(row.get("Twitter Handles", ""))
    ]
    build.put(
        basics, label=row.get("Headline"), email=email, phone=phone, url=websites[0] if websites else None,
        summary=row.get("Summary"), location=location, profiles=profiles,
    )  # fmt: skip
    return basics


def _rows(table: Table | None) -> Iterable[tuple[str, dict[str, str]]]:
    if table is None:
        return []
    return ((f"{table.name} row {number}", row) for number, row in enumerate(table.rows, start=1))


def build_resume(tables: dict[str, Table], notes: list[Note]) -> dict[str, Any]:
    """The JSON Resume document of the export's tables (Profile.csv and Positions.csv present)."""
    build, put = _Builder(notes), _Builder.put
    contacts = tables.get("Email Addresses.csv"), tables.get("PhoneNumbers.csv")
    resume: dict[str, Any] = {"basics": _basics(build, tables["Profile.csv"], *contacts)}
    work = [
        put({}, name=row.get("Company Name"), position=row.get("Title"), location=row.get("Location"),
            startDate=build.date(row, "Started On", where), endDate=build.date(row, "Finished On", where),
            summary=row.get("Description"))
        for where, row in _rows(tables.get("Positions.csv"))
    ]  # fmt: skip
    education = []
    for where, row in _rows(tables.get("Education.csv")):
        summary = "\n".join(
            part
            for part in (row.get("Notes", ""), f"Activities: {row['Activities']}" if row.get("Activities") else "")
            if part
        )
        education.append(put(
            {}, institution=row.get("School Name"), studyType=row.get("Degree Name"),
            startDate=build.date(row, "Start Date", where), endDate=build.date(row, "End Date", where),
            summary=summary,
        ))  # fmt: skip
    skills = [put({}, name=row.get("Name")) for _, row in _rows(tables.get("Skills.csv"))]
    languages = [
        put({}, language=row.get("Name"), fluency=row.get("Proficiency"))
        for _, row in _rows(tables.get("Languages.csv"))
    ]
    certificates = [
        put({}, name=row.get("Name"), issuer=row.get("Authority"), url=row.get("Url"),
            date=build.date(row, "Started On", where))
        for where, row in _rows(tables.get("Certifications.csv"))
    ]  # fmt: skip
    projects = [
        put({}, name=row.get("Title"), description=row.get("Description"), url=row.get("Url"),
            startDate=build.date(row, "Started On", where), endDate=build.date(row, "Finished On", where))
        for where, row in _rows(tables.get("Projects.csv"))
    ]  # fmt: skip
    volunteer = [
        put({}, organization=row.get("Company Name"), position=row.get("Role"), summary=row.get("Description"),
            startDate=build.date(row, "Started On", where), endDate=build.date(row, "Finished On", where))
        for where, row in _rows(tables.get("Volunteering.csv"))
    ]  # fmt: skip
    awards = [
        put({}, title=row.get("Title"), summary=row.get("Description"), date=build.date(row, "Issued On", where))
        for where, row in _rows(tables.get("Honors.csv"))
    ]
    publications = [
        put({}, name=row.get("Name"), publisher=row.get("Publisher"), summary=row.get("Description"),
            url=row.get("Url"), releaseDate=build.date(row, "Published On", where))
        for where, row in _rows(tables.get("Publications.csv"))
    ]  # fmt: skip
    sections = {
        "work": work, "volunteer": volunteer, "education": education, "awards": awards,
        "certificates": certificates, "publications": publications, "skills": skills, "languages": languages,
        "projects": projects,
    }  # fmt: skip
    for key, items in sections.items():
        kept = [item for item in items if item]
        if kept:
            resume[key] = kept
    return resume


def from_linkedin_archive(body: bytes, limits: ArchiveLimits = LIMITS) -> Imported:
    """LinkedIn's data export (the ZIP's bytes) → JSON Resume data and notes, or ImportRefused."""
    archive = _open(body, limits)
    with archive:
        found = _find(archive)
        missing = [name for name in REQUIRED if name not in found]
        if missing:
            raise ImportRefused(
                "This archive lacks " + " and ".join(missing) + ": send the export LinkedIn made, as downloaded",
                [Problem(name, "is missing from the archive") for name in missing],
            )
        notes: list[Note] = []
        tables: dict[str, Table] = {}
        problems: list[Problem] = []
        for name, entry in found.items():
            try:
                tables[name] = parse_csv(_read(archive, entry, name, limits), name, notes, limits)
            except ImportRefused as refused:
                if refused.kind == "too_large":
                    raise
                problems.extend(refused.problems)
    if problems:
        raise ImportRefused(
            "The export could not be read: " + "; ".join(f"{p.field} {p.message}" for p in problems[:5]), problems
        )
    profile = tables["Profile.csv"]
    if not profile.rows:
        raise ImportRefused("Profile.csv holds no profile", [Problem("Profile.csv", "has no record after its header")])
    resume = build_resume(tables, notes)
    if not resume["basics"]["name"].strip():
        raise ImportRefused(
            "Profile.csv has no name",
            [Problem("Profile.csv: First Name", "is empty"), Problem("Profile.csv: Last Name", "is empty")],
        )
    return Imported("linkedin", resume, notes)
