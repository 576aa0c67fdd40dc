import pytest

from backend.platform.crypto import passwords


async def test_hash_is_argon2id_and_verifies_only_the_right_password() -> None:
    hashed = await passwords.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await passwords.verify_password(hashed, "correct horse battery")
    assert not await passwords.verify_password(hashed, "wrong horse battery")


async def test_missing_hash_never_verifies() -> None:
    assert not await passwords.verify_password(None, "not-a-real-password-only-for-timing")
    assert not await passwords.verify_password("garbage", "anything")


@pytest.mark.parametrize(
    ("password", "ok"), [("short", False), ("aaaaaaaaaaaa", False), ("x" * 257, False), ("a fine passphrase", True)]
)
def test_password_rules(password: str, ok: bool) -> None:
    assert (passwords.password_problem(password) is None) is ok
