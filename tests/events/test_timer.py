"""Timer events: the payload is a string that may itself be JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acrguard.events import MalformedEventError, TimerEvent, decode_event

FIXTURES = Path(__file__).parent / "fixtures"


def test_plain_payload_stays_text():
    """A non-JSON payload is kept as written and not decoded."""
    timer = decode_event((FIXTURES / "timer_plain_payload.json").read_bytes())
    assert isinstance(timer, TimerEvent)
    assert (timer.payload, timer.payload_json, timer.trigger_name) == ("nightly audit", None, "pullkey-auditor-daily")
    assert timer.correlation_id == "timer:pullkey-auditor-daily@2024-05-14T07:00:00Z"


def test_json_payload_is_decoded_a_second_time():
    """A payload holding JSON is available decoded."""
    timer = decode_event((FIXTURES / "timer_json_payload.json").read_bytes())
    assert timer.payload_json == {"job": "image_advisor", "mode": "plan"}


def test_empty_payload_is_none():
    """An empty payload is no payload."""
    assert decode_event((FIXTURES / "timer_no_payload.json").read_bytes()).payload is None


def test_broken_json_payload_is_kept_with_a_note():
    """A payload that looks like JSON but does not parse must not stop the sweep: kept as text, with a note."""
    timer = decode_event({"triggerTime": "2024-05-14T07:00:00Z", "triggerName": "t", "payload": '{"job": '})
    assert timer.payload_json is None and "does not parse" in timer.payload_note


@pytest.mark.parametrize(("doc", "path"), [
    ({"triggerTime": "2024-05-14T07:00:00Z", "payload": "x"}, "$.triggerName"),
    ({"triggerName": "t"}, "$.triggerTime"),
    ({"triggerName": "t", "triggerTime": "tomorrow"}, "$.triggerTime"),
    ({"triggerName": "t", "triggerTime": "2024-05-14T07:00:00Z", "payload": 12}, "$.payload"),
    ({"triggerName": ["t"], "triggerTime": "2024-05-14T07:00:00Z"}, "$.triggerName"),
])
def test_broken_timer_events_name_the_field(doc, path):
    """Missing or wrong-typed timer fields are errors at their path."""
    with pytest.raises(MalformedEventError) as caught:
        decode_event(json.dumps(doc))
    assert caught.value.path == path
