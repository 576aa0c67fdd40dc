"""Cursor pagination: `?limit=&cursor=` → `{"items": [...], "next_cursor": ...}`; each
area names its page Struct (e.g. `UserPage`) so the contract gets concrete, readable schemas.

A cursor is the opaque, URL-safe encoding of the sort key of the last item returned (keyset
pagination: stable under inserts, no OFFSET scans), signed by the server: 16 bytes of
HMAC-SHA256 followed by the JSON sort key, base64url without padding. The MAC covers the list it
belongs to and the caller (`scope`, e.g. `applications:<user id>`), so a cursor made up, edited,
taken from another list or from another user is refused with a 400 problem (`invalid-cursor`) before
any of its values reaches a query. The services still check the shape of what they decode.

The MAC key is derived from the envelope's master keys (`ENCRYPTION_KEYS`): the active one signs,
every listed one verifies, so a key rotation does not break the cursors clients hold. `configure`
installs the keys once per process (the api's factory); nothing signs before that.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import msgspec

from backend import errors

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
MAX_CURSOR_LENGTH = 1024
_MAC_LEN = 16
_LABEL = b"career-copilot pagination cursor v1"


class _Keys(msgspec.Struct, frozen=True):
    signing: bytes
    verifying: tuple[bytes, ...]


_keys: _Keys | None = None


def configure(master_keys: Mapping[str, bytes], active_kid: str) -> None:
    """Derive the cursor MAC keys from the envelope's master keys (once per process)."""
    global _keys

    def derive(master: bytes) -> bytes:
        return hmac.new(master, _LABEL, hashlib.sha256).digest()

    others = tuple(derive(key) for kid, key in sorted(master_keys.items()) if kid != active_kid)
    _keys = _Keys(signing=derive(master_keys[active_kid]), verifying=(derive(master_keys[active_kid]), *others))


def _current() -> _Keys:
    if _keys is None:
        raise RuntimeError("pagination.configure() was not called: cursors cannot be signed")
    return _keys


def _mac(key: bytes, scope: str, payload: bytes) -> bytes:
    return hmac.new(key, scope.encode() + b"\x00" + payload, hashlib.sha256).digest()[:_MAC_LEN]


def _invalid() -> errors.BadRequest:
    return errors.BadRequest("The cursor is not valid", slug="invalid-cursor")


def encode_cursor(key: list[Any], scope: str) -> str:
    """A signed cursor holding `key`, valid only for `scope` (the list and its caller)."""
    payload = msgspec.json.encode(key)
    return base64.urlsafe_b64encode(_mac(_current().signing, scope, payload) + payload).decode().rstrip("=")


def decode_cursor(cursor: str | None, scope: str) -> list[Any] | None:
    """The sort key inside `cursor`; a 400 problem unless `encode_cursor` made it for `scope`."""
    if cursor is None or cursor == "":
        return None
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _invalid()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise _invalid() from None
    mac, payload = raw[:_MAC_LEN], raw[_MAC_LEN:]
    if len(mac) < _MAC_LEN or not any(
        hmac.compare_digest(mac, _mac(key, scope, payload)) for key in _current().verifying
    ):
        raise _invalid()
    try:
        key = msgspec.json.decode(payload)
    except msgspec.DecodeError:
        raise _invalid() from None
    if not isinstance(key, list):
        raise _invalid()
    return key


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise errors.Unprocessable(errors=[errors.FieldError("limit", f"must be between 1 and {MAX_LIMIT}")])
    return limit
