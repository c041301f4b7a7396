"""VPC/VBR route table targets: read marked entries, plan, apply through the real VPC SDK on the local cloud."""

from __future__ import annotations

import dataclasses

import pytest
from alibabacloud_vpc20160428 import models

from acrguard.clients import call
from acrguard.config.routes import RouteTableTarget
from acrguard.routes.targets.base import RouteChange
from acrguard.routes.targets.route_table import RouteTableRoutes
from acrguard.routes.targets.waiting import Waiter
from localcloud import LocalCloud
from support import ACCOUNT, REGION, base_world, make_factory

VBR, VPC = "vtb-vbr1", "vtb-vpc1"
DESIRED = {("192.168.10.21", "vpc_endpoint"), ("100.103.9.188", "auth"), ("100.103.7.181", "auth"),
           ("100.118.28.0/24", "oss"), ("100.118.31.0/24", "oss")}


@pytest.fixture
def world():
    """A VBR table (quota 8) holding an IDC route and taking prefixes inside 100.64.0.0/10 (the zh revision of
    CreateRouteEntry that allows more specific ones), and a VPC table with its system routes."""
    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["vpc"] = {
        "route_entry_delay_s": 2,
        "route_tables": [
            {"id": VBR, "type": "VBR", "vbr_id": "vbr-1", "quota": 8, "service_range": "more_specific", "entries": [
                {"id": "rte-idc", "destination": "10.0.0.0/8", "next_hop_type": "RouterInterface",
                 "next_hop_id": "ri-idc", "name": "idc-uplink"}]},
            {"id": VPC, "type": "VRouter", "vpc_id": "vpc-test1", "entries": [
                {"destination": "100.64.0.0/10", "type": "System", "next_hop_type": "service"},
                {"destination": "192.168.10.0/24", "type": "System", "next_hop_type": "local"}]},
        ],
    }
    return data


def vbr_target(factory, waiter, **overrides) -> RouteTableRoutes:
    config = RouteTableTarget(**{"type": "vbr_route_table", "route_table_id": VBR, "next_hop_id": "ri-1", **overrides})
    return RouteTableRoutes(config, factory, waiter)


def add_foreign(cloud, factory, destination, name="", hop="ri-1"):
    """Someone else's custom route, created directly through the SDK and left to settle."""
    request = models.CreateRouteEntryRequest(region_id=REGION, route_table_id=VBR, destination_cidr_block=destination,
                                             next_hop_type="RouterInterface", next_hop_id=hop,
                                             route_entry_name=name or None)
    entry_id = call("vpc", "CreateRouteEntry", factory.vpc().create_route_entry, request).route_entry_id
    cloud.advance(2)
    return entry_id


def table(factory, table_id=VBR):
    """Every entry of a table as (destination, name, status, next hop id)."""
    request = models.DescribeRouteEntryListRequest(region_id=REGION, route_table_id=table_id, max_result=100)
    rows = call("vpc", "DescribeRouteEntryList", factory.vpc().describe_route_entry_list, request)
    return {(e.destination_cidr_block, e.route_entry_name, e.status, e.next_hops.next_hop[0].next_hop_id)
            for e in rows.route_entrys.route_entry}


def test_first_apply_creates_exactly_the_needed_routes(cloud, factory, waiter, marker, writes):
    """Five desired prefixes become five marked, Available routes to the configured next hop, with five writes."""
    target = vbr_target(factory, waiter)
    plan = target.plan(DESIRED, target.read_managed(marker))
    assert sorted(c.prefix for c in plan.adds) == sorted(
        ["192.168.10.21/32", "100.103.9.188/32", "100.103.7.181/32", "100.118.28.0/24", "100.118.31.0/24"])
    assert [c.family for c in plan.adds] == ["vpc_endpoint", "auth", "auth", "oss", "oss"]
    assert plan.write_calls == 5  # what the keeper schedules by: one write per entry
    result = target.apply(plan)
    assert result.ok and len(result.created) == 5 and writes() == 5
    assert table(factory) == {
        ("10.0.0.0/8", "idc-uplink", "Available", "ri-idc"),
        ("192.168.10.21/32", f"{marker}vpc_endpoint", "Available", "ri-1"),
        ("100.103.7.181/32", f"{marker}auth", "Available", "ri-1"),
        ("100.103.9.188/32", f"{marker}auth", "Available", "ri-1"),
        ("100.118.28.0/24", f"{marker}oss", "Available", "ri-1"),
        ("100.118.31.0/24", f"{marker}oss", "Available", "ri-1"),
    }


def test_second_run_plans_nothing_and_writes_nothing(cloud, factory, waiter, marker, writes):
    """After a successful apply the next plan is empty and applying it makes zero write calls."""
    target = vbr_target(factory, waiter)
    target.apply(target.plan(DESIRED, target.read_managed(marker)))
    mark = cloud.requests.last_seq()
    again = target.plan(DESIRED, target.read_managed(marker))
    assert again.empty and len(again.unchanged) == 5 and not again.refusals
    assert target.apply(again).write_calls == 0
    assert writes(mark) == 0


def test_unmarked_routes_are_never_touched(cloud, factory, waiter, marker):
    """A foreign route on a desired destination is refused, not replaced; another instance's is shared; neither
    is ever removed."""
    manual = add_foreign(cloud, factory, "100.118.28.0/24", name="ops-manual")
    other = add_foreign(cloud, factory, "100.118.31.0/24", name="acrguard:otherreg:oss")
    target = vbr_target(factory, waiter)
    plan = target.plan(DESIRED, target.read_managed(marker))
    refused = {r.prefix: r.code for r in plan.refusals}
    assert refused == {"100.118.28.0/24": "foreign"}
    assert [(c.prefix, c.label) for c in plan.covered] == [("100.118.31.0/24", "shared with acrguard instance "
                                                                                 "otherreg")]
    target.apply(plan)
    emptied = target.plan(set(), target.read_managed(marker))
    assert {c.prefix for c in emptied.removes} == {"192.168.10.21/32", "100.103.9.188/32", "100.103.7.181/32"}
    assert target.apply(emptied).ok
    assert table(factory) == {("10.0.0.0/8", "idc-uplink", "Available", "ri-idc"),
                              ("100.118.28.0/24", "ops-manual", "Available", "ri-1"),
                              ("100.118.31.0/24", "acrguard:otherreg:oss", "Available", "ri-1")}
    assert {manual, other} <= {f.entry_id for f in target.read_managed(marker).foreign}


def test_another_instances_route_to_another_hop_is_refused_not_shared(cloud, factory, waiter, marker):
    """An entry marked for another acrguard instance is shared only when it points where this target is configured."""
    add_foreign(cloud, factory, "100.118.31.0/24", name="acrguard:otherreg:oss", hop="ri-other")
    target = vbr_target(factory, waiter)
    plan = target.plan({("100.118.31.0/24", "oss")}, target.read_managed(marker))
    assert [(r.prefix, r.code) for r in plan.refusals] == [("100.118.31.0/24", "foreign")] and not plan.covered


def test_route_created_meanwhile_by_another_writer_counts_as_present(cloud, factory, waiter, marker):
    """A create answered Duplicated.VpcNextHop by an entry with the configured hop is a success."""
    target = vbr_target(factory, waiter)
    plan = target.plan({("100.118.28.0/24", "oss")}, target.read_managed(marker))
    add_foreign(cloud, factory, "100.118.28.0/24", name=f"{marker}oss")
    result = target.apply(plan)
    assert result.ok and result.already_present == ["100.118.28.0/24"] and not result.created


def test_route_deleted_meanwhile_by_another_writer_counts_as_gone(cloud, factory, waiter, marker):
    """A delete answered InvalidRouteEntryId.NotFound is a success."""
    target = vbr_target(factory, waiter)
    target.apply(target.plan({("100.118.28.0/24", "oss")}, target.read_managed(marker)))
    plan = target.plan(set(), target.read_managed(marker))
    call("vpc", "DeleteRouteEntry", factory.vpc().delete_route_entry,
         models.DeleteRouteEntryRequest(region_id=REGION, route_entry_id=plan.removes[0].entry_id))
    cloud.advance(2)
    result = target.apply(plan)
    assert result.ok and result.already_gone == ["100.118.28.0/24"]


def test_pending_entries_are_waited_for_before_and_after_each_write(cloud, factory, waiter, marker):
    """With a foreign entry still Pending, apply waits instead of colliding, and returns with every entry Available."""
    call("vpc", "CreateRouteEntry", factory.vpc().create_route_entry, models.CreateRouteEntryRequest(
        region_id=REGION, route_table_id=VBR, destination_cidr_block="172.16.0.0/12", next_hop_type="RouterInterface",
        next_hop_id="ri-idc"))
    target = vbr_target(factory, waiter)
    plan = target.plan(DESIRED, target.read_managed(marker))
    assert plan.settling
    started = cloud.clock.now()
    assert target.apply(plan).ok
    assert not [r for r in cloud.requests.all() if r.error_code == "IncorrectRouteEntryStatus"]
    assert {status for _, _, status, _ in table(factory)} == {"Available"}
    assert cloud.clock.now() - started >= 2 * 6  # the pending entry, then each of the five new ones


def test_waiting_too_long_is_a_transient_failure_that_stops_the_run(cloud, factory, marker):
    """When an entry does not settle in time, apply stops with a transient failure and skips the rest."""
    impatient = Waiter(timeout_s=1, interval_s=0.5, sleep=cloud.advance)
    target = vbr_target(factory, impatient)
    result = target.apply(target.plan(DESIRED, target.read_managed(marker)))
    assert result.transient and not result.ok
    assert result.created == ["192.168.10.21/32"] and len(result.skipped) == 4
    assert result.failures[0].code == "Timeout"


def test_quota_pressure_is_refused_in_the_plan(cloud, factory, waiter, marker):
    """With 3 of 4 entries free only the first three (by family order) are planned; the rest are refused."""
    target = vbr_target(factory, waiter, quota=4)
    plan = target.plan(DESIRED, target.read_managed(marker))
    assert [c.prefix for c in plan.adds] == ["192.168.10.21/32", "100.103.7.181/32", "100.103.9.188/32"]
    assert [(r.prefix, r.code) for r in plan.refusals] == [("100.118.28.0/24", "quota"), ("100.118.31.0/24", "quota")]
    assert target.apply(plan).ok
    assert not [r for r in cloud.requests.all() if r.error_code == "QuotaExceeded"]


def test_vpc_table_refuses_prefixes_in_the_service_range(cloud, factory, waiter, marker):
    """On a VPC table 100.64.0.0/10 prefixes are refused (reserved_range); the VPC endpoint address is routed."""
    config = RouteTableTarget(type="vpc_route_table", route_table_id=VPC, next_hop_type="VpnGateway",
                              next_hop_id="vpn-1")
    target = RouteTableRoutes(config, factory, waiter)
    plan = target.plan(DESIRED, target.read_managed(marker))
    assert [c.prefix for c in plan.adds] == ["192.168.10.21/32"]
    assert {r.code for r in plan.refusals} == {"reserved_range"} and len(plan.refusals) == 4
    assert target.apply(plan).ok
    assert not [r for r in cloud.requests.all() if r.error_code]


def test_throttling_is_absorbed_by_the_factory_retries(cloud, factory, waiter, marker):
    """Two Throttling.User answers on CreateRouteEntry are retried by the SDK; the run still succeeds."""
    rule = cloud.inject(product="vpc", action="CreateRouteEntry", code="Throttling.User", times=2)
    target = vbr_target(factory, waiter)
    result = target.apply(target.plan(DESIRED, target.read_managed(marker)))
    assert result.ok and len(result.created) == 5 and rule.fired == 2


def test_changed_next_hop_replaces_the_route_removal_first(cloud, factory, waiter, marker):
    """When the configured next hop changes, each route is deleted and then re-created to the new hop."""
    original = vbr_target(factory, waiter)
    original.apply(original.plan({("100.118.28.0/24", "oss")}, original.read_managed(marker)))
    moved = vbr_target(factory, waiter, next_hop_id="ri-2")
    plan = moved.plan({("100.118.28.0/24", "oss")}, moved.read_managed(marker))
    assert [c.reason for c in plan.removes] == ["next hop changed"] and plan.adds[0].after_removal
    mark = cloud.requests.last_seq()
    assert moved.apply(plan).ok
    assert [r.action for r in cloud.requests.filter(action=("CreateRouteEntry", "DeleteRouteEntry"), since=mark)] == \
        ["DeleteRouteEntry", "CreateRouteEntry"]
    assert ("100.118.28.0/24", f"{marker}oss", "Available", "ri-2") in table(factory)


def test_readding_a_removed_route_is_not_swallowed_by_a_repeated_client_token(cloud, factory, waiter, marker):
    """Add, remove, add again from the same state repeats the token; apply notices and creates it afresh."""
    target = vbr_target(factory, waiter)
    wanted = {("100.118.28.0/24", "oss")}
    first = target.plan(wanted, target.read_managed(marker))
    target.apply(first)
    target.apply(target.plan(set(), target.read_managed(marker)))
    again = target.plan(wanted, target.read_managed(marker))
    assert again.adds[0].client_token == first.adds[0].client_token
    mark = cloud.requests.last_seq()
    assert target.apply(again).ok
    tokens = [r.params["ClientToken"] for r in cloud.requests.filter(action="CreateRouteEntry", since=mark)]
    assert len(tokens) == 2 and tokens[0] == first.adds[0].client_token != tokens[1]
    assert ("100.118.28.0/24", f"{marker}oss", "Available", "ri-1") in table(factory)


def test_retried_apply_of_the_same_plan_creates_each_route_once(cloud, factory, waiter, marker):
    """Applying one plan twice (a retried run) is deduplicated by the client token: one entry per prefix."""
    target = vbr_target(factory, waiter)
    plan = target.plan(DESIRED, target.read_managed(marker))
    target.apply(plan)
    assert target.apply(plan).ok
    assert len(target.read_managed(marker).managed) == 5
    assert not [r for r in cloud.requests.all() if r.error_code]


def test_a_removal_without_the_marker_is_refused_before_any_call(cloud, factory, waiter, marker, writes):
    """A hand-made plan that would delete an unmarked entry is rejected with an error, nothing is written."""
    target = vbr_target(factory, waiter)
    plan = target.plan(set(), target.read_managed(marker))
    forged = dataclasses.replace(plan, removes=(RouteChange("10.0.0.0/8", "oss", "10.0.0.0/8", "idc-uplink",
                                                            entry_id="rte-idc"),))
    with pytest.raises(ValueError, match="does not carry acrguard's marker"):
        target.apply(forged)
    assert writes() == 0


def test_a_refused_add_keeps_the_removals_of_its_family(cloud, factory, waiter, marker):
    """When the replacing route is refused (the table filled up meanwhile: QuotaExceeded), the old route is kept."""
    target = vbr_target(factory, waiter)
    target.apply(target.plan({("100.118.28.0/24", "oss")}, target.read_managed(marker)))
    plan = target.plan({("100.118.31.0/24", "oss")}, target.read_managed(marker))
    for third in range(6):
        add_foreign(cloud, factory, f"172.16.{third}.0/24", name="ops")
    result = target.apply(plan)
    assert [(r.prefix, r.code, r.cloud_code) for r in result.refused] == [("100.118.31.0/24", "quota", "QuotaExceeded")]
    assert not result.failures and not result.transient
    assert result.kept_back == ["100.118.28.0/24"] and not result.deleted
    assert ("100.118.28.0/24", f"{marker}oss", "Available", "ri-1") in table(factory)


def test_a_failed_add_holds_back_the_removals(cloud, factory, waiter, marker):
    """When an add fails (a foreign entry took its destination meanwhile), no removal is made."""
    target = vbr_target(factory, waiter)
    target.apply(target.plan({("100.118.28.0/24", "oss")}, target.read_managed(marker)))
    plan = target.plan({("100.103.9.188/32", "auth")}, target.read_managed(marker))
    add_foreign(cloud, factory, "100.103.9.188/32", name="ops", hop="ri-other")
    result = target.apply(plan)
    assert [f.code for f in result.failures] == ["InvalidCIDRBlock.Duplicate"] and not result.transient
    assert result.skipped == ["100.118.28.0/24"] and not result.deleted and not result.already_present
    assert ("100.118.28.0/24", f"{marker}oss", "Available", "ri-1") in table(factory)


def test_a_duplicate_held_by_another_hop_is_a_failure(cloud, factory, waiter, marker):
    """InvalidCIDRBlock.Duplicate from an entry pointing elsewhere is not taken for ours."""
    target = vbr_target(factory, waiter)
    plan = target.plan({("100.118.28.0/24", "oss")}, target.read_managed(marker))
    add_foreign(cloud, factory, "100.118.28.0/24", name=f"{marker}oss", hop="ri-other")
    result = target.apply(plan)
    assert [f.code for f in result.failures] == ["InvalidCIDRBlock.Duplicate"] and not result.already_present


def refusing_world() -> dict:
    """A VBR table that refuses destinations inside 100.64.0.0/10, as the CreateRouteEntry pages say."""
    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["vpc"] = {
        "route_entry_delay_s": 0, "route_tables": [{"id": VBR, "type": "VBR", "vbr_id": "vbr-1"}]}
    return data


def test_vbr_table_refusing_the_service_range_is_a_refusal_not_a_failure(marker):
    """InvalidCidrBlock for the auth and OSS prefixes is a lasting refusal (service_range); the ENI route is made."""
    with LocalCloud(refusing_world()) as cloud:
        factory = make_factory(cloud)
        target = vbr_target(factory, Waiter(timeout_s=10, interval_s=1, sleep=cloud.advance))
        result = target.apply(target.plan(DESIRED, target.read_managed(marker)))
        assert result.created == ["192.168.10.21/32"] and result.ok and not result.transient
        assert {(r.prefix, r.family, r.code, r.cloud_code) for r in result.refused} == {
            ("100.103.9.188/32", "auth", "service_range", "InvalidCidrBlock"),
            ("100.103.7.181/32", "auth", "service_range", "InvalidCidrBlock"),
            ("100.118.28.0/24", "oss", "service_range", "InvalidCidrBlock"),
            ("100.118.31.0/24", "oss", "service_range", "InvalidCidrBlock")}
        assert all("100.64.0.0/10" in r.reason for r in result.refused)
        assert cloud.requests.count(action="CreateRouteEntry") == 5


def test_a_create_that_settles_at_once_costs_one_status_poll(cloud, factory, waiter, marker):
    """The status read that checks a create took effect is also its wait: one poll per write when settled."""
    cloud.backend("vpc", ACCOUNT, REGION).delay = 0
    target = vbr_target(factory, waiter)
    plan = target.plan(DESIRED, target.read_managed(marker))
    mark = cloud.requests.last_seq()
    assert target.apply(plan).ok
    assert cloud.requests.count(action="CreateRouteEntry", since=mark) == 5
    assert cloud.requests.count(action="DescribeRouteEntryList", since=mark) == 5


def test_a_pending_create_is_polled_again_only_after_an_interval(cloud, factory, waiter, marker):
    """An entry seen Pending by that first read is next read one interval later (2 s to settle: 3 reads)."""
    target = vbr_target(factory, waiter)
    plan = target.plan(DESIRED, target.read_managed(marker))
    mark = cloud.requests.last_seq()
    assert target.apply(plan).ok
    assert cloud.requests.count(action="DescribeRouteEntryList", since=mark) == 5 * 3
