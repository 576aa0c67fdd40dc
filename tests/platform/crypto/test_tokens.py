import time
import uuid
from collections.abc import Callable

import jwt
import pytest

from backend import errors
from backend.platform.crypto import tokens
from backend.settings import AuthSettings

KEYS = AuthSettings(jwt_keys={"a": "a" * 40, "b": "b" * 40}, jwt_active_kid="b")
USER, SESSION = uuid.uuid4(), uuid.uuid4()


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": KEYS.issuer,
        "aud": tokens.AUDIENCE,
        "sub": str(USER),
        "sid": str(SESSION),
        "typ": "access",
        "iat": now,
        "exp": now + 60,
    }
    claims.update(overrides)
    return claims


def test_issued_token_round_trips_with_kid_header() -> None:
    token = tokens.issue_access_token(KEYS, user_id=USER, session_id=SESSION, role="admin")
    assert jwt.get_unverified_header(token)["kid"] == "b"
    claims = tokens.decode_access_token(KEYS, token)
    assert (claims.user_id, claims.session_id, claims.role) == (USER, SESSION, "admin")


def test_tokens_signed_with_a_retired_but_listed_kid_still_verify() -> None:
    token = jwt.encode(_claims(), "a" * 40, algorithm="HS256", headers={"kid": "a"})
    assert tokens.decode_access_token(KEYS, token).user_id == USER


def test_expired_token_is_refused_as_expired() -> None:
    token = jwt.encode(_claims(exp=int(time.time()) - 60), "b" * 40, algorithm="HS256", headers={"kid": "b"})
    with pytest.raises(errors.Unauthorized) as caught:
        tokens.decode_access_token(KEYS, token)
    assert caught.value.slug == "token-expired"


@pytest.mark.parametrize(
    "forge",
    [
        lambda: jwt.encode(_claims(), "x" * 40, algorithm="HS256", headers={"kid": "b"}),  # wrong key
        lambda: jwt.encode(_claims(), "b" * 40, algorithm="HS256", headers={"kid": "zz"}),  # unknown kid
        lambda: jwt.encode(_claims(), "b" * 40, algorithm="HS512", headers={"kid": "b"}),  # other algorithm
        lambda: jwt.encode(_claims(), "", algorithm="none", headers={"kid": "b"}),  # alg=none
        lambda: jwt.encode(_claims(typ="refresh"), "b" * 40, algorithm="HS256", headers={"kid": "b"}),
        lambda: jwt.encode(_claims(aud="other"), "b" * 40, algorithm="HS256", headers={"kid": "b"}),
        lambda: "not.a.jwt",
    ],
    ids=["wrong-key", "unknown-kid", "hs512", "alg-none", "wrong-type", "wrong-audience", "garbage"],
)
def test_forged_tokens_are_refused(forge: Callable[[], str]) -> None:
    with pytest.raises(errors.Unauthorized) as caught:
        tokens.decode_access_token(KEYS, forge())
    assert caught.value.slug == "invalid-token"


def test_opaque_tokens_are_random_and_stored_as_sha256() -> None:
    first, second = tokens.new_opaque_token(), tokens.new_opaque_token()
    assert first != second and len(first) >= 43
    assert len(tokens.hash_opaque_token(first)) == 64
    assert tokens.hash_opaque_token(first) != tokens.hash_opaque_token(second)
