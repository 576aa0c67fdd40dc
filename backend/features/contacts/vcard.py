"""vCard 4.0 (RFC 6350) of contacts, written by hand to the letter of the RFC:

- lines end with CRLF; a content line longer than 75 octets is folded (CRLF then one space) at
  octet 75 or before, never inside a UTF-8 sequence (section 3.2);
- TEXT values escape backslash, comma and semicolon, and a newline (CRLF, CR or LF) becomes `\\n`
  (section 3.4); other control characters, which a value may not hold, are dropped;
- structured values (`N`, `ORG`) escape each component and join them with `;`;
- `VERSION:4.0` follows `BEGIN:VCARD`, `FN` is present, `UID` is the contact's id as a URN, `REV` is
  the last change (UTC).

No Litestar import."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

MEDIA_TYPE = "text/vcard"
PRODID = "-//Career Copilot//Contacts 1.0//EN"
_NEWLINE = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
LIMIT = 75  # octets per physical line, CRLF not counted


def escape(value: str) -> str:
    """A TEXT value (RFC 6350 3.4)."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return _CONTROL.sub("", _NEWLINE.sub("\\\\n", value))


def uri(value: str) -> str:
    """A URI value: not escaped (RFC 6350 3.4 escapes TEXT only), so it may hold no whitespace or
    control character at all (the schema's pattern allows none but a trailing newline)."""
    return "".join(ch for ch in value if not ch.isspace() and ch.isprintable())


def fold(line: str) -> str:
    """One content line as physical lines of at most 75 octets each, joined by CRLF + space."""
    data = line.encode()
    parts: list[bytes] = []
    limit = LIMIT
    while len(data) > limit:
        cut = limit
        while cut > 0 and (data[cut] & 0xC0) == 0x80:  # not inside a UTF-8 sequence
            cut -= 1
        parts.append(data[:cut])
        data = data[cut:]
        limit = LIMIT - 1  # the leading space of a continuation counts
    parts.append(data)
    return "\r\n ".join(part.decode() for part in parts) + "\r\n"


def _split_name(name: str) -> tuple[str, str]:
    """(family, given) for `N`: the last word is taken as the family name."""
    words = name.split()
    if len(words) < 2:
        return name.strip(), ""
    return words[-1], " ".join(words[:-1])


def card(
    *,
    contact_id: uuid.UUID,
    name: str,
    role: str = "",
    company: str = "",
    email: str = "",
    phone: str = "",
    linkedin_url: str = "",
    notes: str = "",
    updated_at: datetime,
) -> str:
    """One VCARD."""
    family, given = _split_name(name)
    lines = [
        "BEGIN:VCARD",
        "VERSION:4.0",
        f"PRODID:{PRODID}",
        f"UID:urn:uuid:{contact_id}",
        f"FN:{escape(name)}",
        f"N:{escape(family)};{escape(given)};;;",
    ]
    if company:
        lines.append(f"ORG:{escape(company)}")
    if role:
        lines.append(f"TITLE:{escape(role)}")
    if email:
        lines.append(f"EMAIL;TYPE=work:{escape(email)}")
    if phone:
        lines.append(f"TEL;TYPE=work;VALUE=text:{escape(phone)}")
    if linkedin_url:
        lines.append(f"URL;TYPE=work:{uri(linkedin_url)}")
    if notes:
        lines.append(f"NOTE:{escape(notes)}")
    lines.append(f"REV:{updated_at.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


def cards(items: Iterable[str]) -> str:
    return "".join(items)
