"""Structured logs (structlog): JSON in production, readable in a terminal otherwise.

Context (request id, hashed user id, task id) travels in contextvars, so every line of a request or
task carries it. PII never goes into logs: log ids, not emails or resume text; a user appears only as
`user_hash(user_id)`, which an operator can compute from the id to find that user's lines.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import uuid

import structlog

_USER_HASH_PREFIX = b"career-copilot/user/"


def user_hash(user_id: uuid.UUID | str) -> str:
    """The user's pseudonym in logs: 16 hex digits of SHA-256 over a fixed prefix and the id."""
    return hashlib.sha256(_USER_HASH_PREFIX + str(user_id).encode()).hexdigest()[:16]


def _shared() -> list[structlog.types.Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.add_logger_name,
    ]


def formatter(*, json: bool) -> logging.Formatter:
    """What renders every line, structlog's and the standard library's: one JSON object a line, or
    a readable one for a terminal."""
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )


def configure_logging(*, json: bool, level: str = "INFO") -> None:
    """Route structlog and the standard library through one renderer (idempotent)."""
    shared = _shared()
    structlog.configure(
        # filter_by_level first: a disabled level costs one check, not the whole chain (timestamps...)
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter(json=json))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access",):  # the request middleware writes one line per request instead
        logging.getLogger(noisy).handlers = []
        logging.getLogger(noisy).propagate = False
    # trafilatura logs an ERROR for every page it finds no text in ("empty HTML tree"): for a job
    # import that is an answer (a fallback or a 422), not a fault of ours
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
