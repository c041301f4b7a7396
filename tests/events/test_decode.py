"""Decoding FC's ``event``: every fixture parses; every way of being malformed is a precise error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acrguard.errors import BadInputError
from acrguard.events import (
    AcrArtifactEvent,
    ActionTrailRecord,
    BareActionTrailRecord,
    CloudEvent,
    LegacyAcrWebhook,
    MalformedEventError,
    TimerEvent,
    decode_event,
    decode_events,
)
from acrguard.events.decode import MAX_DEPTH, MAX_EVENT_BYTES

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = sorted(p.name for p in FIXTURES.glob("*.json"))
MALFORMED = sorted(p.name for p in (FIXTURES / "malformed").glob("*.json"))


def load(name: str):
    """A fixture decoded as JSON, for a test to modify."""
    return json.loads((FIXTURES / name).read_text())


def error_for(raw) -> MalformedEventError:
    """The MalformedEventError that decoding ``raw`` raises (fails the test if none)."""
    with pytest.raises(MalformedEventError) as caught:
        decode_events(raw)
    return caught.value


@pytest.mark.parametrize("name", GOOD)
def test_every_fixture_decodes_from_bytes(name):
    """Each stored sample decodes, from bytes exactly as FC passes them, into typed events."""
    events = decode_events((FIXTURES / name).read_bytes())
    assert events
    for event in events:
        assert isinstance(event, (CloudEvent, TimerEvent, LegacyAcrWebhook, BareActionTrailRecord))


@pytest.mark.parametrize("name", GOOD)
def test_bytes_text_and_decoded_json_give_the_same_events(name):
    """bytes, str and already-parsed JSON are equivalent inputs."""
    raw = (FIXTURES / name).read_bytes()
    assert decode_events(raw) == decode_events(raw.decode()) == decode_events(json.loads(raw))


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_fixtures_are_bad_input(name):
    """The stored malformed samples raise BadInputError, never anything else."""
    with pytest.raises(BadInputError):
        decode_events((FIXTURES / "malformed" / name).read_bytes())


def test_envelope_fields_are_typed():
    """The CloudEvents attributes and Alibaba's extensions are all read."""
    event = decode_event((FIXTURES / "cr_artifact_build_completed.json").read_bytes())
    assert isinstance(event, CloudEvent)
    assert (event.id, event.source, event.type, event.specversion) == (
        "45ef4d3c-7c35-447a-bd93-fab1c0d2e001", "acs.cr", "cr:Artifact:BuildCompleted", "1.0")
    assert (event.account_id, event.region_id, event.event_bus, event.publish_addr) == (
        "1234567890123456", "cn-hangzhou", "default", "198.51.100.23")
    assert event.time.isoformat() == "2020-11-19T21:04:41+08:00"
    assert event.publish_time.isoformat() == "2020-11-19T21:04:42+00:00"
    assert event.correlation_id == "acs.cr#45ef4d3c-7c35-447a-bd93-fab1c0d2e001"
    assert isinstance(event.detail, AcrArtifactEvent)


def test_prc_publish_time_is_china_time():
    """``aliyunpublishtime`` written as ``...179PRC`` is read as +08:00 with its milliseconds."""
    event = decode_event((FIXTURES / "cr_artifact_push_completed.json").read_bytes())
    assert event.publish_time.isoformat() == "2024-05-14T10:20:57.179000+08:00"


def test_data_given_as_a_json_string_is_decoded():
    """An envelope whose ``data`` is a JSON string holding the record is read like an object."""
    event = decode_event((FIXTURES / "cr_acl_delete_data_string.json").read_bytes())
    assert isinstance(event.detail, ActionTrailRecord)
    assert event.detail.event_name == "DeleteInstanceEndpointAclPolicy"


def test_data_base64_is_decoded_when_data_is_absent():
    """The CloudEvents JSON format's ``data_base64`` carries the record when ``data`` is absent."""
    import base64

    doc = load("cr_acl_delete_apicall.json")
    doc["data_base64"] = base64.b64encode(json.dumps(doc.pop("data")).encode()).decode()
    assert decode_event(doc).record.event_name == "DeleteInstanceEndpointAclPolicy"


def test_unknown_fields_are_tolerated_everywhere():
    """New envelope, record and identity fields do not break parsing."""
    doc = load("cr_acl_delete_apicall.json")
    doc["aliyunnewthing"] = {"a": [1, 2]}
    doc["data"]["brandNewField"] = [{"x": None}]
    doc["data"]["userIdentity"]["federation"] = {"provider": "idp"}
    assert decode_event(doc).record.user_identity.user_name == "alice"


def test_a_batch_is_tolerated_and_errors_name_the_item():
    """A JSON list gives one event per item; a bad item's path starts with its index."""
    events = decode_events((FIXTURES / "batch_two_events.json").read_bytes())
    assert [type(e) for e in events] == [CloudEvent, TimerEvent]
    batch = load("batch_two_events.json")
    batch[1]["triggerTime"] = "later"
    assert error_for(batch).path == "$[1].triggerTime"


def test_decode_event_refuses_a_batch_of_two():
    """``decode_event`` wants exactly one event."""
    with pytest.raises(MalformedEventError, match="batch of 2"):
        decode_event((FIXTURES / "batch_two_events.json").read_bytes())


def test_json_encoded_twice_is_tolerated():
    """An event that arrives as a JSON string holding the JSON object is decoded once more."""
    text = (FIXTURES / "timer_plain_payload.json").read_text()
    assert isinstance(decode_event(json.dumps(text)), TimerEvent)


# -- malformed input: each error says what and where ----------------------------------------------


def test_truncated_json_names_line_and_column():
    """Cut-off JSON is reported as invalid JSON with where the parser stopped."""
    error = error_for((FIXTURES / "malformed" / "truncated.json").read_bytes())
    assert error.path == "$"
    assert "not valid JSON" in error.problem and "line" in error.problem and "column" in error.problem


def test_non_utf8_bytes_name_the_offending_byte():
    """Bytes that are not UTF-8 are rejected with the bad byte and its offset."""
    error = error_for(b'{"id": "x\xff"}')
    assert "not UTF-8" in error.problem and "0xff" in error.problem and "offset 9" in error.problem


def test_deep_nesting_is_refused_from_text_and_from_objects():
    """More than MAX_DEPTH levels is an error, whether the nesting comes as text or as Python objects."""
    deep_text = '{"id":"d1","source":"acs.cr","type":"x:y:z","data":' + "[" * 5000 + "]" * 5000 + "}"
    assert "nested too deeply" in error_for(deep_text).problem
    nested: object = []
    for _ in range(MAX_DEPTH + 5):
        nested = [nested]
    error = error_for({"id": "d2", "source": "acs.cr", "type": "x:y:z", "data": nested})
    assert "nested too deeply" in error.problem and error.path.startswith("$.data")


def test_huge_event_is_refused_by_size():
    """An event bigger than MAX_EVENT_BYTES is refused before parsing, with its size."""
    huge = json.dumps({"id": "h", "source": "acs.cr", "type": "x:y:z", "data": {"blob": "a" * MAX_EVENT_BYTES}})
    error = error_for(huge.encode())
    assert f"at most {MAX_EVENT_BYTES}" in error.problem


def test_huge_identifier_is_refused_with_its_path():
    """A 10 KB event id fits the size limit but not the identifier limit; the path says which field."""
    doc = load("cr_acl_delete_apicall.json")
    doc["data"]["eventName"] = "Delete" + "X" * 10_000
    error = error_for(doc)
    assert error.path == "$.data.eventName" and "characters long" in error.problem
    assert error.event_id == "e1d2c3b4-a596-4788-99aa-bbccdd000006"


@pytest.mark.parametrize(("mutate", "path", "problem"), [
    (lambda d: d.pop("id"), "$.id", "is missing"),
    (lambda d: d.update(id=""), "$.id", "is empty"),
    (lambda d: d.update(source=None), "$.source", "is null"),
    (lambda d: d.update(type=["cr:ActionTrail:ApiCall"]), "$.type", "found a list"),
    (lambda d: d.update(time="soon"), "$.time", "unrecognised time"),
    (lambda d: d.pop("data"), "$.data", "is missing"),
    (lambda d: d.update(data=[1, 2]), "$.data", "found a list"),
    (lambda d: d.update(data="{not json"), "$.data", "does not parse"),
    (lambda d: d["data"].pop("eventName"), "$.data.eventName", "is missing"),
    (lambda d: d["data"].update(eventName=42), "$.data.eventName", "found a number"),
    (lambda d: d["data"].update(eventVersion=True), "$.data.eventVersion", "found true/false"),
    (lambda d: d["data"].update(eventTime=1.5e300), "$.data.eventTime", "out of range"),
    (lambda d: d["data"].update(userIdentity=["alice"]), "$.data.userIdentity", "found a list"),
    (lambda d: d["data"]["userIdentity"].update(type={"k": "v"}), "$.data.userIdentity.type", "found an object"),
    (lambda d: d["data"]["userIdentity"]["sessionContext"].update(attributes=7),
     "$.data.userIdentity.sessionContext.attributes", "found a number"),
    (lambda d: d["data"]["userIdentity"]["sessionContext"]["attributes"].update(mfaAuthenticated="maybe"),
     "$.data.userIdentity.sessionContext.attributes.mfaAuthenticated", "expected true/false"),
    (lambda d: d["data"].update(requestParameters=["InstanceId"]), "$.data.requestParameters", "found a list"),
    (lambda d: d["data"].update(errorCode={"code": "x"}), "$.data.errorCode", "found an object"),
])
def test_wrong_types_and_missing_fields_name_the_path_and_the_event(mutate, path, problem):
    """Each broken field of an ActionTrail event is reported at its JSON path, with the event id."""
    doc = load("cr_acl_delete_apicall.json")
    mutate(doc)
    error = error_for(doc)
    assert (error.path, problem in error.problem) == (path, True), str(error)
    if path != "$.id":
        assert error.event_id == "e1d2c3b4-a596-4788-99aa-bbccdd000006"
        assert "e1d2c3b4-a596-4788-99aa-bbccdd000006" in str(error)


@pytest.mark.parametrize(("raw", "fragment"), [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b"[]", "empty list"),
    (b"42", "found a number"),
    (b'"just text"', "found a string"),
    (b"null", "found null"),
    (b"[[{}]]", "found a list"),
    (b'{"a": NaN}', "not valid JSON"),
    (b'{"a": 1, "b": Infinity}', "not valid JSON"),
    (b'{"events": []}', "not an event acrguard recognises"),
    (b"{}", "found keys: none"),
    (b'{"id": 1' + b"9" * 5000 + b"}", "not valid JSON"),
])
def test_shapes_that_are_not_events_are_refused(raw, fragment):
    """Empty input, scalars, nested lists, NaN and unknown objects are each a clear error."""
    assert fragment in error_for(raw).problem


@pytest.mark.parametrize("raw", [None, 42, 3.5, object(), {"id": {1, 2}}, {1: "x"}])
def test_non_json_python_values_are_refused(raw):
    """Only bytes, text and JSON-shaped Python values are events."""
    with pytest.raises(MalformedEventError):
        decode_events(raw)


def test_error_message_never_echoes_field_values():
    """A wrong-typed field is described by its type, so a misplaced secret is not repeated in logs."""
    doc = load("cr_acl_delete_apicall.json")
    doc["data"]["userIdentity"]["accessKeyId"] = {"AccessKeySecret": "S3CR3T-value-0001"}
    assert "S3CR3T" not in str(error_for(doc))
