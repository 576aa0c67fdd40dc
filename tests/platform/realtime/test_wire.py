"""The `!end` control message: which sockets' credentials it ends."""

from backend.platform.realtime import wire


def test_end_names_credentials_kinds_and_exceptions() -> None:
    logout = wire.Ended(wire.end_message(["s:a"]))
    assert logout.covers("s:a") and not logout.covers("s:b") and not logout.covers("p:a")
    change = wire.Ended(wire.end_message(["s:*"], keep=("s:mine",)))
    assert change.covers("s:other") and not change.covers("s:mine") and not change.covers("p:token")
    reset = wire.Ended(wire.end_message(["s:*", "p:*"]))
    assert all(reset.covers(credential) for credential in ("s:a", "p:b"))
    assert wire.end_message(["s:*"], keep=("s:x",)) == b"!end s:* -s:x"
