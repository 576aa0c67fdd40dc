"""Line-prefixed output: every child's lines appear as `name | line` on the supervisor's stdout.

Lines are written whole (bytes in, bytes out, so odd encodings pass through) and flushed at once, so
output of several children interleaves by line, never mid-line. Prefixes are coloured on a terminal
unless NO_COLOR is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from typing import BinaryIO

_COLOURS = {
    "devserver": "1",
    "api": "32",
    "worker": "36",
    "scheduler": "35",
    "migrate": "33",
    "postgres": "34",
    "redis": "31",
}


class Output:
    """Writes prefixed lines to one binary stream (stdout by default)."""

    def __init__(self, stream: BinaryIO | None = None, *, colour: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout.buffer
        if colour is None:
            colour = self._stream.isatty() and "NO_COLOR" not in os.environ
        self._colour = colour
        self._closed = False

    def _prefix(self, name: str) -> bytes:
        if self._colour:
            return f"\x1b[{_COLOURS.get(name, '0')}m{name} |\x1b[0m ".encode()
        return f"{name} | ".encode()

    def line(self, name: str, text: bytes) -> None:
        """Write one line of `name`'s output (a trailing newline is added when missing)."""
        if self._closed:
            return
        if not text.endswith(b"\n"):
            text += b"\n"
        try:
            self._stream.write(self._prefix(name) + text)
            self._stream.flush()
        except BrokenPipeError:
            # The reader went away (`make dev | tee` after Ctrl-C, `| head`): keep supervising, quietly.
            self._closed = True
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())

    def say(self, message: str) -> None:
        """A message of the supervisor itself."""
        for text in message.splitlines() or [""]:
            self.line("devserver", text.encode())

    async def pump(self, name: str, stream: asyncio.StreamReader, *, tee: list[bytes] | None = None) -> None:
        """Copy `stream` to the output line by line until EOF (long lines are cut, never lost).

        With `tee`, every chunk read is also appended to that list (for callers that inspect output).
        """
        pending = b""
        while chunk := await stream.read(65536):
            if tee is not None:
                tee.append(chunk)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for text in lines:
                self.line(name, text.rstrip(b"\r"))
            if len(pending) > 65536:
                self.line(name, pending)
                pending = b""
        if pending:
            self.line(name, pending)
