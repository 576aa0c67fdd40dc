"""One nested settings object, built from the environment by each process's factory.

Nothing here runs at import time: `Settings.from_env()` is called by `create_app`, the worker
startup hook and the dev supervisor. Every variable is listed in the README's configuration table.
"""

from __future__ import annotations

import binascii
import os
import re
from base64 import b64decode
from collections.abc import Mapping

import msgspec

DEV_JWT_KEY = "dev-only-insecure-signing-key-change-me-0123456789"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:55432/career_copilot"
DEFAULT_REDIS_URL = "redis://127.0.0.1:56379/0"
# Public and fixed, so dev data survives restarts; production refuses it (it is in the repository).
DEV_ENCRYPTION_KEY = b"dev-only-insecure-key-not-secret"  # 32 bytes


class SettingsError(RuntimeError):
    """The environment cannot produce a valid configuration; the message names the variable."""


class AppSettings(msgspec.Struct, frozen=True):
    env: str = "development"
    name: str = "career-copilot"
    public_url: str = "http://127.0.0.1:8000"
    allowed_origins: tuple[str, ...] = ("http://127.0.0.1:8000", "http://localhost:8000")
    log_json: bool = False
    log_level: str = "INFO"
    max_body_bytes: int = 1_048_576
    data_dir: str = ".data"

    @property
    def is_production(self) -> bool:
        return self.env == "production"


class DatabaseSettings(msgspec.Struct, frozen=True):
    url: str = DEFAULT_DATABASE_URL
    pool_min: int = 1
    pool_max: int = 10


class RedisSettings(msgspec.Struct, frozen=True):
    url: str = DEFAULT_REDIS_URL
    pool_max: int = 500
    cache_ttl_seconds: int = 120  # cache-aside entries; 0 turns the read cache off


class AuthSettings(msgspec.Struct, frozen=True):
    # kid -> secret; the active kid signs, every listed kid verifies (key rotation).
    jwt_keys: dict[str, str] = msgspec.field(default_factory=lambda: {"dev": DEV_JWT_KEY})
    jwt_active_kid: str = "dev"
    issuer: str = "career-copilot"
    access_ttl_seconds: int = 900
    refresh_ttl_seconds: int = 30 * 86400
    email_token_ttl_seconds: int = 2 * 86400
    login_max_failures_per_account: int = 5
    login_max_failures_per_ip: int = 30
    login_window_seconds: int = 900
    # how long an api process may trust a session it checked in Postgres while Redis says nothing
    # changed (backend/features/accounts/session_memo.py); 0: every request asks Postgres
    session_memo_seconds: int = 10


class WorkerSettings(msgspec.Struct, frozen=True):
    queue_name: str = "career-copilot:tasks"
    consumer_group: str = "workers"
    stream_maxlen: int = 100_000
    idle_reclaim_ms: int = 30_000
    max_retries: int = 3


class RealtimeSettings(msgspec.Struct, frozen=True):
    history_max_events: int = 1000  # per user, kept for replay on reconnect
    history_ttl_seconds: int = 3600  # a user's history expires after this long without events
    ticket_ttl_seconds: int = 30
    socket_queue_size: int = 1024  # frames buffered per socket before it counts as too slow
    send_timeout_seconds: float = 10.0  # a send blocked this long closes the socket as too slow
    ping_interval_seconds: float = 25.0  # app-level ping to idle sockets


class StorageSettings(msgspec.Struct, frozen=True):
    """Object storage (resume files): S3 when `s3_bucket` is set, else files under `local_dir`."""

    local_dir: str = ".data/objects"
    s3_bucket: str = ""
    s3_prefix: str = ""  # "" or "some/prefix/" (always ends with "/")
    s3_region: str = "us-east-1"
    s3_endpoint_url: str | None = None  # MinIO / moto / any S3-compatible server; None = AWS
    s3_access_key_id: str | None = None  # None = the default AWS credential chain (IAM role, …)
    s3_secret_access_key: str | None = None
    s3_sse: str | None = None  # ServerSideEncryption header: None, "AES256" or "aws:kms"
    s3_sse_kms_key_id: str | None = None
    s3_addressing_style: str = "virtual"  # "path" by default when an endpoint URL is given
    s3_connect_timeout_seconds: float = 5.0
    s3_read_timeout_seconds: float = 30.0
    s3_max_attempts: int = 3  # botocore "standard" retry mode, first try included
    s3_max_pool_connections: int = 20

    @property
    def uses_s3(self) -> bool:
        return bool(self.s3_bucket)


class EncryptionSettings(msgspec.Struct, frozen=True):
    """Master keys of the envelope encryption (backend/platform/crypto/envelope.py): kid -> 32 raw bytes."""

    keys: dict[str, bytes] = msgspec.field(default_factory=lambda: {"dev": DEV_ENCRYPTION_KEY})
    active_kid: str = "dev"  # wraps new data keys; every listed kid can unwrap (rotation)


class AISettings(msgspec.Struct, frozen=True):
    """The model: an OpenAI-compatible endpoint when `OPENAI_BASE_URL` or `OPENAI_API_KEY` is set, else builtin."""

    base_url: str | None = None
    api_key: str | None = None
    model: str = "gpt-4o-mini"
    timeout_seconds: float = 30.0  # per request, and the longest silence inside a stream
    max_retries: int = 2  # the openai client's own retries of 408/409/429/5xx and connection errors
    max_output_tokens: int = 900
    builtin_token_delay_ms: float = 0.0  # pacing of the offline provider's stream (demos, tests)
    requests_per_minute: int = 10  # per user, on AI endpoints
    requests_per_day: int = 200
    daily_token_budget: int = 200_000  # per user (prompt + completion tokens)

    @property
    def configured(self) -> bool:
        return bool(self.base_url or self.api_key)


class MailSettings(msgspec.Struct, frozen=True):
    """Outgoing email: the SMTP server the worker sends through. The default is the local
    mail catcher that `make dev` runs (backend/devtools/mail/catcher.py); production sets SMTP_HOST."""

    host: str = "127.0.0.1"
    port: int = 1025
    username: str | None = None
    password: str | None = None
    starttls: bool | None = None  # True: required, False: never, None: when the server offers it
    tls: bool = False  # implicit TLS from the first byte (SMTPS, usually port 465)
    validate_certs: bool = True
    mail_from: str = "Career Copilot <no-reply@career-copilot.local>"
    timeout_seconds: float = 20.0
    max_attempts: int = 10  # sends of one email (transient failures) before it is marked failed
    retry_base_seconds: float = 10.0  # transient failure n waits base * 2**(n-1), capped at 15 min


class Settings(msgspec.Struct, frozen=True):
    app: AppSettings = msgspec.field(default_factory=AppSettings)
    db: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    redis: RedisSettings = msgspec.field(default_factory=RedisSettings)
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)
    worker: WorkerSettings = msgspec.field(default_factory=WorkerSettings)
    realtime: RealtimeSettings = msgspec.field(default_factory=RealtimeSettings)
    storage: StorageSettings = msgspec.field(default_factory=StorageSettings)
    encryption: EncryptionSettings = msgspec.field(default_factory=EncryptionSettings)
    ai: AISettings = msgspec.field(default_factory=AISettings)
    mail: MailSettings = msgspec.field(default_factory=MailSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `env` (default `os.environ`); raise SettingsError on bad values."""
        return _from_env(os.environ if env is None else env)


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer variable within [minimum, maximum] (0 and up unless told otherwise)."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise SettingsError(f"{name} must be {bounds}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not value >= minimum:  # also refuses nan
        raise SettingsError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be a boolean (true/false), got {raw!r}")


def _list(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _jwt_keys(env: Mapping[str, str]) -> tuple[dict[str, str], str] | None:
    """`JWT_KEYS="kid1:secret1,kid2:secret2"` (+ `JWT_ACTIVE_KID`), or a single `JWT_SECRET`."""
    if keys_raw := env.get("JWT_KEYS", "").strip():
        keys: dict[str, str] = {}
        for item in keys_raw.split(","):
            kid, sep, secret = item.strip().partition(":")
            if not sep or not kid or not secret:
                raise SettingsError("JWT_KEYS must look like 'kid1:secret1,kid2:secret2'")
            keys[kid] = secret
        active = env.get("JWT_ACTIVE_KID", "").strip() or next(iter(keys))
        if active not in keys:
            raise SettingsError(f"JWT_ACTIVE_KID {active!r} is not one of the kids in JWT_KEYS")
        return keys, active
    if secret := env.get("JWT_SECRET", "").strip():
        return {"k1": secret}, "k1"
    return None


_KID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_S3_SSE = {"": None, "none": None, "aes256": "AES256", "aws:kms": "aws:kms"}


def _encryption(env: Mapping[str, str], production: bool) -> EncryptionSettings:
    """`ENCRYPTION_KEYS="kid1:<base64 of 32 bytes>,kid2:…"` + `ENCRYPTION_ACTIVE_KID` (default: first)."""
    raw = env.get("ENCRYPTION_KEYS", "").strip()
    if not raw:
        if production:
            raise SettingsError(
                "ENCRYPTION_KEYS must be set when APP_ENV=production "
                "(e.g. ENCRYPTION_KEYS=k1:$(openssl rand -base64 32))"
            )
        return EncryptionSettings()
    keys: dict[str, bytes] = {}
    for item in raw.split(","):
        kid, sep, encoded = item.strip().partition(":")
        if not sep or not _KID.fullmatch(kid) or not encoded.strip() or kid in keys:
            raise SettingsError("ENCRYPTION_KEYS must look like 'kid1:<base64 of 32 bytes>,kid2:…' with unique kids")
        encoded = encoded.strip().replace("-", "+").replace("_", "/")  # standard or URL-safe alphabet
        try:  # padding optional (`secrets.token_urlsafe(32)` has none); the value never goes into a message
            key = b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise SettingsError(f"ENCRYPTION_KEYS key {kid!r} is not valid base64") from None
        if len(key) != 32:
            raise SettingsError(f"ENCRYPTION_KEYS key {kid!r} must decode to 32 bytes, got {len(key)}")
        if production and key == DEV_ENCRYPTION_KEY:
            raise SettingsError(f"ENCRYPTION_KEYS key {kid!r} is the public development key")
        if production and len(set(key)) < 8:  # 32 random bytes hold ~30 distinct values
            raise SettingsError(f"ENCRYPTION_KEYS key {kid!r} is not random (openssl rand -base64 32)")
        keys[kid] = key
    active = env.get("ENCRYPTION_ACTIVE_KID", "").strip() or next(iter(keys))
    if active not in keys:
        raise SettingsError(f"ENCRYPTION_ACTIVE_KID {active!r} is not one of the kids in ENCRYPTION_KEYS")
    return EncryptionSettings(keys=keys, active_kid=active)


def _storage(env: Mapping[str, str], data_dir: str) -> StorageSettings:
    defaults = StorageSettings()
    endpoint = env.get("S3_ENDPOINT_URL", "").strip() or None
    if endpoint is not None and not re.match(r"https?://[^/\s]+", endpoint):
        raise SettingsError(f"S3_ENDPOINT_URL must be an http(s) URL, got {endpoint!r}")
    sse_raw = env.get("S3_SSE", "").strip()
    if sse_raw.lower() not in _S3_SSE:
        raise SettingsError(f"S3_SSE must be none, AES256 or aws:kms, got {sse_raw!r}")
    style = env.get("S3_ADDRESSING_STYLE", "").strip().lower() or ("path" if endpoint else "virtual")
    if style not in {"path", "virtual"}:
        raise SettingsError(f"S3_ADDRESSING_STYLE must be path or virtual, got {style!r}")
    access_key = env.get("S3_ACCESS_KEY_ID", "").strip() or None
    secret_key = env.get("S3_SECRET_ACCESS_KEY", "").strip() or None
    if (access_key is None) != (secret_key is None):
        missing = "S3_SECRET_ACCESS_KEY" if secret_key is None else "S3_ACCESS_KEY_ID"
        raise SettingsError(f"{missing} must be set together with the other S3 credential")
    prefix = env.get("S3_PREFIX", "").strip().strip("/")
    if prefix and not re.fullmatch(r"[A-Za-z0-9._=-]+(/[A-Za-z0-9._=-]+)*", prefix):
        raise SettingsError(f"S3_PREFIX may hold only letters, digits, '._=-' and '/', got {prefix!r}")
    return StorageSettings(
        local_dir=os.path.join(data_dir, "objects"),
        s3_bucket=env.get("S3_BUCKET", "").strip(),
        s3_prefix=f"{prefix}/" if prefix else "",
        s3_region=env.get("S3_REGION", "").strip() or defaults.s3_region,
        s3_endpoint_url=endpoint,
        s3_access_key_id=access_key,
        s3_secret_access_key=secret_key,
        s3_sse=_S3_SSE[sse_raw.lower()],
        s3_sse_kms_key_id=env.get("S3_SSE_KMS_KEY_ID", "").strip() or None,
        s3_addressing_style=style,
        s3_connect_timeout_seconds=_float(
            env, "S3_CONNECT_TIMEOUT_SECONDS", defaults.s3_connect_timeout_seconds, minimum=0.1
        ),
        s3_read_timeout_seconds=_float(env, "S3_READ_TIMEOUT_SECONDS", defaults.s3_read_timeout_seconds, minimum=0.1),
        s3_max_attempts=_int(env, "S3_MAX_ATTEMPTS", defaults.s3_max_attempts, minimum=1),
        s3_max_pool_connections=_int(env, "S3_MAX_POOL_CONNECTIONS", defaults.s3_max_pool_connections, minimum=1),
    )


def _optional_bool(env: Mapping[str, str], name: str) -> bool | None:
    raw = env.get(name, "").strip().lower()
    return None if raw in {"", "auto"} else _bool(env, name, False)


def _mail(env: Mapping[str, str]) -> MailSettings:
    """SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD, SMTP_STARTTLS (true/false/auto), SMTP_TLS,
    SMTP_VALIDATE_CERTS, MAIL_FROM (or SMTP_FROM), SMTP_TIMEOUT_SECONDS, MAIL_MAX_ATTEMPTS."""
    defaults = MailSettings()
    tls = _bool(env, "SMTP_TLS", False)
    starttls = _optional_bool(env, "SMTP_STARTTLS")
    if tls and starttls:
        raise SettingsError("SMTP_TLS and SMTP_STARTTLS exclude each other (implicit TLS or an upgrade, not both)")
    username = env.get("SMTP_USERNAME", "").strip() or None
    password = env.get("SMTP_PASSWORD", "") or None
    if (username is None) != (password is None):
        missing = "SMTP_PASSWORD" if password is None else "SMTP_USERNAME"
        raise SettingsError(f"{missing} must be set together with the other SMTP credential")
    mail_from = (env.get("MAIL_FROM", "").strip() or env.get("SMTP_FROM", "").strip()) or defaults.mail_from
    if "@" not in mail_from:
        raise SettingsError(f"MAIL_FROM must hold an email address, got {mail_from!r}")
    return MailSettings(
        host=env.get("SMTP_HOST", "").strip() or defaults.host,
        port=_int(env, "SMTP_PORT", 465 if tls else defaults.port, minimum=1, maximum=65535),
        username=username,
        password=password,
        starttls=False if tls else starttls,
        tls=tls,
        validate_certs=_bool(env, "SMTP_VALIDATE_CERTS", True),
        mail_from=mail_from,
        timeout_seconds=_float(env, "SMTP_TIMEOUT_SECONDS", defaults.timeout_seconds, minimum=0.1),
        max_attempts=_int(env, "MAIL_MAX_ATTEMPTS", defaults.max_attempts, minimum=1),
        retry_base_seconds=_float(env, "MAIL_RETRY_BASE_SECONDS", defaults.retry_base_seconds),
    )


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LOOPBACK_URL = re.compile(r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(/.*)?")


def _app_env(env: Mapping[str, str]) -> str:
    app_env = env.get("APP_ENV", "development").strip() or "development"
    if app_env not in {"development", "test", "production"}:
        raise SettingsError(f"APP_ENV must be development, test or production, got {app_env!r}")
    return app_env


def _public_url(env: Mapping[str, str], production: bool) -> str:
    """Where users reach the api (emailed links, allowed origins). Production must say so, over
    https unless it is a loopback address (a compose stack on a laptop)."""
    url = env.get("PUBLIC_URL", "").strip().rstrip("/")
    if not url:
        if production:
            raise SettingsError("PUBLIC_URL must be set when APP_ENV=production (links in emails, allowed origins)")
        return f"http://127.0.0.1:{_int(env, 'PORT', 8000, minimum=1, maximum=65535)}"
    if not re.fullmatch(r"https?://[^/\s]+(/\S*)?", url):
        raise SettingsError(f"PUBLIC_URL must be an http(s) URL, got {url!r}")
    if production and not url.startswith("https://") and not _LOOPBACK_URL.fullmatch(url):
        raise SettingsError(f"PUBLIC_URL must be an https URL when APP_ENV=production, got {url!r}")
    return url


def _log_level(env: Mapping[str, str]) -> str:
    level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if level not in _LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}, got {level!r}")
    return level


def _looks_like_a_placeholder(secret: str) -> bool:
    """A value someone typed rather than generated: 'CHANGE-ME…', or few distinct characters
    ('aaaa…', 'abcabc…'). 32 random hex digits hold ~15 distinct ones."""
    return "changeme" in secret.lower().replace("-", "").replace("_", "") or len(set(secret)) < 10


def _database(env: Mapping[str, str], production: bool) -> DatabaseSettings:
    """DATABASE_URL, DB_POOL_MIN, DB_POOL_MAX: all that `make migrate` needs (piccolo_conf.py)."""
    url = env.get("DATABASE_URL", "").strip()
    if production and not url:
        raise SettingsError("DATABASE_URL must be set when APP_ENV=production")
    pool_min = _int(env, "DB_POOL_MIN", 1)
    pool_max = _int(env, "DB_POOL_MAX", 10, minimum=1)
    if pool_min > pool_max:
        raise SettingsError(f"DB_POOL_MIN ({pool_min}) must not exceed DB_POOL_MAX ({pool_max})")
    return DatabaseSettings(url=url or DEFAULT_DATABASE_URL, pool_min=pool_min, pool_max=pool_max)


def database_from_env(env: Mapping[str, str] | None = None) -> DatabaseSettings:
    """Only the database part, for the migration command: it needs no other secret."""
    env = os.environ if env is None else env
    return _database(env, _app_env(env) == "production")


def _from_env(env: Mapping[str, str]) -> Settings:
    app_env = _app_env(env)
    production = app_env == "production"
    db = _database(env, production)
    public_url = _public_url(env, production)

    jwt = _jwt_keys(env)
    if production:
        if not env.get("REDIS_URL", "").strip():
            raise SettingsError("REDIS_URL must be set when APP_ENV=production")
        if jwt is None:
            raise SettingsError("JWT_KEYS (or JWT_SECRET) must be set when APP_ENV=production")
        if not env.get("SMTP_HOST", "").strip():  # the default is `make dev`'s local mail catcher
            raise SettingsError("SMTP_HOST must be set when APP_ENV=production (account emails go through it)")
        for kid, secret in jwt[0].items():
            if len(secret) < 32 or secret == DEV_JWT_KEY or _looks_like_a_placeholder(secret):
                raise SettingsError(
                    f"JWT_KEYS/JWT_SECRET key {kid!r} must be a random secret of at least 32 characters "
                    "(e.g. openssl rand -hex 32)"
                )
    auth_defaults, app_defaults, worker_defaults = AuthSettings(), AppSettings(), WorkerSettings()
    rt_defaults = RealtimeSettings()
    keys, active = jwt if jwt is not None else (auth_defaults.jwt_keys, auth_defaults.jwt_active_kid)

    return Settings(
        app=AppSettings(
            env=app_env,
            public_url=public_url,
            allowed_origins=_list(env, "ALLOWED_ORIGINS", (public_url, public_url.replace("127.0.0.1", "localhost"))),
            log_json=_bool(env, "LOG_JSON", production),
            log_level=_log_level(env),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", app_defaults.max_body_bytes, minimum=1024),
            data_dir=env.get("DATA_DIR", ".data"),
        ),
        db=db,
        redis=RedisSettings(
            url=env.get("REDIS_URL", "").strip() or DEFAULT_REDIS_URL,
            pool_max=_int(env, "REDIS_POOL_MAX", 500, minimum=1),
            cache_ttl_seconds=_int(env, "CACHE_TTL_SECONDS", 120),
        ),
        auth=AuthSettings(
            jwt_keys=keys,
            jwt_active_kid=active,
            access_ttl_seconds=_int(env, "ACCESS_TOKEN_TTL_SECONDS", auth_defaults.access_ttl_seconds, minimum=10),
            refresh_ttl_seconds=_int(env, "REFRESH_TOKEN_TTL_SECONDS", auth_defaults.refresh_ttl_seconds, minimum=60),
            login_max_failures_per_account=_int(
                env, "LOGIN_MAX_FAILURES_PER_ACCOUNT", auth_defaults.login_max_failures_per_account, minimum=1
            ),
            login_max_failures_per_ip=_int(
                env, "LOGIN_MAX_FAILURES_PER_IP", auth_defaults.login_max_failures_per_ip, minimum=1
            ),
            login_window_seconds=_int(env, "LOGIN_WINDOW_SECONDS", auth_defaults.login_window_seconds, minimum=1),
            session_memo_seconds=_int(env, "SESSION_MEMO_SECONDS", auth_defaults.session_memo_seconds),
        ),
        worker=WorkerSettings(
            queue_name=env.get("TASK_QUEUE", worker_defaults.queue_name),
            consumer_group=env.get("TASK_CONSUMER_GROUP", worker_defaults.consumer_group),
            stream_maxlen=_int(env, "TASK_STREAM_MAXLEN", worker_defaults.stream_maxlen, minimum=1),
            idle_reclaim_ms=_int(env, "TASK_IDLE_RECLAIM_MS", worker_defaults.idle_reclaim_ms, minimum=100),
            max_retries=_int(env, "TASK_MAX_RETRIES", worker_defaults.max_retries),
        ),
        realtime=RealtimeSettings(
            history_max_events=_int(env, "REALTIME_HISTORY_MAX_EVENTS", rt_defaults.history_max_events, minimum=1),
            history_ttl_seconds=_int(env, "REALTIME_HISTORY_TTL_SECONDS", rt_defaults.history_ttl_seconds, minimum=1),
            socket_queue_size=_int(env, "REALTIME_SOCKET_QUEUE_SIZE", rt_defaults.socket_queue_size, minimum=1),
            send_timeout_seconds=_float(
                env, "REALTIME_SEND_TIMEOUT_SECONDS", rt_defaults.send_timeout_seconds, minimum=0.1
            ),
            ping_interval_seconds=_float(
                env, "REALTIME_PING_INTERVAL_SECONDS", rt_defaults.ping_interval_seconds, minimum=0.1
            ),
        ),
        storage=_storage(env, env.get("DATA_DIR", ".data")),
        encryption=_encryption(env, production),
        ai=_ai(env),
        mail=_mail(env),
    )


def _ai(env: Mapping[str, str]) -> AISettings:
    d = AISettings()
    base_url = env.get("OPENAI_BASE_URL", "").strip() or None
    if base_url is not None and not re.match(r"https?://[^/\s]+", base_url):
        raise SettingsError(f"OPENAI_BASE_URL must be an http(s) URL, got {base_url!r}")
    return AISettings(
        base_url=base_url,
        api_key=env.get("OPENAI_API_KEY", "").strip() or None,
        model=env.get("OPENAI_MODEL", "").strip() or d.model,
        timeout_seconds=_float(env, "OPENAI_TIMEOUT_SECONDS", d.timeout_seconds, minimum=0.1),
        max_retries=_int(env, "OPENAI_MAX_RETRIES", d.max_retries),
        max_output_tokens=_int(env, "AI_MAX_OUTPUT_TOKENS", d.max_output_tokens, minimum=1),
        builtin_token_delay_ms=_float(env, "AI_BUILTIN_TOKEN_DELAY_MS", d.builtin_token_delay_ms),
        requests_per_minute=_int(env, "AI_REQUESTS_PER_MINUTE", d.requests_per_minute),
        requests_per_day=_int(env, "AI_REQUESTS_PER_DAY", d.requests_per_day),
        daily_token_budget=_int(env, "AI_DAILY_TOKEN_BUDGET", d.daily_token_budget),
    )
