import base64
import os

import msgspec
import pytest

from backend import errors
from backend.platform.crypto.envelope import VERSION, DecryptionError, Envelope, UnknownKeyError
from backend.settings import DEV_ENCRYPTION_KEY, Settings, SettingsError

K1, K2 = os.urandom(32), os.urandom(32)
PROD = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql://db/app",
    "REDIS_URL": "redis://cache:6379/0",
    "JWT_KEYS": "2026a:" + os.urandom(24).hex(),
    "SMTP_HOST": "smtp.example.com",
    "PUBLIC_URL": "https://careers.example.com",
}


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def test_round_trip_uses_a_fresh_data_key_and_nonce_each_time() -> None:
    envelope = Envelope({"k1": K1}, "k1")
    first, second = (
        envelope.encrypt(b"Jane Doe, jane@example.com", "users.phone:1"),
        envelope.encrypt(b"Jane Doe, jane@example.com", "users.phone:1"),
    )
    assert first != second and b"jane" not in first
    assert envelope.decrypt(first, "users.phone:1") == envelope.decrypt(second, "users.phone:1")
    assert envelope.decrypt(envelope.encrypt(b"", "x"), "x") == b""


def test_blob_layout_is_versioned_and_names_its_master_key() -> None:
    blob = Envelope({"2026-11": K1}, "2026-11").encrypt(b"abc", "aad")
    assert blob[0] == VERSION and blob[1] == len("2026-11") and blob[2:9] == b"2026-11"
    assert len(blob) == 70 + len("2026-11") + 3  # header + wrapped key + nonce + tag + plaintext
    assert Envelope.key_id(blob) == "2026-11"


def test_aad_binds_the_blob_to_its_record() -> None:
    envelope = Envelope({"k1": K1}, "k1")
    blob = envelope.encrypt(b"secret", "resume_versions.text:1")
    with pytest.raises(DecryptionError, match="another record"):
        envelope.decrypt(blob, "resume_versions.text:2")
    with pytest.raises(ValueError, match="aad"):
        envelope.encrypt(b"secret", "")


@pytest.mark.parametrize(
    "position", [0, 1, 2, 10, 50, -20, -1], ids=["version", "kid-len", "kid", "wrapped", "nonce", "body", "tag"]
)
def test_any_altered_byte_is_detected(position: int) -> None:
    envelope = Envelope({"k1": K1}, "k1")
    blob = bytearray(envelope.encrypt(b"the quick brown fox", "aad"))
    blob[position] ^= 0x01
    with pytest.raises(DecryptionError):
        envelope.decrypt(bytes(blob), "aad")


def test_truncated_and_foreign_blobs_are_decryption_errors_of_the_project_tree() -> None:
    envelope = Envelope({"k1": K1}, "k1")
    blob = envelope.encrypt(b"data", "aad")
    for bad in (b"", b"\x01", blob[:30], b"%PDF-1.7 plaintext", b"\x02" + blob[1:]):
        with pytest.raises(DecryptionError) as caught:
            envelope.decrypt(bad, "aad")
        assert isinstance(caught.value, errors.AppError)


def test_unknown_master_key_id_is_named() -> None:
    blob = Envelope({"old": K1}, "old").encrypt(b"data", "aad")
    with pytest.raises(UnknownKeyError, match="'old'"):
        Envelope({"new": K2}, "new").decrypt(blob, "aad")
    # Same kid, other key material: the wrapped data key does not unwrap.
    with pytest.raises(DecryptionError, match="wrapped data key"):
        Envelope({"old": K2}, "old").decrypt(blob, "aad")


def test_rotation_decrypts_with_any_listed_key_and_rewrap_moves_to_the_active_one() -> None:
    old = Envelope({"k1": K1}, "k1")
    blob = old.encrypt(b"resume text", "aad")
    rotated = Envelope({"k1": K1, "k2": K2}, "k2")
    assert rotated.decrypt(blob, "aad") == b"resume text"
    rewrapped = rotated.rewrap(blob)
    assert Envelope.key_id(rewrapped) == "k2"
    assert rewrapped[-(12 + 16 + 11) :] == blob[-(12 + 16 + 11) :]  # nonce and ciphertext untouched
    assert Envelope({"k2": K2}, "k2").decrypt(rewrapped, "aad") == b"resume text"
    assert rotated.rewrap(rewrapped) is rewrapped  # already under the active key: nothing to do
    with pytest.raises(UnknownKeyError):
        Envelope({"k2": K2}, "k2").rewrap(blob)


def test_text_and_json_helpers_for_database_columns() -> None:
    class Parsed(msgspec.Struct):
        name: str
        skills: list[str]

    envelope = Envelope({"k1": K1}, "k1")
    text = envelope.encrypt_text("Zoë Ångström — +1 555 0100", "users.phone:7")
    assert envelope.decrypt_text(text, "users.phone:7") == "Zoë Ångström — +1 555 0100"
    value = {"basics": {"name": "Jane"}, "skills": [{"name": "Python"}]}
    blob = envelope.encrypt_json(value, "resume_versions.parsed:9")
    assert b"Jane" not in blob and envelope.decrypt_json(blob, "resume_versions.parsed:9") == value
    typed = envelope.decrypt_json(envelope.encrypt_json(Parsed("Jane", ["Go"]), "a"), "a", type=Parsed)
    assert typed == Parsed("Jane", ["Go"])


def test_envelope_rejects_bad_master_keys() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Envelope({"k1": b"short"}, "k1")
    with pytest.raises(ValueError, match="active kid"):
        Envelope({"k1": K1}, "k2")


def test_settings_default_to_the_labelled_development_key() -> None:
    encryption = Settings.from_env({}).encryption
    assert encryption.keys == {"dev": DEV_ENCRYPTION_KEY} and encryption.active_kid == "dev"
    assert len(DEV_ENCRYPTION_KEY) == 32 and b"dev-only-insecure" in DEV_ENCRYPTION_KEY


def test_settings_parse_keys_and_pick_the_active_kid() -> None:
    urlsafe = base64.urlsafe_b64encode(K2).decode().rstrip("=")  # as secrets.token_urlsafe(32) prints it
    env = {"ENCRYPTION_KEYS": f"k1:{_b64(K1)}, k2:{urlsafe}", "ENCRYPTION_ACTIVE_KID": "k2"}
    encryption = Settings.from_env(env).encryption
    assert encryption.keys == {"k1": K1, "k2": K2} and encryption.active_kid == "k2"
    assert Settings.from_env({"ENCRYPTION_KEYS": f"k1:{_b64(K1)}"}).encryption.active_kid == "k1"
    envelope = Envelope.from_settings(encryption)
    assert Envelope.key_id(envelope.encrypt(b"x", "a")) == "k2"


@pytest.mark.parametrize(
    ("value", "active", "message"),
    [
        (f"k1:{_b64(K1)[:-4]}!!!!", "", "not valid base64"),
        (f"k1:{_b64(os.urandom(16))}", "", "must decode to 32 bytes, got 16"),
        (_b64(K1), "", "must look like"),
        (f"k1:{_b64(K1)},k1:{_b64(K2)}", "", "unique kids"),
        (f"bad kid:{_b64(K1)}", "", "must look like"),
        (f"k1:{_b64(K1)}", "k9", "ENCRYPTION_ACTIVE_KID"),
    ],
)
def test_settings_refuse_bad_keys_without_echoing_them(value: str, active: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        Settings.from_env({"ENCRYPTION_KEYS": value, "ENCRYPTION_ACTIVE_KID": active})
    assert "ENCRYPTION_" in str(caught.value)
    assert _b64(K1) not in str(caught.value)


def test_production_refuses_to_start_without_encryption_keys_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match="ENCRYPTION_KEYS must be set when APP_ENV=production"):
        Settings.from_env(PROD)
    with pytest.raises(SettingsError, match="public development key"):
        Settings.from_env({**PROD, "ENCRYPTION_KEYS": f"dev:{_b64(DEV_ENCRYPTION_KEY)}"})
    settings = Settings.from_env({**PROD, "ENCRYPTION_KEYS": f"prod1:{_b64(K1)}"})
    assert settings.encryption.keys == {"prod1": K1}
