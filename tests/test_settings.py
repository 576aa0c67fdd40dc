import base64
import os

import msgspec
import pytest

from backend.settings import DEV_JWT_KEY, Field, Settings, SettingsError, database_from_env, fields

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


def test_job_urls_never_reach_private_addresses_in_production() -> None:
    assert Settings.from_env({"JOB_FETCH_ALLOW_PRIVATE": "true"}).outbound.job_fetch_allow_private
    with pytest.raises(SettingsError, match="JOB_FETCH_ALLOW_PRIVATE must not be true when APP_ENV=production"):
        Settings.from_env({**PROD, "JOB_FETCH_ALLOW_PRIVATE": "true"})


def test_several_redis_nodes_are_seeds_of_a_cluster_only() -> None:
    seeds = "redis://127.0.0.1:7000,127.0.0.1:7001/0"
    assert Settings.from_env({"REDIS_URL": seeds, "REDIS_CLUSTER": "true"}).redis.url == seeds
    with pytest.raises(SettingsError, match="REDIS_URL names several nodes, which only a Redis Cluster has"):
        Settings.from_env({"REDIS_URL": seeds})
    with pytest.raises(SettingsError, match="REDIS_URL: every node of a Redis URL needs host:port, got 'b'"):
        Settings.from_env({"REDIS_URL": "redis://a:7000,b/0", "REDIS_CLUSTER": "true"})


def test_pool_bounds_are_checked_together() -> None:
    with pytest.raises(SettingsError, match=r"DB_POOL_MIN \(20\) must not exceed DB_POOL_MAX \(10\)"):
        Settings.from_env({"DB_POOL_MIN": "20"})
    assert Settings.from_env({"LOG_LEVEL": "warning"}).app.log_level == "WARNING"


# Every value an empty environment gave before the settings became declarative (`make dev`'s defaults).
OLD_DEFAULTS: dict[str, dict[str, object]] = {
    "app": {
        "env": "development",
        "name": "career-copilot",
        "public_url": "http://127.0.0.1:8000",
        "allowed_origins": ("http://127.0.0.1:8000", "http://localhost:8000"),
        "log_json": False,
        "log_level": "INFO",
        "max_body_bytes": 1048576,
        "data_dir": ".data",
    },
    "db": {"url": "postgresql://postgres@127.0.0.1:55432/career_copilot", "pool_min": 1, "pool_max": 10},
    "redis": {"url": "redis://127.0.0.1:56379/0", "pool_max": 500, "cache_ttl_seconds": 120},
    "auth": {
        "jwt_keys": {"dev": DEV_JWT_KEY},
        "jwt_active_kid": "dev",
        "issuer": "career-copilot",
        "access_ttl_seconds": 900,
        "refresh_ttl_seconds": 2592000,
        "email_token_ttl_seconds": 172800,
        "login_max_failures_per_account": 5,
        "login_max_failures_per_ip": 30,
        "login_window_seconds": 900,
        "session_memo_seconds": 10,
    },
    "worker": {
        "queue_name": "career-copilot:tasks",
        "consumer_group": "workers",
        "stream_maxlen": 100000,
        "idle_reclaim_ms": 30000,
        "max_retries": 3,
    },
    "realtime": {
        "history_max_events": 1000,
        "history_ttl_seconds": 3600,
        "ticket_ttl_seconds": 30,
        "socket_queue_size": 1024,
        "send_timeout_seconds": 10.0,
        "ping_interval_seconds": 25.0,
    },
    "storage": {
        "local_dir": ".data/objects",
        "s3_bucket": "",
        "s3_prefix": "",
        "s3_region": "us-east-1",
        "s3_endpoint_url": None,
        "s3_access_key_id": None,
        "s3_secret_access_key": None,
        "s3_sse": None,
        "s3_sse_kms_key_id": None,
        "s3_addressing_style": "virtual",
        "s3_connect_timeout_seconds": 5.0,
        "s3_read_timeout_seconds": 30.0,
        "s3_max_attempts": 3,
        "s3_max_pool_connections": 20,
    },
    "encryption": {"keys": {"dev": b"dev-only-insecure-key-not-secret"}, "active_kid": "dev"},
    "ai": {
        "base_url": None,
        "api_key": None,
        "model": "gpt-4o-mini",
        "timeout_seconds": 30.0,
        "max_retries": 2,
        "max_output_tokens": 900,
        "builtin_token_delay_ms": 0.0,
        "requests_per_minute": 10,
        "requests_per_day": 200,
        "daily_token_budget": 200000,
    },
    "mail": {
        "host": "127.0.0.1",
        "port": 1025,
        "username": None,
        "password": None,
        "starttls": None,
        "tls": False,
        "validate_certs": True,
        "mail_from": "Career Copilot <no-reply@career-copilot.local>",
        "timeout_seconds": 20.0,
        "max_attempts": 10,
        "retry_base_seconds": 10.0,
    },
}


@pytest.mark.parametrize("section", sorted(OLD_DEFAULTS))
def test_every_default_is_the_one_it_was(section: str) -> None:
    for built in (Settings.from_env({}), Settings()):
        values = msgspec.structs.asdict(getattr(built, section))
        assert {name: values[name] for name in OLD_DEFAULTS[section]} == OLD_DEFAULTS[section]


NUMERIC = [f for f in fields() if f.meta.ge is not None or f.meta.le is not None]


@pytest.mark.parametrize("field", NUMERIC, ids=lambda f: f.env.name)
def test_each_numeric_bound_is_enforced_and_named(field: Field) -> None:
    name, meta = field.env.name, field.meta
    if meta.ge is not None:
        assert getattr(Settings.from_env({name: str(meta.ge)}), field.section) is not None  # the bound itself is fine
        below = str(meta.ge - (1 if field.base is int else 0.01))
        with pytest.raises(
            SettingsError, match=rf"^{name} must be an? (integer|number) .*{meta.ge:g}.*, got '{below}'$"
        ):
            Settings.from_env({name: below})
    if meta.le is not None:
        kind = "an integer" if field.base is int else "a number"
        above = str(meta.le + (1 if field.base is int else 0.01))
        with pytest.raises(
            SettingsError, match=rf"^{name} must be {kind} between {meta.ge:g} and {meta.le:g}, got '{above}'$"
        ):
            Settings.from_env({name: above})
    with pytest.raises(SettingsError, match=rf"^{name} must be an? (integer|number)"):
        Settings.from_env({name: "many"})


@pytest.mark.parametrize("field", [f for f in fields() if f.env.choices], ids=lambda f: f.env.name)
def test_choices_match_whatever_the_case_and_others_are_refused(field: Field) -> None:
    for choice in field.env.choices:
        value = getattr(
            getattr(Settings.from_env({**PROD, field.env.name: f" {choice.swapcase()} "}), field.section), field.name
        )
        assert value == choice
    with pytest.raises(
        SettingsError, match=rf"^{field.env.name} must be one of .*{field.env.choices[-1]}, got 'other'$"
    ):
        Settings.from_env({field.env.name: "other"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PUBLIC_URL", "careers.example.com"),
        ("S3_ENDPOINT_URL", "minio:9000"),
        ("OPENAI_BASE_URL", "localhost:11434"),
        ("S3_PREFIX", "a b/c"),
        ("MAIL_FROM", "nobody"),
        ("SMTP_FROM", "nobody"),
    ],
)
def test_patterns_are_enforced(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=rf"^{name} must be .*, got '{value}'$"):
        Settings.from_env({name: value})


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("YES", True), ("on", True), ("0", False), ("Off", False)])
def test_booleans_read_the_usual_words(raw: str, value: bool) -> None:
    assert Settings.from_env({"SMTP_VALIDATE_CERTS": raw}).mail.validate_certs is value
    assert Settings.from_env({"SMTP_STARTTLS": raw}).mail.starttls is value


def test_every_bad_variable_is_reported_in_one_line() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"DB_POOL_MAX": "0", "LOG_JSON": "maybe", "APP_ENV": "staging", "SMTP_PORT": "smtp"})
    message = str(caught.value)
    assert "\n" not in message
    assert message.count("; ") == 3
    for name in ("DB_POOL_MAX", "LOG_JSON", "APP_ENV", "SMTP_PORT"):
        assert f"{name} must be" in message


def test_production_names_every_missing_variable_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"APP_ENV": "production"})
    missing = ["PUBLIC_URL", "DATABASE_URL", "REDIS_URL", "JWT_KEYS", "ENCRYPTION_KEYS", "SMTP_HOST"]
    assert str(caught.value) == f"{', '.join(missing)} must be set when APP_ENV=production"


def test_secrets_are_never_echoed() -> None:
    for env in ({"JWT_KEYS": "s3cret-value"}, {"ENCRYPTION_KEYS": "k1:s3cret-value"}):
        with pytest.raises(SettingsError) as caught:
            Settings.from_env(env)
        assert "s3cret" not in str(caught.value)


def test_derived_values() -> None:
    settings = Settings.from_env({"PORT": "9000", "DATA_DIR": "/srv/data", "S3_ENDPOINT_URL": "http://minio:9000"})
    assert settings.app.public_url == "http://127.0.0.1:9000"
    assert settings.app.allowed_origins == ("http://127.0.0.1:9000", "http://localhost:9000")
    assert settings.storage.local_dir == "/srv/data/objects"
    assert settings.storage.s3_addressing_style == "path"
    assert Settings.from_env({"S3_PREFIX": "/a/b/"}).storage.s3_prefix == "a/b/"
    assert Settings.from_env({"S3_SSE": "NONE"}).storage.s3_sse is None
    assert Settings.from_env({"PUBLIC_URL": "https://x.example/"}).app.public_url == "https://x.example"
    assert Settings.from_env({"JWT_SECRET": "s" * 40, "JWT_ACTIVE_KID": "other"}).auth.jwt_keys == {"k1": "s" * 40}
    assert Settings.from_env({"JWT_ACTIVE_KID": "ignored-without-keys"}).auth.jwt_active_kid == "dev"
    assert Settings.from_env({"TASK_QUEUE": "  "}).worker.queue_name == "career-copilot:tasks"  # blank = unset


def test_every_setting_is_declared_once_with_a_line_of_documentation() -> None:
    names = [f.env.name for f in fields()] + [f.env.alias for f in fields() if f.env.alias]
    assert len(names) == len(set(names))
    assert all(f.env.doc and "\n" not in f.env.doc for f in fields())
    assert {f.env.name for f in fields()} >= {"DATABASE_URL", "TASK_STREAM_MAXLEN", "SMTP_STARTTLS", "ENCRYPTION_KEYS"}
