"""One nested settings object, built from the environment by each process's factory.

Every setting is declared once, as a field of its section: type, default, environment variable,
constraints and one line of documentation, e.g.

    stream_maxlen: Annotated[int, setting("TASK_STREAM_MAXLEN", "most unfinished tasks …", ge=1)] = 100_000

`Settings.from_env()` converts the environment generically (msgspec, non-strict: strings become
numbers, booleans, comma lists and `kid:value` maps), reports every bad variable in one message, then
applies the few rules that span fields (`_RULES`: derived values, pairs, production requirements).
Nothing here runs at import: `create_app`, the worker startup hook and the dev supervisor call it.
The README's configuration table is generated from the declarations (`python -m backend.devtools.configuration`).
"""

import binascii
import functools
import os
import re
import types
import typing
from base64 import b64decode
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

import msgspec
from msgspec import Meta

DEV_JWT_KEY = "dev-only-insecure-signing-key-change-me-0123456789"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:55432/career_copilot"
DEFAULT_REDIS_URL = "redis://127.0.0.1:56379/0"
# The id Chromium gives frontend_contract/extension (fixed by the public key in its manifest).
EXTENSION_ORIGIN = "chrome-extension://gcoofbdekegneihhmdjikohdogamkhkn"
# Public and fixed, so dev data survives restarts; production refuses it (it is in the repository).
DEV_ENCRYPTION_KEY = b"dev-only-insecure-key-not-secret"  # 32 bytes


class SettingsError(RuntimeError):
    """The environment cannot produce a valid configuration; the message names every bad variable."""


@dataclass(frozen=True)
class Env:
    """How a field is read from the environment (the `extra` of its `msgspec.Meta`)."""

    name: str
    doc: str
    default_text: str | None = None  # the README's default when the field's own would mislead
    choices: tuple[str, ...] = ()  # matched case-insensitively, stored as written here
    none: str | None = None  # the word that means None for an optional field ("auto", "none")
    alias: str | None = None  # read when `name` is unset
    secret: bool = False  # never echoed in an error
    strip: bool = True  # surrounding whitespace is not part of the value
    production: bool = False  # must be set when APP_ENV=production
    expect: str | None = None  # what a valid value looks like, for errors and the README


def setting(
    name: str,
    doc: str,
    *,
    default_text: str | None = None,
    choices: tuple[str, ...] = (),
    none: str | None = None,
    alias: str | None = None,
    secret: bool = False,
    strip: bool = True,
    production: bool = False,
    expect: str | None = None,
    **constraints: Any,
) -> Meta:
    """The metadata of a field read from `name`: `constraints` are msgspec's (`ge`, `le`, `pattern`…)."""
    if choices:
        constraints["pattern"] = "^(" + "|".join(re.escape(choice) for choice in choices) + ")$"
    env = Env(name, doc, default_text, choices, none, alias, secret, strip, production, expect)
    return Meta(description=doc, extra={"env": env}, **constraints)


HTTP_URL = r"^https?://[^/\s]+"
_KID = Annotated[str, Meta(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
_KEY = Annotated[bytes, Meta(min_length=32, max_length=32)]
_DSN = Annotated[str, Meta(pattern=r"^postgres(ql)?://\S+$")]
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LOOPBACK_URL = re.compile(r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(/.*)?")


class AppSettings(msgspec.Struct, frozen=True):
    env: Annotated[str, setting("APP_ENV", "the kind of deployment", choices=("development", "test", "production"))] = (
        "development"
    )
    name: str = "career-copilot"
    port: Annotated[int, setting("PORT", "api port (`make dev`, `make api`, the image's uvicorn)", ge=1, le=65535)] = (
        8000
    )
    public_url: Annotated[
        str,
        setting(
            "PUBLIC_URL",
            "where users reach the api: emailed links, default allowed origins (https in production unless loopback)",
            default_text="`http://127.0.0.1:$PORT`",
            production=True,
            pattern=HTTP_URL + r"(/\S*)?$",
            expect="an http(s) URL",
        ),
    ] = "http://127.0.0.1:8000"
    allowed_origins: Annotated[
        tuple[str, ...],
        setting("ALLOWED_ORIGINS", "CORS / websocket origins", default_text="`PUBLIC_URL` and its `localhost` twin"),
    ] = ("http://127.0.0.1:8000", "http://localhost:8000")
    extension_origins: (
        Annotated[
            tuple[str, ...],
            setting(
                "EXTENSION_ORIGINS",
                "origins of the browser extension, allowed to call the api with a personal access token (CORS "
                "only: never the refresh cookie or the socket); `none` turns it off",
                default_text="the extension's own (`frontend_contract/extension`)",
                none="none",
            ),
        ]
        | None
    ) = (EXTENSION_ORIGIN,)
    log_json: Annotated[
        bool, setting("LOG_JSON", "JSON log lines", default_text="`true` in production, else `false`")
    ] = False
    log_level: Annotated[str, setting("LOG_LEVEL", "lowest level logged", choices=_LOG_LEVELS)] = "INFO"
    max_body_bytes: Annotated[int, setting("MAX_BODY_BYTES", "request body limit (413 above)", ge=1024)] = 1_048_576
    drain_seconds: Annotated[
        float,
        setting(
            "API_DRAIN_SECONDS",
            "after SIGTERM the api answers `/health/ready` 503 and keeps accepting for this long, then closes its "
            "sockets with 1012 and stops accepting (docs/rollouts.md)",
            ge=0,
            le=60,
        ),
    ] = 2.0
    data_dir: Annotated[
        str,
        setting(
            "DATA_DIR",
            "where `make dev` keeps everything local: the embedded Postgres and Redis data, stored files "
            "(`objects/`, unless `S3_BUCKET`) and the mail catcher's `.eml` files (`mail/`)",
        ),
    ] = ".data"

    @property
    def is_production(self) -> bool:
        return self.env == "production"


class DatabaseSettings(msgspec.Struct, frozen=True):
    url: Annotated[
        str,
        setting(
            "DATABASE_URL",
            "PostgreSQL DSN (the default is `make dev`'s embedded server)",
            production=True,
            secret=True,
        ),
    ] = DEFAULT_DATABASE_URL
    pool_min: Annotated[int, setting("DB_POOL_MIN", "asyncpg pool: connections kept open per process", ge=0)] = 1
    pool_max: Annotated[int, setting("DB_POOL_MAX", "asyncpg pool: most connections per process", ge=1)] = 10
    # backend/platform/db/replicas.py, docs/replicas.md
    replica_urls: Annotated[
        tuple[_DSN, ...],
        setting(
            "DATABASE_REPLICA_URLS",
            "streaming replicas of `DATABASE_URL` (comma-separated DSNs) that serve the reads which may be "
            "stale (lists, details, stats, exports) once they have replayed the reader's last write; unset: "
            "every read on the primary",
            default_text="none",
            secret=True,
            expect="comma-separated postgresql:// DSNs",
        ),
    ] = ()
    replica_max_lag_ms: Annotated[
        int,
        setting(
            "REPLICA_MAX_LAG_MS",
            "a replica further behind the primary than this is skipped (its reads go to the primary)",
            ge=1,
        ),
    ] = 1000
    replica_lsn_cache_ms: Annotated[
        int,
        setting("REPLICA_LSN_CACHE_MS", "how long an api process reuses a replica's replay position and lag", ge=0),
    ] = 20


class RedisSettings(msgspec.Struct, frozen=True):
    url: Annotated[
        str,
        setting("REDIS_URL", "Redis URL (the default is `make dev`'s embedded server)", production=True, secret=True),
    ] = DEFAULT_REDIS_URL
    pool_max: Annotated[
        int,
        setting("REDIS_POOL_MAX", "most Redis connections per process (per node on a cluster, opened on demand)", ge=1),
    ] = 500
    cluster: Annotated[
        bool,
        setting(
            "REDIS_CLUSTER",
            "`REDIS_URL` names one or more nodes of a Redis Cluster (Redis 7; several seeds as "
            "`redis://a:7000,b:7001/0` let a process start while one is down): every Redis use goes "
            "through the cluster client, realtime fan-out uses sharded pub/sub and keys carry hash tags "
            "(docs/redis-cluster.md)",
        ),
    ] = False
    cache_ttl_seconds: Annotated[
        int,
        setting(
            "CACHE_TTL_SECONDS",
            "lifetime of cached reads (application lists/details); `0` turns the cache off",
            ge=0,
        ),
    ] = 120


class AuthSettings(msgspec.Struct, frozen=True):
    # kid -> secret; the active kid signs, every listed kid verifies (key rotation).
    jwt_keys: Annotated[
        dict[str, str],
        setting(
            "JWT_KEYS",
            "token signing keys; every kid verifies (secrets of 32+ random characters in production)",
            default_text="dev-only key",
            production=True,
            secret=True,
            expect="kid1:secret1,kid2:secret2",
        ),
    ] = msgspec.field(default_factory=lambda: {"dev": DEV_JWT_KEY})
    jwt_active_kid: Annotated[
        str, setting("JWT_ACTIVE_KID", "kid that signs new tokens", default_text="first kid of `JWT_KEYS`")
    ] = "dev"
    issuer: str = "career-copilot"
    access_ttl_seconds: Annotated[int, setting("ACCESS_TOKEN_TTL_SECONDS", "access token lifetime", ge=10)] = 900
    refresh_ttl_seconds: Annotated[
        int, setting("REFRESH_TOKEN_TTL_SECONDS", "session / refresh token lifetime (30 days)", ge=60)
    ] = 30 * 86400
    email_token_ttl_seconds: int = 2 * 86400
    # backend/features/accounts/service.py, docs/security.md "Passwords and brute force"
    login_max_failures_per_account: Annotated[
        int,
        setting(
            "LOGIN_MAX_FAILURES_PER_ACCOUNT",
            "wrong passwords per account and client (IPv4 address or IPv6 /64) per window before that client gets 429",
            ge=1,
        ),
    ] = 5
    login_account_slowdown_failures: Annotated[
        int,
        setting(
            "LOGIN_ACCOUNT_SLOWDOWN_FAILURES",
            "wrong passwords per account per window, from every client together, after which only clients that "
            "signed in to the account before may try (others get 429 until the window ends or a password reset)",
            ge=1,
        ),
    ] = 50
    login_max_failures_per_ip: Annotated[
        int, setting("LOGIN_MAX_FAILURES_PER_IP", "failed logins per client address per window", ge=1)
    ] = 30
    login_window_seconds: Annotated[int, setting("LOGIN_WINDOW_SECONDS", "brute-force window", ge=1)] = 900
    known_client_days: Annotated[
        int,
        setting("LOGIN_KNOWN_CLIENT_DAYS", "how long a client that signed in to an account stays known to it", ge=1),
    ] = 90
    register_max_per_ip: Annotated[
        int,
        setting(
            "REGISTER_MAX_PER_IP", "sign-ups per client address (IPv4, IPv6 /64) per hour, checked before hashing", ge=1
        ),
    ] = 20
    reset_confirm_max_per_ip: Annotated[
        int,
        setting(
            "RESET_CONFIRM_MAX_PER_IP",
            "password-reset confirmations per client address per `LOGIN_WINDOW_SECONDS`, checked before the token",
            ge=1,
        ),
    ] = 20
    password_hash_concurrency: Annotated[
        int,
        setting(
            "PASSWORD_HASH_CONCURRENCY",
            "argon2 hashes or checks running at once per api process (19 MiB each); `0`: the number of CPUs",
            ge=0,
        ),
    ] = 0
    password_hash_queue: Annotated[
        int,
        setting(
            "PASSWORD_HASH_QUEUE",
            "argon2 jobs waiting per api process; past it a request is refused at once (429, `Retry-After: 1`)",
            ge=0,
        ),
    ] = 32
    # backend/features/accounts/session_memo.py
    session_memo_seconds: Annotated[
        int,
        setting(
            "SESSION_MEMO_SECONDS",
            "longest an api process relies on a session it checked, while Redis says nothing changed; "
            "`0`: every request asks Postgres",
            ge=0,
        ),
    ] = 10
    # backend/platform/http/verified.py, docs/security.md "Budgets for costly work"
    require_verified_email: Annotated[
        bool,
        setting(
            "REQUIRE_VERIFIED_EMAIL",
            "uploads and AI work (cover letters, analyses) answer 403 `email-not-verified` until the user "
            "confirmed their address",
            default_text="`true` in production, else `false`",
        ),
    ] = False


class WorkerSettings(msgspec.Struct, frozen=True):
    queue_name: Annotated[
        str, setting("TASK_QUEUE", "Redis stream of the task queue (dead letters in `<queue>:dead`)")
    ] = "career-copilot:tasks"
    consumer_group: Annotated[str, setting("TASK_CONSUMER_GROUP", "consumer group of the task stream")] = "workers"
    stream_maxlen: Annotated[
        int,
        setting(
            "TASK_STREAM_MAXLEN",
            "most unfinished tasks (undelivered or running) the task stream holds; a send past it is refused "
            "and outbox rows wait in Postgres until workers catch up (acknowledged tasks leave the stream at once)",
            ge=1,
        ),
    ] = 100_000
    stream_partitions: Annotated[
        int,
        setting(
            "TASK_STREAM_PARTITIONS",
            "task streams the queue is split into (each with its own keys, spread over a cluster's slots); "
            "a task's partition comes from its key, so one user's tasks keep their order",
            ge=1,
            le=64,
        ),
    ] = 1
    idle_reclaim_ms: Annotated[
        int, setting("TASK_IDLE_RECLAIM_MS", "a message unacked this long is reclaimed by another worker", ge=100)
    ] = 30_000
    max_retries: Annotated[
        int, setting("TASK_MAX_RETRIES", "retries (with backoff) of a failing task before it is dead-lettered", ge=0)
    ] = 3
    # tasks/receiver.py (lanes), backend/features/resumes/jobs.py
    parser_children: (
        Annotated[
            int,
            setting(
                "PARSER_CHILDREN",
                "resume parser children one worker process runs at once, and upload inspections one api "
                "process runs at once; parse tasks beyond it wait in their own lane (up to 100 per process), "
                "not in the slots email and AI tasks run in (`auto`: one per two cores, at least 1)",
                default_text="`auto`",
                none="auto",
                ge=1,
            ),
        ]
        | None
    ) = None

    def parser_lane(self) -> int:
        """How many parse tasks (one child each) a worker process runs at once."""
        if self.parser_children is not None:
            return self.parser_children
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            cores = os.cpu_count() or 1
        return max(1, cores // 2)


class RealtimeSettings(msgspec.Struct, frozen=True):
    history_max_events: Annotated[
        int, setting("REALTIME_HISTORY_MAX_EVENTS", "events kept per user for replay on reconnect (approximate)", ge=1)
    ] = 1000
    history_ttl_seconds: Annotated[
        int,
        setting("REALTIME_HISTORY_TTL_SECONDS", "events older than this are trimmed; an idle history expires", ge=1),
    ] = 3600
    ticket_ttl_seconds: int = 30
    socket_queue_size: Annotated[
        int,
        setting(
            "REALTIME_SOCKET_QUEUE_SIZE", "frames buffered per socket before it is closed as too slow (4008)", ge=1
        ),
    ] = 1024
    send_timeout_seconds: Annotated[
        float,
        setting("REALTIME_SEND_TIMEOUT_SECONDS", "a send blocked this long closes the socket as too slow", ge=0.1),
    ] = 10.0
    ping_interval_seconds: Annotated[
        float, setting("REALTIME_PING_INTERVAL_SECONDS", "app-level ping to idle sockets", ge=0.1)
    ] = 25.0
    max_sockets_per_user: Annotated[
        int,
        setting(
            "REALTIME_MAX_SOCKETS_PER_USER",
            "open sockets per user over all api processes; one more closes the oldest (4003)",
            ge=1,
        ),
    ] = 20
    max_tickets_per_user: Annotated[
        int,
        setting("REALTIME_MAX_TICKETS_PER_USER", "unspent tickets per user; one more voids the oldest", ge=1),
    ] = 10


class StorageSettings(msgspec.Struct, frozen=True):
    """Object storage (resume files): S3 when `s3_bucket` is set, else files under `local_dir`."""

    local_dir: str = ".data/objects"  # DATA_DIR/objects
    s3_bucket: Annotated[
        str, setting("S3_BUCKET", "set: files go to this S3 bucket; unset: encrypted files under `DATA_DIR/objects`")
    ] = ""
    s3_prefix: Annotated[
        str,
        setting(
            "S3_PREFIX",
            "key prefix inside the bucket",
            pattern=r"^/*([A-Za-z0-9._=-]+(/[A-Za-z0-9._=-]+)*)?/*$",
            expect="letters, digits, '._=-' and '/'",
        ),
    ] = ""  # "" or "some/prefix/" (always ends with "/")
    s3_region: Annotated[str, setting("S3_REGION", "region for signing")] = "us-east-1"
    s3_endpoint_url: (
        Annotated[
            str,
            setting(
                "S3_ENDPOINT_URL",
                "an S3-compatible server (MinIO, moto), e.g. `http://minio:9000`",
                default_text="AWS",
                pattern=HTTP_URL,
                expect="an http(s) URL",
            ),
        ]
        | None
    ) = None
    s3_access_key_id: (
        Annotated[
            str,
            setting("S3_ACCESS_KEY_ID", "S3 credentials: both or neither", default_text="the AWS credential chain"),
        ]
        | None
    ) = None
    s3_secret_access_key: (
        Annotated[
            str,
            setting(
                "S3_SECRET_ACCESS_KEY",
                "S3 credentials: both or neither",
                default_text="the AWS credential chain",
                secret=True,
            ),
        ]
        | None
    ) = None
    s3_sse: (
        Annotated[
            str,
            setting(
                "S3_SSE",
                "server-side encryption on top of ours (the `ServerSideEncryption` header)",
                default_text="`none`",
                choices=("AES256", "aws:kms"),
                none="none",
            ),
        ]
        | None
    ) = None
    s3_sse_kms_key_id: Annotated[str, setting("S3_SSE_KMS_KEY_ID", "KMS key of `S3_SSE=aws:kms`")] | None = None
    s3_addressing_style: Annotated[
        str,
        setting(
            "S3_ADDRESSING_STYLE",
            "bucket in the host name or in the path",
            default_text="`path` with `S3_ENDPOINT_URL`, else `virtual`",
            choices=("path", "virtual"),
        ),
    ] = "virtual"
    s3_connect_timeout_seconds: Annotated[
        float, setting("S3_CONNECT_TIMEOUT_SECONDS", "S3 client: connect timeout", ge=0.1)
    ] = 5.0
    s3_read_timeout_seconds: Annotated[float, setting("S3_READ_TIMEOUT_SECONDS", "S3 client: read timeout", ge=0.1)] = (
        30.0
    )
    s3_max_attempts: Annotated[
        int, setting("S3_MAX_ATTEMPTS", "S3 client: tries of a request (botocore standard retries)", ge=1)
    ] = 3
    s3_max_pool_connections: Annotated[int, setting("S3_MAX_POOL_CONNECTIONS", "S3 client: most connections", ge=1)] = (
        20
    )

    # backend/features/resumes/service.py, docs/security.md "Budgets for costly work"
    uploads_per_hour: Annotated[
        int,
        setting("UPLOADS_PER_HOUR", "resume uploads (new resumes and versions) per user per hour (429 above)", ge=1),
    ] = 20
    document_exports_per_hour: Annotated[
        int,
        setting(
            "DOCUMENT_EXPORTS_PER_HOUR",
            "resumes and cover letters one user may export (as PDF, Word, JSON or text) per hour (429 above)",
            ge=1,
        ),
    ] = 120
    max_versions_per_resume: Annotated[
        int, setting("RESUME_MAX_VERSIONS", "versions one resume may hold (409 `too-many-versions` above)", ge=1)
    ] = 50
    quota_bytes_per_user: Annotated[
        int,
        setting(
            "STORAGE_QUOTA_BYTES",
            "bytes of uploaded files one user may keep (413 `storage-quota-exceeded` above)",
            ge=0,
        ),
    ] = 100 * 1024 * 1024

    s3_copy_bucket: Annotated[
        str,
        setting(
            "S3_COPY_BUCKET",
            "a second bucket (another region) that `manage copy-objects` keeps a verified copy of every stored file in",
        ),
    ] = ""
    s3_copy_region: Annotated[
        str, setting("S3_COPY_REGION", "region of `S3_COPY_BUCKET`", default_text="`S3_REGION`")
    ] = ""
    s3_copy_endpoint_url: (
        Annotated[
            str,
            setting(
                "S3_COPY_ENDPOINT_URL",
                "the S3-compatible server of `S3_COPY_BUCKET`",
                default_text="`S3_ENDPOINT_URL`",
                pattern=HTTP_URL,
                expect="an http(s) URL",
            ),
        ]
        | None
    ) = None

    @property
    def uses_s3(self) -> bool:
        return bool(self.s3_bucket)

    def copy_target(self) -> "StorageSettings | None":
        """These settings pointed at the copy bucket (same credentials), or None when there is none."""
        if not self.s3_copy_bucket:
            return None
        return msgspec.structs.replace(
            self,
            s3_bucket=self.s3_copy_bucket,
            s3_region=self.s3_copy_region or self.s3_region,
            s3_endpoint_url=self.s3_copy_endpoint_url or self.s3_endpoint_url,
        )


class EncryptionSettings(msgspec.Struct, frozen=True):
    """Master keys of the envelope encryption (backend/platform/crypto/envelope.py): kid -> 32 raw bytes."""

    keys: Annotated[
        dict[_KID, _KEY],
        setting(
            "ENCRYPTION_KEYS",
            "master keys of the envelope encryption of files and PII columns; every kid decrypts",
            default_text="dev key (refused in production)",
            production=True,
            secret=True,
            expect="kid1:<base64 of 32 bytes>,kid2:…",
        ),
    ] = msgspec.field(default_factory=lambda: {"dev": DEV_ENCRYPTION_KEY})
    active_kid: Annotated[
        str,
        setting(
            "ENCRYPTION_ACTIVE_KID",
            "kid that wraps new data keys (rotation: see docs/storage.md)",
            default_text="first kid of `ENCRYPTION_KEYS`",
        ),
    ] = "dev"


class AISettings(msgspec.Struct, frozen=True):
    """The model: an OpenAI-compatible endpoint when `OPENAI_BASE_URL` or `OPENAI_API_KEY` is set, else builtin."""

    base_url: (
        Annotated[
            str,
            setting(
                "OPENAI_BASE_URL",
                "an OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, LM Studio); with neither this nor "
                "`OPENAI_API_KEY`, the builtin offline provider",
                pattern=HTTP_URL,
                expect="an http(s) URL",
            ),
        ]
        | None
    ) = None
    api_key: Annotated[str, setting("OPENAI_API_KEY", "key of the OpenAI-compatible endpoint", secret=True)] | None = (
        None
    )
    model: Annotated[str, setting("OPENAI_MODEL", "model name")] = "gpt-4o-mini"
    timeout_seconds: Annotated[
        float,
        setting("OPENAI_TIMEOUT_SECONDS", "per request, and the longest silence inside a stream", ge=0.1),
    ] = 30.0
    max_retries: Annotated[
        int, setting("OPENAI_MAX_RETRIES", "the client's retries of 408/409/429/5xx and connection errors", ge=0)
    ] = 2
    max_output_tokens: Annotated[int, setting("AI_MAX_OUTPUT_TOKENS", "answer cap", ge=1)] = 900
    builtin_token_delay_ms: Annotated[
        float, setting("AI_BUILTIN_TOKEN_DELAY_MS", "pacing of the offline provider's stream (demos, tests)", ge=0)
    ] = 0.0
    requests_per_minute: Annotated[
        int, setting("AI_REQUESTS_PER_MINUTE", "per-user requests to AI endpoints (429 + `Retry-After`)", ge=0)
    ] = 10
    requests_per_day: Annotated[int, setting("AI_REQUESTS_PER_DAY", "per-user requests to AI endpoints", ge=0)] = 200
    daily_token_budget: Annotated[
        int, setting("AI_DAILY_TOKEN_BUDGET", "per-user model tokens a day (prompt + completion)", ge=0)
    ] = 200_000
    global_daily_token_budget: Annotated[
        int,
        setting(
            "AI_GLOBAL_DAILY_TOKEN_BUDGET",
            "model tokens all users together may spend a UTC day; past it new AI work answers 503 with "
            "`Retry-After` until midnight UTC; `0`: no cap",
            ge=0,
        ),
    ] = 5_000_000

    @property
    def configured(self) -> bool:
        return bool(self.base_url or self.api_key)


class MailSettings(msgspec.Struct, frozen=True):
    """Outgoing email: the SMTP server the worker sends through. The default is the local
    mail catcher that `make dev` runs (backend/devtools/mail/catcher.py); production sets SMTP_HOST."""

    host: Annotated[
        str,
        setting(
            "SMTP_HOST", "the SMTP server emails go through (default: the `make dev` mail catcher)", production=True
        ),
    ] = "127.0.0.1"
    port: Annotated[
        int,
        setting("SMTP_PORT", "its port", default_text="`1025` (`465` with `SMTP_TLS`)", ge=1, le=65535),
    ] = 1025
    username: Annotated[str, setting("SMTP_USERNAME", "SMTP auth: both or neither")] | None = None
    password: (
        Annotated[str, setting("SMTP_PASSWORD", "SMTP auth: both or neither", secret=True, strip=False)] | None
    ) = None
    starttls: (
        Annotated[
            bool,
            setting(
                "SMTP_STARTTLS",
                "STARTTLS `true`: required, `false`: never, `auto`: when the server offers it",
                default_text="`auto`",
                none="auto",
            ),
        ]
        | None
    ) = None
    tls: Annotated[bool, setting("SMTP_TLS", "implicit TLS from the first byte (SMTPS, usually port 465)")] = False
    validate_certs: Annotated[bool, setting("SMTP_VALIDATE_CERTS", "check the server's certificate")] = True
    mail_from: Annotated[
        str,
        setting(
            "MAIL_FROM",
            "sender; its domain names Message-IDs",
            alias="SMTP_FROM",
            pattern="@",
            expect="a sender with an email address",
        ),
    ] = "Career Copilot <no-reply@career-copilot.local>"
    timeout_seconds: Annotated[float, setting("SMTP_TIMEOUT_SECONDS", "per SMTP step", ge=0.1)] = 20.0
    max_attempts: Annotated[
        int, setting("MAIL_MAX_ATTEMPTS", "sends of one email (transient failures) before it is marked failed", ge=1)
    ] = 10
    retry_base_seconds: Annotated[
        float,
        setting("MAIL_RETRY_BASE_SECONDS", "first retry delay; failure n waits base * 2^(n-1), at most 15 min", ge=0),
    ] = 10.0


class OutboundSettings(msgspec.Struct, frozen=True):
    """Requests the server makes to URLs users supply (backend/platform/outbound)."""

    job_fetch_allow_private: Annotated[
        bool,
        setting(
            "JOB_FETCH_ALLOW_PRIVATE",
            "let imported job URLs reach loopback and private addresses (development and tests only; "
            "refused with APP_ENV=production)",
        ),
    ] = False
    job_fetch_max_bytes: Annotated[
        int,
        setting(
            "JOB_FETCH_MAX_BYTES",
            "largest job posting page fetched or sent in an import's `html`, in bytes (422 or 413 above)",
            ge=10_000,
        ),
    ] = 2_000_000
    job_fetch_timeout_seconds: Annotated[
        float,
        setting("JOB_FETCH_TIMEOUT_SECONDS", "longest fetch of a job posting, redirects included", ge=0.5, le=60),
    ] = 10.0
    job_imports_per_hour: Annotated[
        int,
        setting(
            "JOB_IMPORTS_PER_HOUR",
            "job postings one user may import from a URL per hour (each a fetch and a stored page; 429 above)",
            ge=1,
        ),
    ] = 60


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
    outbound: OutboundSettings = msgspec.field(default_factory=OutboundSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from `env` (default `os.environ`); raise SettingsError naming every bad variable."""
        draft = _Draft.read(os.environ if env is None else env, _SECTIONS)
        draft.apply(_RULES)
        return cls(**{name: section(**draft.values[name]) for name, section in _SECTIONS.items()})


def database_from_env(env: Mapping[str, str] | None = None) -> DatabaseSettings:
    """Only the database part, for the migration command: it needs no other secret."""
    draft = _Draft.read(os.environ if env is None else env, {"app": AppSettings, "db": DatabaseSettings}, {"env"})
    draft.apply((_required_in_production, _pool_bounds))
    return DatabaseSettings(**draft.values["db"])


# --- the declarations, read back ---------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A declared setting: where it lives, how msgspec converts it, how the environment spells it."""

    section: str
    name: str
    type: Any  # the field's annotation, constraints included: what msgspec.convert gets
    base: Any  # the value type without Annotated or None
    meta: Meta
    env: Env


_SECTIONS: dict[str, Any] = {name: typing.get_type_hints(Settings)[name] for name in Settings.__struct_fields__}


@functools.cache
def fields() -> tuple[Field, ...]:
    """Every setting read from the environment, section by section in declaration order."""
    found: list[Field] = []
    for section, cls in _SECTIONS.items():
        hints = typing.get_type_hints(cls, include_extras=True)
        for name in cls.__struct_fields__:
            hint = hints[name]
            annotated = next((t for t in (hint, *_members(hint)) if typing.get_origin(t) is Annotated), None)
            if annotated is None:
                continue
            base, *extras = typing.get_args(annotated)
            for meta in (m for m in extras if isinstance(m, Meta) and isinstance((m.extra or {}).get("env"), Env)):
                base = next((t for t in (base, *_members(base)) if t is not type(None) and not _members(t)), base)
                found.append(Field(section, name, hint, base, meta, (meta.extra or {})["env"]))
    return tuple(found)


def _members(hint: Any) -> tuple[Any, ...]:
    return typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else ()


def _default(section: str, name: str) -> Any:
    info = next(f for f in msgspec.structs.fields(_SECTIONS[section]) if f.name == name)
    return info.default_factory() if info.default is msgspec.NODEFAULT else info.default


# --- conversion ---------------------------------------------------------------------------------------


class _Bad(Exception):
    """One variable's problem (the message names it)."""


_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _raw(env: Mapping[str, str], spec: Env) -> tuple[str, str] | None:
    """(variable, value) of the first of the field's names that is set, or None."""
    for name in (spec.name, spec.alias):
        if name is not None and (value := env.get(name)) is not None:
            value = value.strip() if spec.strip else value
            if value:
                return name, value
    return None


def _convert(field: Field, name: str, raw: str) -> Any:
    spec, base = field.env, field.base
    value: Any = raw
    if spec.none is not None and raw.lower() == spec.none:
        return None
    if spec.choices:
        value = next((choice for choice in spec.choices if choice.lower() == raw.lower()), raw)
    elif base is bool:
        value = _BOOLEANS.get(raw.lower(), raw)
    elif typing.get_origin(base) is tuple:
        value = [item.strip() for item in raw.split(",") if item.strip()]
    elif typing.get_origin(base) is dict:
        return _convert_map(field, name, raw)
    try:
        return msgspec.convert(value, field.type, strict=False)
    except msgspec.ValidationError:
        got = "" if spec.secret else f", got {raw!r}"
        raise _Bad(f"{name} must be {_expectation(field)}{got}") from None


def _convert_map(field: Field, name: str, raw: str) -> dict[str, Any]:
    """`kid1:value1,kid2:value2`: unique keys of the declared key type; bytes values are base64
    (standard or URL-safe alphabet, padding optional). A value never goes into a message."""
    key_type, value_type = typing.get_args(field.base)
    shape = f"'{field.env.expect or 'kid1:value1,kid2:value2'}' with unique kids"
    result: dict[str, Any] = {}
    for item in raw.split(","):
        key, sep, value = (part.strip() for part in item.partition(":"))
        if not sep or not key or not value or key in result or not _fits(key, key_type):
            raise _Bad(f"{name} must look like {shape}")
        if _plain(value_type) is bytes:
            encoded = value.replace("-", "+").replace("_", "/")
            try:
                decoded = b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
            except (binascii.Error, ValueError):
                raise _Bad(f"{name} key {key!r} is not valid base64") from None
            if not _fits(decoded, value_type):
                raise _Bad(f"{name} key {key!r} must decode to {_length(value_type)} bytes, got {len(decoded)}")
            result[key] = decoded
        else:
            result[key] = msgspec.convert(value, value_type, strict=False)
    return result


def _plain(hint: Any) -> Any:
    return typing.get_args(hint)[0] if typing.get_origin(hint) is Annotated else hint


def _fits(value: Any, hint: Any) -> bool:
    try:
        msgspec.convert(value, hint)
    except msgspec.ValidationError:
        return False
    return True


def _length(hint: Any) -> str:
    meta = next((m for m in typing.get_args(hint)[1:] if isinstance(m, Meta)), Meta())
    return f"{meta.min_length}" if meta.min_length == meta.max_length else f"{meta.min_length}-{meta.max_length}"


def _expectation(field: Field) -> str:
    """What a valid value looks like, in words: `an integer of at least 1`, `one of path, virtual`…"""
    spec, meta = field.env, field.meta
    if spec.choices:
        words = (*((spec.none,) if spec.none else ()), *spec.choices)
        return "one of " + ", ".join(words)
    if field.base is bool:
        return "a boolean (true/false" + (f"/{spec.none})" if spec.none else ")")
    if spec.expect:
        return spec.expect
    kind = {int: "an integer", float: "a number"}.get(field.base, "a string")
    if meta.ge is not None and meta.le is not None:
        return f"{kind} between {meta.ge:g} and {meta.le:g}"
    if meta.ge is not None:
        return f"{kind} of at least {meta.ge:g}"
    return kind


# --- the rules that span fields -----------------------------------------------------------------------


class _Draft:
    """The converted values of what the environment sets (others keep their declared default) and the
    problems found so far."""

    def __init__(self, env: Mapping[str, str], scope: tuple[Field, ...]) -> None:
        self.env, self.scope, self.problems = env, scope, list[str]()
        self.values: dict[str, dict[str, Any]] = {field.section: {} for field in scope}

    @classmethod
    def read(cls, env: Mapping[str, str], sections: Mapping[str, Any], only: set[str] | None = None) -> "_Draft":
        """Convert every declared field of `sections` (of the first one, only the fields in `only`)."""
        first = next(iter(sections))
        draft = cls(
            env,
            tuple(
                f for f in fields() if f.section in sections and (only is None or f.section != first or f.name in only)
            ),
        )
        for field in draft.scope:
            if (found := _raw(env, field.env)) is not None:
                try:
                    draft.set(field.section, field.name, _convert(field, *found))
                except _Bad as bad:
                    draft.refuse(str(bad))
        draft.check()
        return draft

    def check(self) -> None:
        if self.problems:
            raise SettingsError("; ".join(self.problems))

    def apply(self, rules: tuple[Callable[["_Draft"], None], ...]) -> None:
        for rule in rules:
            rule(self)
        self.check()

    def given(self, section: str, name: str) -> bool:
        return name in self.values[section]

    def get(self, section: str, name: str) -> Any:
        return self.values[section][name] if self.given(section, name) else _default(section, name)

    def set(self, section: str, name: str, value: Any) -> None:
        self.values[section][name] = value

    def refuse(self, message: str) -> None:
        self.problems.append(message)

    @property
    def production(self) -> bool:
        return bool(self.get("app", "env") == "production")


def _jwt_keys(d: _Draft) -> None:
    """`JWT_SECRET` is a single key `k1` when `JWT_KEYS` is unset; the active kid defaults to the first."""
    if d.given("auth", "jwt_keys"):
        _active_kid(d, "auth", "jwt_keys", "jwt_active_kid")
    else:
        d.values["auth"].pop("jwt_active_kid", None)
        if not (secret := d.env.get("JWT_SECRET", "").strip()):
            return
        d.set("auth", "jwt_keys", {"k1": secret})
        d.set("auth", "jwt_active_kid", "k1")
    for kid, secret in d.get("auth", "jwt_keys").items() if d.production else ():
        if len(secret) < 32 or secret == DEV_JWT_KEY or _looks_like_a_placeholder(secret):
            d.refuse(
                f"JWT_KEYS/JWT_SECRET key {kid!r} must be a random secret of at least 32 characters "
                "(e.g. openssl rand -hex 32)"
            )


def _encryption_keys(d: _Draft) -> None:
    if not d.given("encryption", "keys"):
        d.values["encryption"].pop("active_kid", None)
        return
    _active_kid(d, "encryption", "keys", "active_kid")
    for kid, key in d.get("encryption", "keys").items() if d.production else ():
        if key == DEV_ENCRYPTION_KEY:
            d.refuse(f"ENCRYPTION_KEYS key {kid!r} is the public development key")
        elif len(set(key)) < 8:  # 32 random bytes hold ~30 distinct values
            d.refuse(f"ENCRYPTION_KEYS key {kid!r} is not random (openssl rand -base64 32)")


def _active_kid(d: _Draft, section: str, keys: str, active: str) -> None:
    kids = d.get(section, keys)
    kid = d.get(section, active) if d.given(section, active) else next(iter(kids))
    if kid not in kids:
        spec = {f.name: f.env.name for f in fields() if f.section == section}
        d.refuse(f"{spec[active]} {kid!r} is not one of the kids in {spec[keys]}")
    d.set(section, active, kid)


def _looks_like_a_placeholder(secret: str) -> bool:
    """A value someone typed rather than generated: 'CHANGE-ME…', or few distinct characters
    ('aaaa…', 'abcabc…'). 32 random hex digits hold ~15 distinct ones."""
    return "changeme" in secret.lower().replace("-", "").replace("_", "") or len(set(secret)) < 10


def _required_in_production(d: _Draft) -> None:
    if not d.production:
        return
    missing = [f.env.name for f in d.scope if f.env.production and not d.given(f.section, f.name)]
    if missing:
        d.refuse(f"{', '.join(missing)} must be set when APP_ENV=production")


def _public_url(d: _Draft) -> None:
    """Where users reach the api (emailed links, allowed origins): https in production unless it is a
    loopback address (a compose stack on a laptop). The default origins are it and its localhost twin."""
    if d.given("app", "public_url"):
        url = d.get("app", "public_url").rstrip("/")
        if d.production and not url.startswith("https://") and not _LOOPBACK_URL.fullmatch(url):
            d.refuse(f"PUBLIC_URL must be an https URL when APP_ENV=production, got {url!r}")
    else:
        url = f"http://127.0.0.1:{d.get('app', 'port')}"
    d.set("app", "public_url", url)
    if not d.given("app", "allowed_origins"):
        d.set("app", "allowed_origins", (url, url.replace("127.0.0.1", "localhost")))
    if not d.given("app", "log_json"):
        d.set("app", "log_json", d.production)
    if not d.given("auth", "require_verified_email"):
        d.set("auth", "require_verified_email", d.production)


def _pool_bounds(d: _Draft) -> None:
    low, high = d.get("db", "pool_min"), d.get("db", "pool_max")
    if low > high:
        d.refuse(f"DB_POOL_MIN ({low}) must not exceed DB_POOL_MAX ({high})")


def _storage(d: _Draft) -> None:
    d.set("storage", "local_dir", os.path.join(d.get("app", "data_dir"), "objects"))
    prefix = d.get("storage", "s3_prefix").strip("/")
    d.set("storage", "s3_prefix", f"{prefix}/" if prefix else "")
    if not d.given("storage", "s3_addressing_style") and d.given("storage", "s3_endpoint_url"):
        d.set("storage", "s3_addressing_style", "path")
    _both_or_neither(d, "storage", "s3_access_key_id", "s3_secret_access_key", "S3 credential")


def _mail(d: _Draft) -> None:
    if d.get("mail", "tls"):
        if d.get("mail", "starttls"):
            d.refuse("SMTP_TLS and SMTP_STARTTLS exclude each other (implicit TLS or an upgrade, not both)")
        d.set("mail", "starttls", False)
        if not d.given("mail", "port"):
            d.set("mail", "port", 465)
    _both_or_neither(d, "mail", "username", "password", "SMTP credential")


def _outbound(d: _Draft) -> None:
    if d.production and d.get("outbound", "job_fetch_allow_private"):
        d.refuse("JOB_FETCH_ALLOW_PRIVATE must not be true when APP_ENV=production (it opens the server's network)")


def _both_or_neither(d: _Draft, section: str, one: str, other: str, what: str) -> None:
    if d.given(section, one) != d.given(section, other):
        missing = other if d.given(section, one) else one
        variable = next(f.env.name for f in fields() if (f.section, f.name) == (section, missing))
        d.refuse(f"{variable} must be set together with the other {what}")


def redis_seeds(url: str) -> tuple[str, list[tuple[str, int]]]:
    """`url` naming one node or several (`redis://[user:pass@]a:7000,b:7001/0`): the URL of the first
    one (scheme, credentials and options kept) and the (host, port) of the others.

    Raises ValueError when a node has no port: a cluster's nodes are told apart by it."""
    parts = urlsplit(url)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    nodes: list[tuple[str, int]] = []
    for item in hosts.split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"every node of a Redis URL needs host:port, got {item.strip()!r}")
        nodes.append((host.strip("[]"), int(port)))
    first = f"{userinfo}@{hosts.split(',')[0].strip()}" if userinfo else hosts.split(",")[0].strip()
    return urlunsplit(parts._replace(netloc=first)), nodes[1:]


def _redis_seeds(d: _Draft) -> None:
    """Several nodes in `REDIS_URL` are seeds of a cluster; one Redis has one address."""
    url = d.get("redis", "url")
    if "," not in url.partition("?")[0]:
        return
    if not d.get("redis", "cluster"):
        d.refuse("REDIS_URL names several nodes, which only a Redis Cluster has: set REDIS_CLUSTER=true or name one")
        return
    try:
        redis_seeds(url)
    except ValueError as exc:
        d.refuse(f"REDIS_URL: {exc}")


_RULES = (
    _jwt_keys,
    _encryption_keys,
    _required_in_production,
    _public_url,
    _pool_bounds,
    _storage,
    _mail,
    _outbound,
    _redis_seeds,
)


# --- variables read elsewhere, for the README ------------------------------------------------------


@dataclass(frozen=True)
class Variable:
    """A variable that is not a field: its README row sits with `group` (a section, or a process kind)."""

    name: str
    default: str
    doc: str
    group: str


READ_ELSEWHERE = (
    Variable("JWT_SECRET", "—", "shorthand for a single key `k1` (`JWT_KEYS` wins)", "auth"),
    Variable(
        "TASK_SCHEDULE_OVERRIDES", "—", "`schedule_id=<cron or seconds>;…` (tests, operations; the scheduler)", "worker"
    ),
    Variable(
        "FORWARDED_ALLOW_IPS",
        "`127.0.0.1`",
        "uvicorn (the image runs it with `--proxy-headers`): addresses of the proxies whose `X-Forwarded-For` is "
        "trusted as the client address (per-IP login limits, logs); the Kubernetes config sets the cluster range",
        "uvicorn",
    ),
)


def default_of(field: Field) -> Any:
    """The declared default of a field."""
    return _default(field.section, field.name)
