"""IPsec connection LocalSubnet targets: ledger-based ownership, read-modify-write through the real VPC SDK."""

from __future__ import annotations

import pytest
from alibabacloud_vpc20160428 import models

from acrguard.clients import call
from acrguard.config.routes import VpnConnectionTarget
from acrguard.routes.targets.vpn_connection import VpnConnectionSubnets
from support import ACCOUNT, REGION, base_world

DESIRED = {("192.168.10.21", "vpc_endpoint"), ("100.103.9.188", "auth"), ("100.118.28.0/24", "oss")}
OURS = ["192.168.10.21/32", "100.103.9.188/32", "100.118.28.0/24"]


@pytest.fixture
def world():
    """An IPsec connection protecting one vSwitch (not the endpoint's), and one in destination-routing mode."""
    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["vpc"] = {
        "vpn_configuring_s": 5,
        "vpn_connections": [
            {"id": "vco-1", "vpn_gateway_id": "vpn-1", "local_subnet": "192.168.1.0/24", "remote_subnet": "10.0.0.0/8"},
            {"id": "vco-any", "vpn_gateway_id": "vpn-2", "local_subnet": "0.0.0.0/0", "remote_subnet": "0.0.0.0/0"},
        ],
    }
    return data


def vpn_target(factory, waiter, owned=None, connection="vco-1", shared=None, **overrides) -> VpnConnectionSubnets:
    config = VpnConnectionTarget(type="vpn_connection", vpn_connection_id=connection, **overrides)
    return VpnConnectionSubnets(config, factory, owned=owned, shared=shared, waiter=waiter)


def local_subnet(factory, connection="vco-1"):
    body = call("vpc", "DescribeVpnConnection", factory.vpc().describe_vpn_connection,
                models.DescribeVpnConnectionRequest(region_id=REGION, vpn_connection_id=connection))
    return body.local_subnet.split(",")


def set_local_subnet(cloud, factory, value):
    """Another writer replaces LocalSubnet (and the gateway finishes configuring)."""
    call("vpc", "ModifyVpnConnectionAttribute", factory.vpc().modify_vpn_connection_attribute,
         models.ModifyVpnConnectionAttributeRequest(region_id=REGION, vpn_connection_id="vco-1", local_subnet=value))
    cloud.advance(5)


def test_first_apply_adds_our_prefixes_in_one_write_and_says_the_tunnel_renegotiates(cloud, factory, waiter, marker,
                                                                                       writes):
    """All three prefixes are appended after the existing item in one write; the ledger lists exactly them."""
    target = vpn_target(factory, waiter)
    plan = target.plan(DESIRED, target.read_managed(marker))
    assert plan.renegotiates_tunnel and [c.prefix for c in plan.adds] == OURS
    assert plan.write_calls == 1  # what the keeper schedules by: LocalSubnet is written whole
    result = target.apply(plan)
    assert result.ok and result.renegotiates_tunnel and writes() == 1
    assert local_subnet(factory) == ["192.168.1.0/24", *OURS]
    assert result.owned_after == {"192.168.10.21/32": "vpc_endpoint", "100.103.9.188/32": "auth",
                                  "100.118.28.0/24": "oss"}


def test_second_run_with_the_saved_ledger_plans_and_writes_nothing(cloud, factory, waiter, marker, writes):
    """With the ledger from the first run, the plan is empty and applying it makes no write."""
    first = vpn_target(factory, waiter)
    ledger = first.apply(first.plan(DESIRED, first.read_managed(marker))).owned_after
    cloud.advance(5)
    mark = cloud.requests.last_seq()
    second = vpn_target(factory, waiter, owned=ledger)
    plan = second.plan(DESIRED, second.read_managed(marker))
    assert plan.empty and not plan.renegotiates_tunnel and len(plan.unchanged) == 3 and plan.write_calls == 0
    result = second.apply(plan)
    assert result.write_calls == 0 and not result.renegotiates_tunnel and writes(mark) == 0


def test_only_ledger_prefixes_are_removed(cloud, factory, waiter, marker):
    """Items acrguard did not add stay, even when a desired prefix equals one of them (it is covered, never owned);
    ledger items go."""
    set_local_subnet(cloud, factory, "192.168.1.0/24,100.118.28.0/24,100.103.9.188/32")
    target = vpn_target(factory, waiter, owned={"100.103.9.188/32": "auth"})
    plan = target.plan({("100.118.28.0/24", "oss")}, target.read_managed(marker))
    assert not plan.refusals and [(c.prefix, c.label) for c in plan.covered] == [("100.118.28.0/24",
                                                                                  "already in LocalSubnet")]
    assert [c.prefix for c in plan.removes] == ["100.103.9.188/32"] and not plan.adds
    assert target.apply(plan).ok
    assert local_subnet(factory) == ["192.168.1.0/24", "100.118.28.0/24"]
    assert plan.owned_after == {}


def test_without_a_ledger_nothing_is_ever_removed(cloud, factory, waiter, marker):
    """Unknown ownership is not ownership: with no ledger an empty desired set removes nothing."""
    set_local_subnet(cloud, factory, "192.168.1.0/24,100.118.28.0/24")
    target = vpn_target(factory, waiter, owned=None)
    assert target.plan(set(), target.read_managed(marker)).empty


def test_apply_reads_again_and_keeps_changes_made_since_the_plan(cloud, factory, waiter, marker):
    """Read-modify-write: an item added by someone after the plan survives our write."""
    target = vpn_target(factory, waiter)
    plan = target.plan(DESIRED, target.read_managed(marker))
    set_local_subnet(cloud, factory, "192.168.1.0/24,172.16.0.0/12")
    assert target.apply(plan).ok
    assert local_subnet(factory) == ["192.168.1.0/24", "172.16.0.0/12", *OURS]


def test_changes_already_in_place_count_as_done_without_a_write(cloud, factory, waiter, marker, writes):
    """If someone already made the planned change, apply reports it present and writes nothing."""
    target = vpn_target(factory, waiter)
    plan = target.plan({("100.118.28.0/24", "oss")}, target.read_managed(marker))
    set_local_subnet(cloud, factory, "192.168.1.0/24,100.118.28.0/24")
    mark = cloud.requests.last_seq()
    result = target.apply(plan)
    assert result.ok and result.already_present == ["100.118.28.0/24"] and writes(mark) == 0
    assert not result.renegotiates_tunnel


def test_a_gateway_still_configuring_is_waited_for(cloud, factory, waiter, marker):
    """A change right after another one meets VpnGateway.Configuring and is retried until it passes."""
    first = vpn_target(factory, waiter)
    ledger = first.apply(first.plan(DESIRED, first.read_managed(marker))).owned_after
    second = vpn_target(factory, waiter, owned=ledger)
    result = second.apply(second.plan({("100.118.28.0/24", "oss")}, second.read_managed(marker)))
    assert result.ok and sorted(result.deleted) == ["100.103.9.188/32", "192.168.10.21/32"]
    assert cloud.requests.count(action="ModifyVpnConnectionAttribute", ok=False) >= 1
    assert local_subnet(factory) == ["192.168.1.0/24", "100.118.28.0/24"]


def test_local_subnet_is_never_emptied(cloud, factory, waiter, marker):
    """When only our prefixes are listed, the last ones stay (LocalSubnet cannot be empty)."""
    set_local_subnet(cloud, factory, "100.118.28.0/24")
    target = vpn_target(factory, waiter, owned={"100.118.28.0/24": "oss"})
    plan = target.plan(set(), target.read_managed(marker))
    assert plan.empty and [(r.prefix, r.code) for r in plan.refusals] == [("100.118.28.0/24", "unsupported")]


def test_destination_routing_mode_is_not_edited(cloud, factory, waiter, marker):
    """A connection with 0.0.0.0/0 subnets is left alone; every desired prefix is refused as unsupported."""
    target = vpn_target(factory, waiter, connection="vco-any")
    plan = target.plan(DESIRED, target.read_managed(marker))
    assert plan.empty and {r.code for r in plan.refusals} == {"unsupported"} and len(plan.refusals) == 3


def test_quota_pressure_is_refused_in_the_plan(cloud, factory, waiter, marker):
    """A configured limit of 3 LocalSubnet items (one used) takes the first two families only, each whole."""
    target = vpn_target(factory, waiter, quota=3)
    plan = target.plan(DESIRED, target.read_managed(marker))
    assert [c.prefix for c in plan.adds] == OURS[:2]
    assert [(r.prefix, r.code) for r in plan.refusals] == [("100.118.28.0/24", "quota")]


def test_a_family_that_does_not_fit_is_refused_whole(cloud, factory, waiter, marker):
    """With one free item and two OSS ranges to add, neither range is added: the refusal says free and needed."""
    target = vpn_target(factory, waiter, quota=2)
    plan = target.plan({("100.118.28.0/24", "oss"), ("100.118.31.0/24", "oss")}, target.read_managed(marker))
    assert not plan.adds and plan.empty
    assert [(r.prefix, r.code) for r in plan.refusals] == [("100.118.28.0/24", "quota"), ("100.118.31.0/24", "quota")]
    assert "oss needs 2 new LocalSubnet items but only 1 of 2 are free" in plan.refusals[0].reason


def test_a_prefix_covered_by_a_broader_item_is_not_added(cloud, factory, waiter, marker, writes):
    """100.64.0.0/10 in LocalSubnet already carries the OSS ranges and auth addresses: nothing is written."""
    set_local_subnet(cloud, factory, "192.168.1.0/24,100.64.0.0/10")
    mark = cloud.requests.last_seq()
    target = vpn_target(factory, waiter)
    plan = target.plan({("100.118.28.0/24", "oss"), ("100.103.9.188", "auth")}, target.read_managed(marker))
    assert plan.empty and not plan.refusals and not plan.renegotiates_tunnel
    assert {(c.prefix, c.by) for c in plan.covered} == {("100.118.28.0/24", "100.64.0.0/10"),
                                                       ("100.103.9.188/32", "100.64.0.0/10")}
    assert plan.owned_after == {}  # a covering item is never taken into the ledger
    assert target.apply(plan).write_calls == 0 and writes(mark) == 0


def test_an_item_of_another_instances_ledger_is_co_owned_without_a_write(cloud, factory, waiter, marker):
    """A desired prefix another acrguard instance added is shared: no add, no refusal, and this ledger lists it."""
    set_local_subnet(cloud, factory, "192.168.1.0/24,100.118.28.0/24")
    target = vpn_target(factory, waiter, owned={}, shared={"100.118.28.0/24": "cri-other"})
    plan = target.plan({("100.118.28.0/24", "oss")}, target.read_managed(marker))
    assert plan.empty and not plan.refusals
    assert [c.label for c in plan.covered] == ["shared with acrguard instance cri-other"]
    assert plan.owned_after == {"100.118.28.0/24": "oss"}


def test_plans_of_instances_sharing_the_connection_are_written_together(cloud, factory, waiter, marker, writes):
    """Two instances' plans become one ModifyVpnConnectionAttribute; each result says what its own plan did."""
    first = vpn_target(factory, waiter)
    second = vpn_target(factory, waiter)
    plans = [first.plan({("100.118.28.0/24", "oss")}, first.read_managed(marker)),
             second.plan({("100.103.9.188", "auth")}, second.read_managed("acrguard:otherreg:"))]
    results = first.apply_all(plans)
    assert writes() == 1 and all(r.ok and r.renegotiates_tunnel for r in results)
    assert [r.created for r in results] == [["100.118.28.0/24"], ["100.103.9.188/32"]]
    assert [r.owned_after for r in results] == [{"100.118.28.0/24": "oss"}, {"100.103.9.188/32": "auth"}]
    assert [r.write_calls for r in results] == [1, 0]
    assert local_subnet(factory) == ["192.168.1.0/24", "100.118.28.0/24", "100.103.9.188/32"]


def test_repeating_an_earlier_change_is_not_swallowed_by_its_client_token(cloud, factory, waiter, marker):
    """Add, remove, add again gives the same change and token; apply notices nothing changed and writes afresh."""
    target = vpn_target(factory, waiter)
    ledger = target.apply(target.plan({("100.118.28.0/24", "oss")}, target.read_managed(marker))).owned_after
    cloud.advance(5)
    remover = vpn_target(factory, waiter, owned=ledger)
    remover.apply(remover.plan({("100.103.9.188", "auth")}, remover.read_managed(marker)))
    cloud.advance(5)
    set_local_subnet(cloud, factory, "192.168.1.0/24")
    again = vpn_target(factory, waiter)
    mark = cloud.requests.last_seq()
    assert again.apply(again.plan({("100.118.28.0/24", "oss")}, again.read_managed(marker))).ok
    assert local_subnet(factory) == ["192.168.1.0/24", "100.118.28.0/24"]
    tokens = [r.params["ClientToken"] for r in cloud.requests.filter(action="ModifyVpnConnectionAttribute",
                                                                       since=mark)]
    assert len(tokens) == 2 and tokens[0] != tokens[1]


def test_throttling_is_absorbed_by_the_factory_retries(cloud, factory, waiter, marker):
    """Throttling.User on the read and on the write is retried by the SDK."""
    rules = [cloud.inject(product="vpc", action=action, code="Throttling.User", times=2)
             for action in ("DescribeVpnConnection", "ModifyVpnConnectionAttribute")]
    target = vpn_target(factory, waiter)
    assert target.apply(target.plan(DESIRED, target.read_managed(marker))).ok
    assert [r.fired for r in rules] == [2, 2]


def test_a_change_reads_the_connection_before_and_after_its_write_and_no_more(cloud, factory, waiter, marker):
    """Plan, the read of read-modify-write, the write, and the read-back that also gives the final state."""
    target = vpn_target(factory, waiter)
    mark = cloud.requests.last_seq()
    assert target.apply(target.plan(DESIRED, target.read_managed(marker))).ok
    assert [r.action for r in cloud.requests.filter(product="vpc", since=mark)] == [
        "DescribeVpnConnection", "DescribeVpnConnection", "ModifyVpnConnectionAttribute", "DescribeVpnConnection"]


def test_a_change_already_in_place_is_verified_by_the_read_before_the_write(cloud, factory, waiter, marker):
    """When the re-read shows the planned list, nothing is written and nothing more is read."""
    target = vpn_target(factory, waiter)
    plan = target.plan({("100.118.28.0/24", "oss")}, target.read_managed(marker))
    set_local_subnet(cloud, factory, "192.168.1.0/24,100.118.28.0/24")
    mark = cloud.requests.last_seq()
    result = target.apply(plan)
    assert result.ok and result.already_present == ["100.118.28.0/24"] and result.owned_after == {
        "100.118.28.0/24": "oss"}
    assert [r.action for r in cloud.requests.filter(product="vpc", since=mark)] == ["DescribeVpnConnection"]
