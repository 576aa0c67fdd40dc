"""The two message formats between a publisher and the api replicas, and stream-id ordering.

- pub/sub message on a user channel: `<event id> <event JSON without id>`, or `!<command>` for
  control (`!kick`: close the user's sockets, e.g. when the account is disabled or deleted).
- history stream entry: id = event id, field `e` = event JSON without id.

A browser frame is the event JSON with the id spliced in front, built once per event and shared by
every socket of the user (no re-encoding per socket).
"""

from __future__ import annotations

KICK = b"!kick"


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
