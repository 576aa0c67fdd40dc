"""JSON Resume v1 documents (https://jsonresume.org/schema, schema v1.0.0): decode and validate.

The checks are the schema's: each section's type, every listed field's type, dates in the schema's
ISO 8601 form (`2020`, `2020-01` or `2020-01-31`), e-mail addresses shaped like one, no unknown key at
the top level (the schema's `additionalProperties: false`; inside a section extra keys are allowed
and kept). Two rules are ours: the document is an object with a non-empty `basics.name` (a resume
names its person), and no text holds the NUL character. Every failure is reported with its path
(`work[0].startDate`), not only the first. URLs are kept as written (the schema names a format, and
its own validator does not check it).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from backend.engines.resume_import.models import MAX_PROBLEMS, Imported, ImportRefused, Problem

DATE = re.compile(r"^([1-2][0-9]{3}-[0-1][0-9]-[0-3][0-9]|[1-2][0-9]{3}-[0-1][0-9]|[1-2][0-9]{3})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")

# The leaves of the schema; an object is a dict of fields, an array a one-item list of its item.
STR, DATE_STR, EMAIL_STR = "string", "date", "email"
STRINGS = [STR]

LOCATION = {"address": STR, "postalCode": STR, "city": STR, "countryCode": STR, "region": STR}
SCHEMA: dict[str, Any] = {
    "$schema": STR,
    "basics": {
        "name": STR, "label": STR, "image": STR, "email": EMAIL_STR, "phone": STR, "url": STR, "summary": STR,
        "location": LOCATION, "profiles": [{"network": STR, "username": STR, "url": STR}],
    },
    "work": [{
        "name": STR, "location": STR, "description": STR, "position": STR, "url": STR, "startDate": DATE_STR,
        "endDate": DATE_STR, "summary": STR, "highlights": STRINGS,
    }],
    "volunteer": [{
        "organization": STR, "position": STR, "url": STR, "startDate": DATE_STR, "endDate": DATE_STR,
        "summary": STR, "highlights": STRINGS,
    }],
    "education": [{
        "institution": STR, "url": STR, "area": STR, "studyType": STR, "startDate": DATE_STR, "endDate": DATE_STR,
        "score": STR, "courses": STRINGS,
    }],
    "awards": [{"title": STR, "date": DATE_STR, "awarder": STR, "summary": STR}],
    "certificates": [{"name": STR, "date": DATE_STR, "url": STR, "issuer": STR}],
    "publications": [{"name": STR, "publisher": STR, "releaseDate": DATE_STR, "url": STR, "summary": STR}],
    "skills": [{"name": STR, "level": STR, "keywords": STRINGS}],
    "languages": [{"language": STR, "fluency": STR}],
    "interests": [{"name": STR, "keywords": STRINGS}],
    "references": [{"name": STR, "reference": STR}],
    "projects": [{
        "name": STR, "description": STR, "highlights": STRINGS, "keywords": STRINGS, "startDate": DATE_STR,
        "endDate": DATE_STR, "url": STR, "roles": STRINGS, "entity": STR, "type": STR,
    }],
    "meta": {"canonical": STR, "version": STR, "lastModified": STR},
}  # fmt: skip

_TYPE_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
               float: "a number", type(None): "null"}  # fmt: skip


def _kind(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(path, message))

    def check(self, value: Any, spec: Any, path: str) -> None:
        if isinstance(spec, dict):
            if not isinstance(value, dict):
                self.add(path, f"must be an object, not {_kind(value)}")
                return
            for key, item in value.items():
                if key in spec:
                    self.check(item, spec[key], _join(path, key))
                else:
                    self._free(item, _join(path, key))  # extra keys are allowed inside sections
        elif isinstance(spec, list):
            if not isinstance(value, list):
                self.add(path, f"must be an array, not {_kind(value)}")
                return
            for index, item in enumerate(value):
                self.check(item, spec[0], _join(path, index))
        elif not isinstance(value, str):
            self.add(path, f"must be a string, not {_kind(value)}")
        elif "\x00" in value:
            self.add(path, "must not contain the NUL character (\\u0000)")
        elif spec == DATE_STR and not DATE.match(value):
            self.add(path, f"must be a date as YYYY, YYYY-MM or YYYY-MM-DD, not {value[:40]!r}")
        elif spec == EMAIL_STR and value and not EMAIL.match(value):
            self.add(path, f"must be an e-mail address, not {value[:80]!r}")

    def _free(self, value: Any, path: str) -> None:
        """A value the schema does not describe: any JSON, but no NUL in its text."""
        if isinstance(value, str):
            if "\x00" in value:
                self.add(path, "must not contain the NUL character (\\u0000)")
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    self.add(path, "must not contain the NUL character (\\u0000) in a key")
                self._free(item, _join(path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self._free(item, _join(path, index))


def validate(document: Any) -> list[Problem]:
    """Every way `document` is not a JSON Resume v1 document we can keep (empty: it is one)."""
    checker = _Checker()
    if not isinstance(document, dict):
        return [Problem("body", f"must be a JSON Resume object, not {_kind(document)}")]
    for key, value in document.items():
        if key not in SCHEMA:
            checker.add(key, "is not a JSON Resume section (allowed: " + ", ".join(SCHEMA) + ")")
        else:
            checker.check(value, SCHEMA[key], key)
    basics = document.get("basics")
    name = basics.get("name") if isinstance(basics, dict) else None
    if basics is None or (isinstance(basics, dict) and name is None):
        checker.add("basics.name", "is required: the name of the person the resume is about")
    elif isinstance(name, str) and not name.strip():
        checker.add("basics.name", "must not be empty")
    return checker.problems


def decode(body: bytes) -> Any:
    """The JSON value of `body` (UTF-8, a BOM allowed), or ImportRefused."""
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    if not body.strip():
        raise ImportRefused("The body is empty: send a JSON Resume document", [Problem("body", "is empty")])
    try:
        return msgspec.json.decode(body)
    except RecursionError:
        reason = "is nested too deeply"
    except UnicodeDecodeError:
        reason = "is not UTF-8"
    except msgspec.DecodeError as exc:
        reason = f"is not JSON: {exc}"
    raise ImportRefused(f"The body {reason}", [Problem("body", reason)])


def from_json_resume(body: bytes) -> Imported:
    """A JSON Resume document's bytes → its data, kept as sent (validated, never rewritten)."""
    document = decode(body)
    problems = validate(document)
    if problems:
        raise ImportRefused(
            f"This is not a valid JSON Resume document: {len(problems)} problem(s), the first at "
            f"{problems[0].field}: {problems[0].message}",
            problems,
        )
    return Imported("json_resume", document)
