"""`asyncapi.yaml` and `events.schema.json` describe every realtime message the code sends, and the
frames the server really sends validate against them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import jsonschema
import msgspec
import pytest
import yaml

from backend.devtools import contract
from backend.entrypoints.api import API_VERSION
from backend.platform.realtime import asyncapi, events, hub, session, wire
from backend.platform.realtime import http as controllers
from backend.settings import Settings

RESUME, VERSION, THING = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
NOTIFICATION = events.Notification(
    id=THING, kind="follow_up_reminder", title="Follow up", body="", link="/applications",
    read_at=None, created_at=datetime(2025, 1, 31, 12, tzinfo=UTC),
)  # fmt: skip
SAMPLES: list[events.Event] = [
    events.ResumeParseProgress(data=events.ResumeParseProgressData(RESUME, VERSION, "extracting", 40)),
    events.ResumeParsed(data=events.ResumeVersionRef(RESUME, VERSION)),
    events.ResumeParseFailed(data=events.ResumeParseFailedData(RESUME, VERSION, "unreadable pdf")),
    events.AnalysisCompleted(data=events.AnalysisCompletedData(THING, 87)),
    events.AnalysisFailed(data=events.AnalysisFailedData(THING, "provider timeout")),
    events.CoverLetterDelta(data=events.CoverLetterDeltaData(THING, 3, "Dear hiring manager,")),
    events.CoverLetterCompleted(data=events.CoverLetterRef(THING)),
    events.CoverLetterFailed(data=events.CoverLetterFailedData(THING, "provider error")),
    events.CoverLetterFailed(
        data=events.CoverLetterFailedData(
            THING, "The letter was not kept…", "ungrounded", [events.RefusedItem("employer", "Google")]
        )
    ),
    events.CoverLetterCancelled(data=events.CoverLetterRef(THING)),
    events.NotificationCreated(data=events.NotificationCreatedData(NOTIFICATION)),
    events.ApplicationChanged(data=events.ApplicationChangedData(THING, "updated")),
]
TS = "2025-01-31T12:00:00.123+00:00"
CONTROL_FRAMES = {"ping": session.PING, "pong": session.PONG, "sync.reset": session.SYNC_RESET}
server_message_decoder = msgspec.json.Decoder(events.ServerEvent | events.ControlMessage)


def _tags(union: Any) -> set[str]:
    return {cls.__struct_config__.tag for cls in union.__args__}


EVENT_TAGS = _tags(events.ServerEvent)
SERVER_TAGS = EVENT_TAGS | _tags(events.ControlMessage)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return asyncapi.document(Settings(), API_VERSION)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads((contract.CONTRACT_DIR / "events.schema.json").read_text())


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _resolve(root: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _messages(errors: Any) -> list[str]:
    """Every error message, including those inside oneOf branches."""
    out = []
    for error in errors:
        out.append(error.message)
        out += _messages(error.context)
    return out


def _frames() -> list[bytes]:
    """Each sample as the brief's encoding and as the browser gets it (publisher body + wire.frame)."""
    stamped = [events.encoder.encode(msgspec.structs.replace(ev, id="1-0", ts=TS)) for ev in SAMPLES]
    bodies = [events.encoder.encode(msgspec.structs.replace(ev, id="", ts=TS)) for ev in SAMPLES]
    return stamped + [wire.frame(f"1738324800123-{n}".encode(), body) for n, body in enumerate(bodies)]


def test_samples_cover_every_event_type() -> None:
    assert {type(ev) for ev in SAMPLES} == set(events.EVENT_TYPES)


def test_every_message_type_is_in_the_asyncapi_document(doc: dict[str, Any]) -> None:
    messages = doc["components"]["messages"]
    assert {cls.__struct_config__.tag for cls in events.EVENT_TYPES} == EVENT_TAGS
    assert set(messages) == SERVER_TAGS == set(doc["channels"]["realtime"]["messages"])
    assert all(messages[name]["name"] == name for name in messages)
    operations = doc["operations"]
    assert all(op["action"] in ("send", "receive") for op in operations.values())
    sent = {ref.rsplit("/", 1)[1] for op in operations.values() if op["action"] == "send" for ref in _refs(op)}
    received = {ref.rsplit("/", 1)[1] for op in operations.values() if op["action"] == "receive" for ref in _refs(op)}
    assert sent >= SERVER_TAGS
    assert {"ping", "pong"} <= received
    assert {ref.rsplit("/", 1)[1] for ref in _refs(operations["sendEvents"]["messages"])} == EVENT_TAGS


def test_asyncapi_describes_the_socket_handshake_and_close_codes(doc: dict[str, Any]) -> None:
    channel = doc["channels"]["realtime"]
    assert doc["asyncapi"] == "3.0.0"
    assert channel["address"] == "/api/v1/realtime"
    query = channel["bindings"]["ws"]["query"]
    assert set(query["properties"]) == {"ticket", "last_event_id"}
    assert query["required"] == ["ticket"]
    assert controllers.TicketController.path in doc["components"]["securitySchemes"]["ticket"]["description"]
    codes = {
        controllers.CLOSE_POLICY,
        hub.CLOSE_RESTART,
        hub.CLOSE_TOO_SLOW,
        hub.CLOSE_ACCOUNT,
        hub.CLOSE_SESSION_ENDED,
        hub.CLOSE_RETICKET,
        hub.CLOSE_TOO_MANY,
    }
    assert set(channel["x-close-codes"]) == {str(code) for code in codes}
    assert all(f"| {code} |" in doc["info"]["description"] for code in codes)
    assert "sync.reset" in doc["info"]["description"]


def test_every_ref_resolves(doc: dict[str, Any], schema: dict[str, Any]) -> None:
    for root in (doc, schema):
        for ref in _refs(root):
            assert _resolve(root, ref) is not None, ref


def test_committed_yaml_reads_back_as_the_document(doc: dict[str, Any]) -> None:
    assert yaml.safe_load((contract.CONTRACT_DIR / "asyncapi.yaml").read_text()) == doc


def test_yaml_emitter_quotes_what_yaml_would_misread() -> None:
    value = {
        "plain": "a/b c.d",
        "look-alikes": ["yes", "No", "null", "1.0", "3.0.0", "2025-01-31", "#x", "a: b", "- x", "", " pad"],
        "text": "line one\n\n  indented\nlast",
        "text with newline": "one\ntwo\n",
        "odd text": "tab\there\nx",
        "numbers": [0, -1, 2.5, True, None],
        "empty": {"d": {}, "l": []},
        "nested": [{"a": 1, "b": [1, {"c": "d"}]}, [1, 2]],
        "$ref": "#/x/y",
    }
    assert yaml.safe_load(contract.to_yaml(value)) == value


def test_the_schema_lists_every_server_message_type(schema: dict[str, Any]) -> None:
    mapping = schema["discriminator"]["mapping"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["discriminator"]["propertyName"] == "type"
    assert set(mapping) == SERVER_TAGS
    assert sorted(_refs(schema["oneOf"])) == sorted(mapping.values())
    for name, ref in mapping.items():
        assert _resolve(schema, ref)["properties"]["type"]["enum"] == [name]


def test_real_frames_validate_against_the_schema(schema: dict[str, Any]) -> None:
    validator = _validator(schema)
    for frame in [*_frames(), *CONTROL_FRAMES.values()]:
        message = json.loads(frame)
        assert _messages(validator.iter_errors(message)) == [], frame
        decoded = server_message_decoder.decode(frame)  # and the code reads it back as the same type
        assert decoded.__struct_config__.tag == message["type"]


def test_events_decode_back_to_what_was_sent() -> None:
    for frame, sample in zip(_frames(), SAMPLES + SAMPLES, strict=True):
        decoded = events.event_decoder.decode(frame)
        assert msgspec.structs.replace(decoded, id="", ts="") == sample
        assert decoded.ts == TS and decoded.id


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda m: m.pop("id"), "'id' is a required property"),
        (lambda m: m.pop("ts"), "'ts' is a required property"),
        (lambda m: m.update(id="abc"), "'abc' does not match"),
        (lambda m: m.update(ts="yesterday"), "'yesterday' is not a 'date-time'"),
        (lambda m: m.update(type="resume.unknown"), "is not valid under any of the given schemas"),
        (lambda m: m["data"].update(percent=101), "101 is greater than the maximum of 100"),
        (lambda m: m["data"].update(resume_id="not-a-uuid"), "'not-a-uuid' is not a 'uuid'"),
        (lambda m: m["data"].pop("stage"), "'stage' is a required property"),
    ],
)
def test_the_schema_rejects_malformed_frames(schema: dict[str, Any], change: Any, why: str) -> None:
    message = json.loads(_frames()[0])
    change(message)
    assert any(why in error for error in _messages(_validator(schema).iter_errors(message))), why


def test_notification_created_carries_a_typed_notification(schema: dict[str, Any]) -> None:
    """`notification.created` sends what `GET /notifications` lists, typed field by field (not an open object)."""
    from backend.features.notifications import schemas as notification_schemas

    fields = msgspec.structs.fields
    names = [f.name for f in fields(events.Notification)]
    assert names == [f.name for f in fields(notification_schemas.NotificationOut)]
    payload = schema["$defs"]["Notification"]
    assert set(payload["required"]) == set(payload["properties"]) == set(names)
    assert payload["properties"]["created_at"] == {"type": "string", "format": "date-time"}
    assert payload["properties"]["id"] == {"type": "string", "format": "uuid"}
    frame = json.loads(_frames()[SAMPLES.index(next(s for s in SAMPLES if isinstance(s, events.NotificationCreated)))])
    del frame["data"]["notification"]["title"]
    assert any("'title' is a required property" in e for e in _messages(_validator(schema).iter_errors(frame)))
