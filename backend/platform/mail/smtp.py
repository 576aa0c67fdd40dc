"""Sending one message through the configured SMTP server (aiosmtplib), with failures sorted into
transient (retry later: the server is down, busy, or answered 4xx) and permanent (5xx about this
message or recipient: retrying cannot help).

Errors never carry the recipient's address or the message: only the exception type and SMTP code.
"""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from backend.settings import MailSettings


class MailError(Exception):
    """Sending failed; `str()` is safe to log and store (no address, no content)."""

    permanent = False


class TransientMailError(MailError):
    """Try again later."""


class PermanentMailError(MailError):
    """This message cannot be delivered through this server."""

    permanent = True


def _describe(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    return f"{type(exc).__name__}" + (f" (SMTP {code})" if code else "")


def classify(exc: BaseException) -> MailError:
    """The MailError that `exc`, raised by aiosmtplib or the network, stands for."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [getattr(r, "code", 0) for r in exc.recipients]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        kind: type[MailError] = PermanentMailError if permanent else TransientMailError
        return kind(f"{type(exc).__name__} (SMTP {', '.join(str(c) for c in codes)})")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        # Our credentials, not this message: keep it pending until an operator fixes them.
        return TransientMailError(_describe(exc))
    if isinstance(exc, aiosmtplib.SMTPResponseException) and 500 <= exc.code < 600:
        return PermanentMailError(_describe(exc))
    return TransientMailError(_describe(exc))


class SmtpMailer:
    """Sends EmailMessages with the settings' host, port, TLS mode and credentials."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
        """Deliver `message` to the server; raise TransientMailError or PermanentMailError."""
        s = self.settings
        try:
            await aiosmtplib.send(
                message,
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password,
                use_tls=s.tls,
                start_tls=s.starttls,
                validate_certs=s.validate_certs,
                timeout=s.timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise classify(exc) from None
