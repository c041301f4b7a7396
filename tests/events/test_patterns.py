"""EventBridge patterns: the matcher follows EventBridge's rules, and each job's pattern fits the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acrguard.events import JOBS, decode_event, route
from acrguard.events.patterns import matches, sample_events, trigger_patterns

FIXTURES = Path(__file__).parent / "fixtures"
EVENT = {"source": "acs.cr", "type": "cr:ActionTrail:ApiCall", "data": {
    "eventName": "DeleteInstanceEndpointAclPolicy", "eventVersion": 1, "sourceIpAddress": "203.0.113.7",
    "tags": ["a", "b"], "errorCode": "", "responseElements": None}}


@pytest.mark.parametrize(("pattern", "expected"), [
    ({"source": ["acs.cr"]}, True),
    ({"source": ["acs.CR"]}, False),                                    # case-sensitive
    ({"source": ["acs.oss", "acs.cr"]}, True),                          # OR within a list
    ({"source": ["acs.cr"], "type": ["x"]}, False),                     # AND across keys
    ({"type": [{"suffix": ":ActionTrail:ApiCall"}]}, True),
    ({"type": [{"prefix": "cr:"}]}, True),
    ({"type": [{"contains": "Trail"}]}, True),
    ({"data": {"eventName": ["DeleteInstanceEndpointAclPolicy"]}}, True),
    ({"data": {"eventName": ["deleteinstanceendpointaclpolicy"]}}, False),
    ({"data": {"eventVersion": [1]}}, True),
    ({"data": {"eventVersion": ["1"]}}, False),                          # types must agree
    ({"data": {"eventVersion": [{"numeric": [">", 0, "<=", 1]}]}}, True),
    ({"data": {"sourceIpAddress": [{"cidr": "203.0.113.0/24"}]}}, True),
    ({"data": {"sourceIpAddress": [{"cidr": "198.51.100.0/24"}]}}, False),
    ({"data": {"errorCode": [""]}}, True),
    ({"data": {"responseElements": [None]}}, True),
    ({"data": {"missing": [{"exists": False}]}}, True),
    ({"data": {"errorCode": [{"exists": True}]}}, True),
    ({"data": {"missing": ["x"]}}, False),
    ({"data": {"tags": ["b"]}}, True),                                  # any element of a list
    ({"source": [{"anything-but": "acs.oss"}]}, True),
    ({"source": [{"anything-but": ["acs.oss", "acs.cr"]}]}, False),
    ({"source": [{"anything-but": {"prefix": "acs."}}]}, False),
    ({"data": {"eventName": {"nested": ["x"]}}}, False),               # object pattern against a string
])
def test_matcher_follows_eventbridge_semantics(pattern, expected):
    """Exact, prefix, suffix, contains, anything-but, numeric, cidr, exists, null, empty and list matching."""
    assert matches(pattern, EVENT) is expected


def test_unsupported_operator_is_an_error():
    """A pattern operator the matcher does not know is refused rather than guessed."""
    with pytest.raises(ValueError):
        matches({"source": [{"equals-ignore-case": "acs.cr"}]}, EVENT)


def test_each_job_has_a_pattern():
    """Every job has exactly one pattern (one kind of event each)."""
    assert all(len(trigger_patterns(job)) == 1 for job in JOBS)
    with pytest.raises(ValueError):
        trigger_patterns("nobody")


@pytest.mark.parametrize(("job", "event"), sample_events(), ids=lambda v: v if isinstance(v, str) else v["id"])
def test_samples_match_their_jobs_pattern_and_no_other(job, event):
    """Each routed sample passes its own job's trigger and no other job's."""
    for other in JOBS:
        assert any(matches(p, event) for p in trigger_patterns(other)) is (other == job), other


#: fixtures in shapes only acrguard's parser tolerates: EventBridge cannot filter on a field it cannot see
#: (``data`` as a JSON string, ``EventName`` with another key casing), so no trigger pattern lets them through
TOLERANCE_ONLY = {"cr_acl_delete_data_string.json", "ram_detach_policy_eventname_casing.json"}


def _handled_event_fixtures() -> list[str]:
    names = []
    for path in sorted(FIXTURES.glob("*.json")):
        if path.name in TOLERANCE_ONLY or path.name == "batch_two_events.json":
            continue
        result = route(decode_event(path.read_bytes()))
        if result.handled and result.kind != "timer":
            names.append(path.name)
    return names


@pytest.mark.parametrize("name", _handled_event_fixtures())
def test_handled_fixtures_pass_exactly_their_jobs_trigger(name):
    """A handled fixture passes the trigger of the job it routes to and of no other job."""
    raw = json.loads((FIXTURES / name).read_text())
    passing = {job for job in JOBS if any(matches(p, raw) for p in trigger_patterns(job))}
    assert passing == set(route(decode_event(raw)).functions)


@pytest.mark.parametrize("name", sorted(TOLERANCE_ONLY))
def test_tolerance_only_shapes_are_invisible_to_patterns(name):
    """The odd shapes parse and route, but no pattern sees them: EventBridge compares exact keys."""
    raw = json.loads((FIXTURES / name).read_text())
    assert route(decode_event(raw)).handled
    assert not any(matches(p, raw) for job in JOBS for p in trigger_patterns(job))


def test_actiontrail_patterns_use_type_suffixes_and_event_names():
    """ActionTrail patterns filter on the type suffix and data.eventName (the RAM source is unconfirmed)."""
    (pattern,) = trigger_patterns("pullkey_auditor")
    assert "source" not in pattern
    assert pattern["type"] == [{"suffix": ":ActionTrail:ApiCall"}, {"suffix": ":ActionTrail:ConsoleOperation"}]
    assert "CreateAccessKey" in pattern["data"]["eventName"]
    assert trigger_patterns("image_advisor") == [{"source": ["acs.cr"], "type": ["cr:Artifact:PushCompleted"]}]


def _as_published_by_actiontrail(event: dict) -> dict:
    """The same record in the form EventBridge's ActionTrail page documents for every product:
    ``type`` ``actiontrail:ActionTrail:<category>`` (doc-detail/204963), from ``acs.actiontrail``."""
    category = event["type"].rsplit(":", 1)[-1]
    return {**event, "source": "acs.actiontrail", "type": f"actiontrail:ActionTrail:{category}"}


@pytest.mark.parametrize(("job", "event"), [(j, e) for j, e in sample_events() if ":ActionTrail:" in e["type"]],
                         ids=lambda v: v if isinstance(v, str) else v["id"])
def test_records_typed_as_actiontrail_pass_the_same_trigger_and_route(job, event):
    """Whichever product prefix the type carries (``ram:`` or ``actiontrail:``), the record reaches its job."""
    published = _as_published_by_actiontrail(event)
    for other in JOBS:
        assert any(matches(p, published) for p in trigger_patterns(other)) is (other == job), other
    assert job in route(decode_event(published)).functions
