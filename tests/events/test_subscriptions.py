"""Only events from the bus and sources acrguard subscribes to are acted on; others are ignored with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acrguard.events import IMAGE_ADVISOR, WHITELIST_GUARD, decode_event, route

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> dict:
    """A fixture decoded as JSON, for a test to modify."""
    return json.loads((FIXTURES / name).read_text())


@pytest.mark.parametrize("source", ["acs.cr", "acs.actiontrail", "ACS.CR"])
def test_an_acl_change_from_a_subscribed_source_on_the_default_bus_is_handled(source):
    """ActionTrail records come as acs.<product> or acs.actiontrail; both are accepted."""
    doc = load("cr_acl_delete_apicall.json")
    doc["source"] = source
    result = route(decode_event(doc))
    assert result.handled and result.functions == (WHITELIST_GUARD,)


@pytest.mark.parametrize("source", ["acs.ecs", "acs.ram", "my.app", "acs:cr", ""])
def test_an_acl_change_from_another_source_is_ignored_with_the_reason(source):
    """A forged or mis-wired ActionTrail record (another source) is ignored, naming the source and what is accepted."""
    doc = load("cr_acl_delete_apicall.json")
    doc["source"] = source or "x"
    result = route(decode_event(doc))
    assert not result.handled and result.functions == () and result.resources == ()
    assert f"source {doc['source']!r} is not one acrguard subscribes to" in result.reason
    assert "acs.actiontrail, acs.cr" in result.reason


@pytest.mark.parametrize("bus", ["my-custom-bus", "Default "])
def test_an_event_from_another_bus_is_ignored_with_the_reason(bus):
    """Only the default bus (eventSourceType Default) is subscribed; a custom bus's event is never acted on."""
    doc = load("cr_acl_delete_apicall.json")
    doc["aliyuneventbusname"] = bus
    result = route(decode_event(doc))
    assert not result.handled and result.functions == ()
    assert "comes from the bus" in result.reason and "'default' bus only" in result.reason


def test_an_event_naming_no_bus_is_ignored():
    """An envelope without aliyuneventbusname was not delivered by EventBridge: ignored, with the reason."""
    doc = load("cr_acl_delete_apicall.json")
    del doc["aliyuneventbusname"]
    result = route(decode_event(doc))
    assert not result.handled and "names no bus" in result.reason


def test_an_acr_push_is_accepted_only_from_acs_cr():
    """cr:Artifact:PushCompleted from acs.cr is handled; the same payload from another source is ignored."""
    doc = load("cr_artifact_push_completed.json")
    assert route(decode_event(doc)).functions == (IMAGE_ADVISOR,)
    doc["source"] = "acs.actiontrail"
    result = route(decode_event(doc))
    assert not result.handled and "accepted: acs.cr" in result.reason


def test_events_acrguard_does_not_handle_keep_their_own_reason():
    """The bus and source are checked only for events acrguard would act on; others keep their reason."""
    doc = load("actiontrail_ecs_delete_disk.json")
    doc["aliyuneventbusname"] = "my-custom-bus"
    assert "not an event acrguard handles" in route(decode_event(doc)).reason
