import base64

import pytest

from backend.settings import DEV_JWT_KEY, Settings, SettingsError

PROD = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql://db/app",
    "REDIS_URL": "redis://cache:6379/0",
    "JWT_KEYS": "2026a:" + "s" * 40,
    "SMTP_HOST": "smtp.example.com",
    "ENCRYPTION_KEYS": "k1:" + base64.b64encode(b"k" * 32).decode(),
}


def test_defaults_point_at_the_embedded_services() -> None:
    settings = Settings.from_env({})
    assert settings.app.env == "development"
    assert settings.db.url.startswith("postgresql://") and ":55432/" in settings.db.url
    assert settings.redis.url.endswith(":56379/0")
    assert settings.auth.jwt_keys[settings.auth.jwt_active_kid] == DEV_JWT_KEY


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL", "JWT_KEYS", "SMTP_HOST"])
def test_production_refuses_to_start_without_a_real_secret_naming_the_variable(missing: str) -> None:
    env = {k: v for k, v in PROD.items() if k != missing}
    with pytest.raises(SettingsError, match=missing):
        Settings.from_env(env)


def test_production_refuses_short_or_dev_signing_keys() -> None:
    with pytest.raises(SettingsError, match="at least 32"):
        Settings.from_env({**PROD, "JWT_KEYS": "k:short"})
    with pytest.raises(SettingsError, match="at least 32"):
        Settings.from_env({**PROD, "JWT_KEYS": "", "JWT_SECRET": DEV_JWT_KEY})


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
    ("name", "value"), [("DB_POOL_MAX", "ten"), ("LOG_JSON", "maybe"), ("APP_ENV", "staging"), ("JWT_KEYS", "nokid")]
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
