"""Events of member accounts: which account and region each is about, which bus they may come on, shard payloads."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from acrguard.events import decode_event, route
from acrguard.events.accounts import event_place
from acrguard.events.errors import MalformedEventError
from acrguard.events.shard import ShardEvent
from acrguard.events.subscriptions import ORGANIZATION_BUS

FIXTURES = Path(__file__).resolve().parents[1] / "events" / "fixtures"
MEMBER = "2900000000000007"
CENTRAL = "1900000000000001"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def routed_from_member(doc: dict, *, recipient: bool = True) -> dict:
    """``doc`` as the central bus receives it from a member account's routing rule."""
    doc = copy.deepcopy(doc)
    doc["aliyuneventbusname"] = ORGANIZATION_BUS
    doc["aliyunaccountid"] = CENTRAL
    doc["aliyunoriginalaccountid"] = MEMBER
    if recipient:
        doc["data"]["recipientAccountId"] = MEMBER
    else:
        doc["data"].pop("recipientAccountId", None)
    doc["data"]["acsRegion"] = "cn-shanghai"
    return doc


def test_the_recipient_account_names_the_account_before_the_envelope():
    """``recipientAccountId`` (whose resource the call acted on) comes first; the region is ``acsRegion``."""
    doc = routed_from_member(load("cr_acl_delete_apicall.json"))
    doc["data"]["userIdentity"]["accountId"] = "3000000000000001"  # the caller may be elsewhere
    found = event_place(decode_event(doc))
    assert (found.account, found.region, found.account_from) == (MEMBER, "cn-shanghai", "recipientAccountId")


def test_without_a_recipient_the_original_account_of_a_routed_event_is_used():
    """An event routed from a member's bus carries that member in ``aliyunoriginalaccountid``."""
    found = event_place(decode_event(routed_from_member(load("cr_acl_delete_apicall.json"), recipient=False)))
    assert (found.account, found.account_from) == (MEMBER, "aliyunoriginalaccountid")


def test_an_event_of_the_central_bus_names_its_own_account():
    """On the account's own default bus the envelope's account is the event's."""
    doc = load("cr_acl_delete_apicall.json")
    doc["data"].pop("recipientAccountId", None)
    found = event_place(decode_event(doc))
    assert (found.account, found.account_from) == ("1234567890123456", "aliyunaccountid")


def test_a_push_event_names_its_account_in_the_subject_when_nothing_else_does():
    """An ACR artifact event without account attributes: the subject ``acs.cr:<region>:<account>:...``."""
    doc = load("cr_artifact_push_completed.json")
    doc.pop("aliyunaccountid", None)
    doc["subject"] = f"acs.cr:cn-beijing:{MEMBER}:repo"
    doc.pop("aliyunregionid", None)
    found = event_place(decode_event(doc))
    assert (found.account, found.region) == (MEMBER, "cn-beijing")


def test_events_routed_from_members_to_the_organisation_bus_are_acted_on():
    """The organisation's bus is subscribed for events a member account's rule routed there."""
    result = route(decode_event(routed_from_member(load("cr_acl_delete_apicall.json"))))
    assert result.handled and result.functions == ("whitelist_guard",)


def test_an_event_on_the_organisation_bus_that_no_member_routed_is_ignored():
    """Without ``aliyunoriginalaccountid`` an event on the organisation's bus is not acted on."""
    doc = routed_from_member(load("cr_acl_delete_apicall.json"))
    del doc["aliyunoriginalaccountid"]
    result = route(decode_event(doc))
    assert not result.handled and "aliyunoriginalaccountid" in result.reason


def test_a_shard_payload_round_trips_and_routes_to_its_job():
    """The coordinator's payload decodes to the same shard, a sweep of its job, deduplicated by sweep and shard."""
    shard = ShardEvent("20260601T000000Z-ab12cd", "whitelist_guard", MEMBER, "cn-hangzhou")
    decoded = decode_event(shard.payload())
    assert decoded == shard
    result = route(decoded)
    assert result.handled and result.sweep and result.functions == ("whitelist_guard",)
    assert result.correlation_id == f"shard:whitelist_guard:20260601T000000Z-ab12cd:{MEMBER}/cn-hangzhou"
    assert decode_event(ShardEvent("s1", "pullkey_auditor", MEMBER).payload()).key == MEMBER


@pytest.mark.parametrize("field,value", [("account", "12ab"), ("region", "Hangzhou"), ("sweep", ""),
                                         ("version", 2)])
def test_a_malformed_shard_payload_is_a_clear_error(field, value):
    """Every field of a shard payload is checked; a bad one is named."""
    body = {"version": 1, "sweep": "s1", "job": "whitelist_guard", "account": MEMBER, "region": "cn-hangzhou",
            field: value}
    with pytest.raises(MalformedEventError) as caught:
        decode_event({"acrguardShard": body})
    assert field in str(caught.value)


def test_a_shard_payload_naming_an_unknown_job_is_not_handled():
    """A payload for a job acrguard does not have is ignored with the reason."""
    result = route(decode_event(ShardEvent("s1", "no_such_job", MEMBER).payload()))
    assert not result.handled and "no_such_job" in result.reason
