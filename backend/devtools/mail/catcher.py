"""The local mailbox of `make dev`: an SMTP server on loopback (aiosmtpd) that writes every
message it receives to `<dir>/<time>-<n>.eml`, where a person can open it, or list it at
`GET /api/v1/dev/mailbox` (APP_ENV=development only).

    python -m backend.devtools.mail.catcher --dir .data/mail --port 1025

`Catcher` also serves the tests: a real SMTP server on a free loopback port whose messages are kept
in memory as well (`messages`), and that can be stopped and restarted on the same port (an outage).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import signal
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession


class _Handler:
    def __init__(self, directory: Path | None, refuse: frozenset[str]) -> None:
        self.directory = directory
        self.refuse = refuse
        self.messages: list[tuple[Envelope, EmailMessage]] = []
        self._counter = itertools.count(1)

    async def handle_RCPT(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.refuse:  # tests: a mailbox that does not exist
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        if isinstance(data, str):
            data = data.encode()
        parsed = message_from_bytes(data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope, parsed))
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}-{next(self._counter)}.eml"
            (self.directory / name).write_bytes(data)
        return "250 Message accepted for delivery"


class Catcher:
    """An aiosmtpd server on 127.0.0.1:`port` (0 = a free port) in a background thread."""

    def __init__(self, port: int = 0, directory: Path | None = None, refuse: frozenset[str] = frozenset()) -> None:
        self.handler = _Handler(directory, frozenset(a.lower() for a in refuse))
        self.port = port
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return [message for _, message in self.handler.messages]

    def start(self) -> Catcher:
        port = self.port or _free_port()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=port, ready_timeout=10)
        self._controller.start()
        self.port = port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Catcher:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _serve(directory: Path, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    catcher = Catcher(port, directory).start()
    print(f"mail catcher: smtp://127.0.0.1:{catcher.port} -> {directory}", flush=True)
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            catcher.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=1025)
    args = parser.parse_args()
    asyncio.run(_serve(args.dir, args.port))


if __name__ == "__main__":
    main()
