"""Access tokens (JWT, HS256 with a `kid` for rotation) and opaque random tokens stored hashed."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

from backend.errors import Unauthorized
from backend.settings import AuthSettings

ALGORITHM = "HS256"  # pinned: tokens naming any other algorithm (including "none") are refused
AUDIENCE = "career-copilot-api"
LEEWAY_SECONDS = 5


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    role: str
    expires_at: int
    keys_id: int = 0  # which key set verified it (settings differ between test apps)


def issue_access_token(settings: AuthSettings, *, user_id: uuid.UUID, session_id: uuid.UUID, role: str) -> str:
    now = int(time.time())
    claims = {
        "iss": settings.issuer,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "sid": str(session_id),
        "role": role,
        "typ": "access",
        "iat": now,
        "nbf": now,
        "exp": now + settings.access_ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    kid = settings.jwt_active_kid
    return jwt.encode(claims, settings.jwt_keys[kid], algorithm=ALGORITHM, headers={"kid": kid})


_verified: dict[str, AccessClaims] = {}  # token -> claims; a signature check never changes its answer
_VERIFIED_MAX = 10_000


def decode_access_token(settings: AuthSettings, token: str) -> AccessClaims:
    """Verify signature, algorithm, kid, issuer, audience and expiry; raise Unauthorized otherwise.

    Verified tokens are remembered until they expire (PyJWT's verification is ~10% of a cached
    request's CPU); expiry is still checked on every use.
    """
    claims = _verified.get(token)
    if claims is not None and claims.keys_id == id(settings.jwt_keys):
        if claims.expires_at + LEEWAY_SECONDS <= time.time():
            raise Unauthorized("Access token expired", slug="token-expired")
        return claims
    claims = _decode(settings, token)
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[token] = claims
    return claims


def _decode(settings: AuthSettings, token: str) -> AccessClaims:
    try:
        header = jwt.get_unverified_header(token)
        key = settings.jwt_keys.get(str(header.get("kid")))
        if key is None or header.get("alg") != ALGORITHM:
            raise Unauthorized("Invalid access token", slug="invalid-token")
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=settings.issuer,
            options={"require": ["exp", "iat", "sub", "sid", "aud", "iss"]},
            leeway=LEEWAY_SECONDS,
        )
        if claims.get("typ") != "access":
            raise Unauthorized("Invalid access token", slug="invalid-token")
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            session_id=uuid.UUID(claims["sid"]),
            role=str(claims.get("role", "user")),
            expires_at=int(claims["exp"]),
            keys_id=id(settings.jwt_keys),
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Access token expired", slug="token-expired") from None
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError):
        raise Unauthorized("Invalid access token", slug="invalid-token") from None


def new_opaque_token() -> str:
    """A URL-safe random token with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def hash_opaque_token(token: str) -> str:
    """The stored form of an opaque token (sha256: the token itself is high-entropy)."""
    return hashlib.sha256(token.encode()).hexdigest()
