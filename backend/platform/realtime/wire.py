"""The two message formats between a publisher and the api replicas, and stream-id ordering.

- pub/sub message on a user channel: `<event id> <event JSON without id>`, or `!<command>` for
  control: `!kick` closes every socket of the user (4401: the account was disabled or deleted);
  `!end <credential>...` closes the sockets opened with the sign-in sessions or personal access
  tokens that ended (4001), where a credential is `s:<session id>`, `p:<token id>`, `s:*` (every
  session), `p:*` (every token) or `-s:<session id>` (except that one); `!drop <socket id>...` closes
  those sockets (4003: the user opened too many).
- history stream entry: id = event id, field `e` = event JSON without id.

A browser frame is the event JSON with the id spliced in front, built once per event and shared by
every socket of the user (no re-encoding per socket).
"""

from __future__ import annotations

KICK = b"!kick"
END = b"!end "
DROP = b"!drop "


def end_message(ended: list[str], keep: list[str] | tuple[str, ...] = ()) -> bytes:
    """`!end`: close the sockets of the credentials `ended` (`s:*`, `p:*` for all), except `keep`."""
    return END + " ".join([*ended, *(f"-{credential}" for credential in keep)]).encode()


class Ended:
    """A parsed `!end` message: which credentials it ends."""

    __slots__ = ("ended", "keep")

    def __init__(self, data: bytes) -> None:
        words = data[len(END) :].decode().split()
        self.keep = {word[1:] for word in words if word.startswith("-")}
        self.ended = {word for word in words if not word.startswith("-")}

    def covers(self, credential: str) -> bool:
        if credential in self.keep:
            return False
        return credential in self.ended or f"{credential.partition(':')[0]}:*" in self.ended


def frame(event_id: bytes, body: bytes) -> bytes:
    """`{"id":"<event_id>", ...body}`: `body` is a JSON object without an id."""
    return b'{"id":"' + event_id + b'",' + body[1:]


def split_message(message: bytes) -> tuple[bytes, bytes]:
    """(event id, body) of a pub/sub event message."""
    event_id, _, body = message.partition(b" ")
    return event_id, body


def stream_id(raw: bytes | str) -> tuple[int, int]:
    """A Redis stream id `<ms>-<seq>` as a comparable tuple; ValueError when malformed."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    ms, _, seq = text.partition("-")
    if not ms.isdigit() or (seq and not seq.isdigit()):
        raise ValueError(f"not a stream id: {text!r}")
    return int(ms), int(seq or 0)
