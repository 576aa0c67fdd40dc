"""The request-body base and the field shapes every feature's schemas share (msgspec; no Litestar).

`Input` refuses unknown fields and dates outside FIRST_YEAR-LAST_YEAR with a 422 naming the field;
the OpenAPI declares the same range (`backend/platform/http/openapi.py`)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated

import msgspec

from backend import errors

# Whitespace, spelled out: `\s` differs between Python's `re` (which checks requests) and the
# ECMA-262 regexes of JSON Schema (which clients and generators read); this set is what both call
# whitespace, so a pattern below means the same in both.
WHITESPACE = "".join(
    [
        "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680",
        *map(chr, range(0x2000, 0x200B)),
        "\u2028\u2029\u202f\u205f\u3000\ufeff",
    ]
)
WS_CHARS = r"\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
NotBlank = f"[^{WS_CHARS}]"  # at least one character that is not whitespace (names are stored stripped)
HTTP_URL = f"https?://[^{WS_CHARS}]+"
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NotBlank)]
Short = Annotated[str, msgspec.Meta(max_length=200)]
Token = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]

# Dates of a request: the year, as written, from FIRST_YEAR to LAST_YEAR. Outside that a date is a
# typing slip, and its extremes are not stored and shown back faithfully (year 1 came back without
# its offset). Declared in the OpenAPI as a pattern beside `format: date-time` (backend/platform/http/openapi.py).
FIRST_YEAR, LAST_YEAR = 1900, 2199
DATE_TIME_PATTERN = r"^(?:19|2[01])[0-9]{2}-"
DATE_TIME_DESCRIPTION = f"An RFC 3339 date-time with its offset, in the years {FIRST_YEAR}-{LAST_YEAR} (else 422)"


@functools.cache
def _date_time_fields(cls: type[msgspec.Struct]) -> tuple[tuple[str, str], ...]:
    """(attribute, wire name) of the fields of `cls` that may hold a datetime."""
    found = []
    for field in msgspec.structs.fields(cls):
        kind = field.type
        options = getattr(kind, "__args__", (kind,))
        if any(option is datetime or getattr(option, "__origin__", None) is datetime for option in options):
            found.append((field.name, field.encode_name))
    return tuple(found)


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are an error, not silently dropped, and every datetime
    is within FIRST_YEAR-LAST_YEAR (422 naming the field)."""

    def __post_init__(self) -> None:
        for name, wire_name in _date_time_fields(type(self)):
            value = getattr(self, name)
            if isinstance(value, datetime) and not FIRST_YEAR <= value.year <= LAST_YEAR:
                message = f"must be in the years {FIRST_YEAR}-{LAST_YEAR}"
                raise errors.Unprocessable(errors=[errors.FieldError(wire_name, message)])
