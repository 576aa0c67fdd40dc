"""JSON Resume (schema v1.0.0) documents: the stored data reduced to the schema's fields and types.

The parser writes JSON Resume already; this keeps only what the schema names, with its types (a
string where a string is due, lists of strings), drops empty values, dates that are not ISO 8601
partials ("2021", "2021-03", "2021-03-15") and links that are not web addresses, so the file
validates against `schema/jsonresume-1.0.0.schema.json` (vendored, MIT: see its LICENSE file).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from backend.engines.documents.outline import printable

SCHEMA_URL = "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json"
SCHEMA_PATH = Path(__file__).with_name("schema") / "jsonresume-1.0.0.schema.json"
_ISO = re.compile(r"^([1-2][0-9]{3}-[0-1][0-9]-[0-3][0-9]|[1-2][0-9]{3}-[0-1][0-9]|[1-2][0-9]{3})$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")

# Field kinds: "s" string, "d" ISO date, "u" URL, "e" email, "l" list of strings, dicts nest.
_ITEM_FIELDS: dict[str, dict[str, Any]] = {
    "work": {"name": "s", "location": "s", "description": "s", "position": "s", "url": "u", "startDate": "d",
             "endDate": "d", "summary": "s", "highlights": "l"},
    "volunteer": {"organization": "s", "position": "s", "url": "u", "startDate": "d", "endDate": "d",
                  "summary": "s", "highlights": "l"},
    "education": {"institution": "s", "url": "u", "area": "s", "studyType": "s", "startDate": "d", "endDate": "d",
                  "score": "s", "courses": "l"},
    "awards": {"title": "s", "date": "d", "awarder": "s", "summary": "s"},
    "certificates": {"name": "s", "date": "d", "url": "u", "issuer": "s"},
    "publications": {"name": "s", "publisher": "s", "releaseDate": "d", "url": "u", "summary": "s"},
    "skills": {"name": "s", "level": "s", "keywords": "l"},
    "languages": {"language": "s", "fluency": "s"},
    "interests": {"name": "s", "keywords": "l"},
    "references": {"name": "s", "reference": "s"},
    "projects": {"name": "s", "description": "s", "highlights": "l", "keywords": "l", "startDate": "d",
                 "endDate": "d", "url": "u", "roles": "l", "entity": "s", "type": "s"},
}  # fmt: skip
_BASICS: dict[str, Any] = {
    "name": "s", "label": "s", "image": "s", "email": "e", "phone": "s", "url": "u", "summary": "s",
    "location": {"address": "s", "postalCode": "s", "city": "s", "countryCode": "s", "region": "s"},
}  # fmt: skip
_PROFILE = {"network": "s", "username": "s", "url": "u"}


def _string(value: Any) -> str | None:
    return printable(value).strip() or None if isinstance(value, str) else None


def _value(kind: Any, value: Any) -> Any:
    if isinstance(kind, dict):
        return _object(kind, value)
    if kind == "l":
        found = [s for s in (_string(v) for v in value) if s] if isinstance(value, list) else []
        return found or None
    text = _string(value)
    if text is None:
        return None
    if kind == "d":
        return text if _ISO.match(text) else None
    if kind == "u":
        if not re.match(r"^[a-z][a-z0-9+.-]*:", text, re.IGNORECASE) and "." in text:
            text = f"https://{text}"
        return text if _URL.match(text) else None
    if kind == "e":
        return text if _EMAIL.match(text) else None
    return text


def _object(fields: dict[str, Any], value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    out = {key: v for key, kind in fields.items() if (v := _value(kind, value.get(key))) is not None}
    return out or None


def to_json_resume(resume: dict[str, Any], *, last_modified: str | None = None) -> dict[str, Any]:
    """The JSON Resume document of stored resume data (keys in the schema's order, empties left out)."""
    document: dict[str, Any] = {"$schema": SCHEMA_URL}
    basics = _object(_BASICS, resume.get("basics")) or {}
    raw_basics = resume.get("basics") if isinstance(resume.get("basics"), dict) else {}
    assert isinstance(raw_basics, dict)
    raw_profiles = raw_basics.get("profiles")
    profiles = [p for p in (_object(_PROFILE, v) for v in raw_profiles) if p] if isinstance(raw_profiles, list) else []
    if profiles:
        basics["profiles"] = profiles
    document["basics"] = basics
    for section, fields in _ITEM_FIELDS.items():
        raw = resume.get(section)
        entries = [e for e in (_object(fields, v) for v in raw) if e] if isinstance(raw, list) else []
        if entries:
            document[section] = entries
    if last_modified:
        document["meta"] = {"lastModified": last_modified}
    return document


def to_json_bytes(resume: dict[str, Any], *, last_modified: str | None = None) -> bytes:
    document = to_json_resume(resume, last_modified=last_modified)
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


@cache
def schema() -> dict[str, Any]:
    """The vendored JSON Resume v1.0.0 schema (draft-04)."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return loaded
