import base64
import os

import pytest

from backend.settings import DEV_JWT_KEY, Settings, SettingsError, database_from_env

PROD = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql://db/app",
    "REDIS_URL": "redis://cache:6379/0",
    "JWT_KEYS": "2026a:" + os.urandom(24).hex(),
    "SMTP_HOST": "smtp.example.com",
    "ENCRYPTION_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
    "PUBLIC_URL": "https://careers.example.com",
}


def test_defaults_point_at_the_embedded_services() -> None:
    settings = Settings.from_env({})
    assert settings.app.env == "development"
    assert settings.db.url.startswith("postgresql://") and ":55432/" in settings.db.url
    assert settings.redis.url.endswith(":56379/0")
    assert settings.auth.jwt_keys[settings.auth.jwt_active_kid] == DEV_JWT_KEY


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL", "JWT_KEYS", "SMTP_HOST", "PUBLIC_URL"])
def test_production_refuses_to_start_without_a_real_secret_naming_the_variable(missing: str) -> None:
    env = {k: v for k, v in PROD.items() if k != missing}
    with pytest.raises(SettingsError, match=missing):
        Settings.from_env(env)


@pytest.mark.parametrize(
    "secret",
    ["short", DEV_JWT_KEY, "a" * 40, "CHANGE-ME-CHANGE-ME-CHANGE-ME-CHANGE-ME", "abcdabcdabcdabcdabcdabcdabcdabcdabcd"],
    ids=["short", "dev-key", "one-char", "placeholder", "few-chars"],
)
def test_production_refuses_weak_signing_keys(secret: str) -> None:
    with pytest.raises(SettingsError, match=r"JWT_KEYS/JWT_SECRET key .* random secret of at least 32"):
        Settings.from_env({**PROD, "JWT_KEYS": "", "JWT_SECRET": secret})


def test_production_refuses_a_non_random_encryption_key() -> None:
    with pytest.raises(SettingsError, match="ENCRYPTION_KEYS key 'k1' is not random"):
        Settings.from_env({**PROD, "ENCRYPTION_KEYS": "k1:" + base64.b64encode(b"k" * 32).decode()})


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://careers.example.com", True),
        ("http://localhost:8000", True),  # a compose stack on a laptop
        ("http://careers.example.com", False),
        ("careers.example.com", False),
    ],
)
def test_production_public_url_is_https_unless_loopback(url: str, ok: bool) -> None:
    env = {**PROD, "PUBLIC_URL": url}
    if ok:
        assert Settings.from_env(env).app.public_url == url
    else:
        with pytest.raises(SettingsError, match="PUBLIC_URL must be an"):
            Settings.from_env(env)


def test_migrations_need_only_the_database_in_production() -> None:
    assert database_from_env({"APP_ENV": "production", "DATABASE_URL": "postgresql://db/app"}).url.endswith("/app")
    with pytest.raises(SettingsError, match="DATABASE_URL must be set"):
        database_from_env({"APP_ENV": "production", "JWT_KEYS": PROD["JWT_KEYS"]})


def test_production_with_real_secrets_builds_nested_settings() -> None:
    settings = Settings.from_env(
        {**PROD, "DB_POOL_MAX": "25", "ALLOWED_ORIGINS": "https://a.example, https://b.example"}
    )
    assert settings.app.is_production and settings.app.log_json
    assert settings.db.pool_max == 25
    assert settings.app.allowed_origins == ("https://a.example", "https://b.example")


def test_jwt_keys_rotation_lists_every_kid_and_picks_the_active_one() -> None:
    settings = Settings.from_env({"JWT_KEYS": "old:" + "o" * 40 + ",new:" + "n" * 40, "JWT_ACTIVE_KID": "new"})
    assert set(settings.auth.jwt_keys) == {"old", "new"}
    assert settings.auth.jwt_active_kid == "new"
    with pytest.raises(SettingsError, match="JWT_ACTIVE_KID"):
        Settings.from_env({"JWT_KEYS": "old:" + "o" * 40, "JWT_ACTIVE_KID": "nope"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DB_POOL_MAX", "ten"),
        ("DB_POOL_MAX", "0"),
        ("LOG_JSON", "maybe"),
        ("APP_ENV", "staging"),
        ("JWT_KEYS", "nokid"),
        ("LOG_LEVEL", "loud"),
        ("MAX_BODY_BYTES", "-5"),
        ("PORT", "70000"),
        ("SMTP_PORT", "0"),
        ("ACCESS_TOKEN_TTL_SECONDS", "0"),
        ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "0"),
        ("TASK_IDLE_RECLAIM_MS", "-1"),
        ("REALTIME_PING_INTERVAL_SECONDS", "0"),
        ("OPENAI_TIMEOUT_SECONDS", "nan"),
        ("PUBLIC_URL", "ftp://x"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_pool_bounds_are_checked_together() -> None:
    with pytest.raises(SettingsError, match=r"DB_POOL_MIN \(20\) must not exceed DB_POOL_MAX \(10\)"):
        Settings.from_env({"DB_POOL_MIN": "20"})
    assert Settings.from_env({"LOG_LEVEL": "warning"}).app.log_level == "WARNING"
