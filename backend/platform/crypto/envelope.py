"""Envelope encryption of PII at rest: AES-256-GCM with a fresh data key per value.

Each value gets a random 256-bit data key; the data key is wrapped with AES Key Wrap (RFC 3394) under
the active master key from settings (`ENCRYPTION_KEYS`, `ENCRYPTION_ACTIVE_KID`). Every listed master
key can unwrap, so keys rotate without downtime, and `rewrap` moves a blob to the active key without
touching its ciphertext. Blob layout, version 1 (all of it self-describing; overhead 70 + len(kid)):

    offset   size  field
    0        1     version = 0x01
    1        1     n = length of the master key id
    2        n     master key id (ASCII)
    2+n      40    data key wrapped with AES-KW under that master key
    42+n     12    nonce
    54+n     ...   AES-256-GCM ciphertext || 16-byte tag; associated data = version byte || aad

`aad` names what the value is ("resumes.parsed:<row id>", an object key): a blob copied to another
row or object fails to decrypt. Tampering, a wrong aad or an unknown key id raise `DecryptionError`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from backend import errors
from backend.settings import EncryptionSettings

VERSION = 1
_WRAPPED_LEN = 40  # AES-KW of a 32-byte key
_NONCE_LEN = 12
_TAG_LEN = 16


class DecryptionError(errors.AppError):
    """A blob cannot be decrypted: tampered, wrong aad, unknown version or master key."""

    status, slug, title = 500, "decryption-failed", "Stored data could not be decrypted"


class UnknownKeyError(DecryptionError):
    """The blob's master key id is not in ENCRYPTION_KEYS (a key was removed too early)."""


class _Header(msgspec.Struct, frozen=True):
    kid: str
    wrapped: bytes
    body_offset: int  # where nonce || ciphertext starts


def _aad_bytes(aad: bytes | str) -> bytes:
    data = aad.encode() if isinstance(aad, str) else bytes(aad)
    if not data:
        raise ValueError("aad must name what is encrypted (e.g. 'table.column:row-id')")
    return bytes([VERSION]) + data


def _parse(blob: bytes) -> _Header:
    if len(blob) < 2 or blob[0] != VERSION:
        raise DecryptionError("not an encrypted blob of a known version")
    end = 2 + blob[1]
    if len(blob) < end + _WRAPPED_LEN + _NONCE_LEN + _TAG_LEN:
        raise DecryptionError("encrypted blob is truncated")
    try:
        kid = blob[2:end].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("encrypted blob has a malformed key id") from None
    return _Header(kid=kid, wrapped=blob[end : end + _WRAPPED_LEN], body_offset=end + _WRAPPED_LEN)


class Envelope:
    """Encrypts and decrypts values under the configured master keys (thread-safe, no I/O)."""

    def __init__(self, keys: Mapping[str, bytes], active_kid: str) -> None:
        if active_kid not in keys:
            raise ValueError(f"active kid {active_kid!r} is not among the master keys")
        for kid, key in keys.items():
            if len(key) != 32 or not kid.isascii() or not 0 < len(kid) < 256:
                raise ValueError(f"master key {kid!r} must be 32 bytes with a short ASCII id")
        self._keys = dict(keys)
        self.active_kid = active_kid

    @classmethod
    def from_settings(cls, settings: EncryptionSettings) -> Envelope:
        return cls(settings.keys, settings.active_kid)

    def encrypt(self, plaintext: bytes, aad: bytes | str) -> bytes:
        """A new blob holding `plaintext`, bound to `aad`, under the active master key."""
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(_NONCE_LEN)
        body = AESGCM(data_key).encrypt(nonce, plaintext, _aad_bytes(aad))
        return self._header(self.active_kid, data_key) + nonce + body

    def decrypt(self, blob: bytes, aad: bytes | str) -> bytes:
        """The plaintext of `blob`; raises DecryptionError unless it is intact and `aad` matches."""
        header = _parse(blob)
        data_key = self._unwrap(header)
        nonce = blob[header.body_offset : header.body_offset + _NONCE_LEN]
        try:
            return AESGCM(data_key).decrypt(nonce, blob[header.body_offset + _NONCE_LEN :], _aad_bytes(aad))
        except InvalidTag:
            raise DecryptionError("ciphertext was altered or belongs to another record") from None

    def rewrap(self, blob: bytes) -> bytes:
        """`blob` with its data key wrapped under the active master key; ciphertext untouched."""
        header = _parse(blob)
        if header.kid == self.active_kid:
            return blob
        return self._header(self.active_kid, self._unwrap(header)) + blob[header.body_offset :]

    @staticmethod
    def key_id(blob: bytes) -> str:
        """The master key id a blob is wrapped under (rotation sweeps look for old ones)."""
        return _parse(blob).kid

    def encrypt_text(self, value: str, aad: bytes | str) -> bytes:
        return self.encrypt(value.encode(), aad)

    def decrypt_text(self, blob: bytes, aad: bytes | str) -> str:
        return self.decrypt(blob, aad).decode()

    def encrypt_json(self, value: Any, aad: bytes | str) -> bytes:
        """Encrypt anything msgspec encodes as JSON (dicts, lists, Structs)."""
        return self.encrypt(msgspec.json.encode(value), aad)

    def decrypt_json(self, blob: bytes, aad: bytes | str, type: Any = Any) -> Any:
        """Decrypt and decode JSON, optionally into `type` (a Struct, `dict[str, Any]`, …)."""
        return msgspec.json.decode(self.decrypt(blob, aad), type=type)

    def _header(self, kid: str, data_key: bytes) -> bytes:
        encoded = kid.encode("ascii")
        return bytes([VERSION, len(encoded)]) + encoded + aes_key_wrap(self._keys[kid], data_key)

    def _unwrap(self, header: _Header) -> bytes:
        master = self._keys.get(header.kid)
        if master is None:
            raise UnknownKeyError(f"encrypted with master key {header.kid!r}, which is not in ENCRYPTION_KEYS")
        try:
            return aes_key_unwrap(master, header.wrapped)
        except InvalidUnwrap:
            raise DecryptionError("the wrapped data key was altered") from None
