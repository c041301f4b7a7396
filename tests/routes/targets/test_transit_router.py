"""Transit router route table targets through the real CEN SDK on the local cloud."""

from __future__ import annotations

import pytest
from alibabacloud_cbn20170912 import models

from acrguard.clients import call
from acrguard.config.routes import TransitRouterTarget
from acrguard.routes.targets.transit_router import TransitRouterRoutes
from support import ACCOUNT, base_world

TABLE, ATTACHMENT = "vtb-tr1", "tr-attach-vpc1"
DESIRED = {("192.168.10.21", "vpc_endpoint"), ("100.103.9.188", "auth"), ("100.118.28.0/24", "oss")}


@pytest.fixture
def world():
    """A transit router route table with an IDC static route and a propagated VPC route."""
    data = base_world()
    data["accounts"][ACCOUNT]["global"]["cbn"] = {
        "async_delay_s": 2,
        "transit_router_route_tables": [{
            "id": TABLE, "transit_router_id": "tr-1", "attachments": [ATTACHMENT, "tr-attach-vbr1"],
            "entries": [{"id": "rte-idc", "destination": "10.0.0.0/8", "next_hop_id": "tr-attach-vbr1", "name": "idc"},
                        {"destination": "192.168.0.0/16", "type": "Propagated", "next_hop_id": ATTACHMENT}]}],
    }
    return data


def tr_target(factory, waiter, **overrides) -> TransitRouterRoutes:
    config = TransitRouterTarget(**{"type": "cen_transit_router", "route_table_id": TABLE,
                                    "attachment_id": ATTACHMENT, **overrides})
    return TransitRouterRoutes(config, factory, waiter)


def routes(factory):
    """Every route as (destination, name, status, next hop)."""
    body = call("cbn", "ListTransitRouterRouteEntries", factory.cbn().list_transit_router_route_entries,
                models.ListTransitRouterRouteEntriesRequest(transit_router_route_table_id=TABLE,
                                                            transit_router_route_entry_status="All", max_results=100))
    return {(e.transit_router_route_entry_destination_cidr_block, e.transit_router_route_entry_name,
             e.transit_router_route_entry_status, e.transit_router_route_entry_next_hop_id)
            for e in body.transit_router_route_entries}


def test_first_apply_creates_exactly_the_needed_routes_then_nothing(cloud, factory, waiter, marker, writes):
    """Three static routes to the VPC attachment, three writes; the second run plans and writes nothing."""
    target = tr_target(factory, waiter)
    result = target.apply(target.plan(DESIRED, target.read_managed(marker)))
    assert result.ok and len(result.created) == 3 and writes() == 3
    assert routes(factory) == {("10.0.0.0/8", "idc", "Active", "tr-attach-vbr1"),
                               ("192.168.0.0/16", "", "Active", ATTACHMENT),
                               ("192.168.10.21/32", f"{marker}vpc_endpoint", "Active", ATTACHMENT),
                               ("100.103.9.188/32", f"{marker}auth", "Active", ATTACHMENT),
                               ("100.118.28.0/24", f"{marker}oss", "Active", ATTACHMENT)}
    mark = cloud.requests.last_seq()
    again = target.plan(DESIRED, target.read_managed(marker))
    assert again.empty and target.apply(again).write_calls == 0 and writes(mark) == 0


def test_unmarked_and_propagated_routes_are_never_touched(cloud, factory, waiter, marker):
    """Desired prefixes held by foreign routes are refused; emptying the target removes only marked routes."""
    target = tr_target(factory, waiter)
    plan = target.plan(DESIRED | {("10.0.0.0/8", "oss"), ("192.168.0.0/16", "oss")}, target.read_managed(marker))
    assert {(r.prefix, r.code) for r in plan.refusals} == {("10.0.0.0/8", "foreign"), ("192.168.0.0/16", "foreign")}
    target.apply(plan)
    assert target.apply(target.plan(set(), target.read_managed(marker))).ok
    assert routes(factory) == {("10.0.0.0/8", "idc", "Active", "tr-attach-vbr1"),
                               ("192.168.0.0/16", "", "Active", ATTACHMENT)}


def test_duplicate_and_not_found_races_are_successes(cloud, factory, waiter, marker):
    """InstanceExist on create and IllegalParam.TransitRouterRouteEntryId on delete both count as done."""
    target = tr_target(factory, waiter)
    plan = target.plan({("100.118.28.0/24", "oss")}, target.read_managed(marker))
    call("cbn", "CreateTransitRouterRouteEntry", factory.cbn().create_transit_router_route_entry,
         models.CreateTransitRouterRouteEntryRequest(
             transit_router_route_table_id=TABLE, transit_router_route_entry_destination_cidr_block="100.118.28.0/24",
             transit_router_route_entry_next_hop_type="Attachment", transit_router_route_entry_next_hop_id=ATTACHMENT,
             transit_router_route_entry_name=f"{marker}oss"))
    cloud.advance(2)
    added = target.apply(plan)
    assert added.ok and added.already_present == ["100.118.28.0/24"]
    removal = target.plan(set(), target.read_managed(marker))
    call("cbn", "DeleteTransitRouterRouteEntry", factory.cbn().delete_transit_router_route_entry,
         models.DeleteTransitRouterRouteEntryRequest(transit_router_route_entry_id=removal.removes[0].entry_id))
    cloud.advance(2)
    removed = target.apply(removal)
    assert removed.ok and removed.already_gone == ["100.118.28.0/24"]


def test_creating_entries_are_waited_for_together(cloud, factory, waiter, marker):
    """apply returns only once its routes are Active, having written all three before waiting for any."""
    target = tr_target(factory, waiter)
    plan = target.plan(DESIRED, target.read_managed(marker))
    started, mark = cloud.clock.now(), cloud.requests.last_seq()
    assert target.apply(plan).ok
    assert {status for _, _, status, _ in routes(factory)} == {"Active"}
    assert 2 <= cloud.clock.now() - started < 2 * 2  # one settling delay (2 s), not one per route
    actions = [r.action for r in cloud.requests.all() if r.seq > mark]
    assert actions[:3] == ["CreateTransitRouterRouteEntry"] * 3
    # then a read of the whole table each simulated second until the last route settles (2 s after its create)
    assert set(actions[3:]) == {"ListTransitRouterRouteEntries"} and len(actions[3:]) in (3, 4)


def test_a_chain_that_settles_at_once_costs_one_read(cloud, factory, waiter, marker):
    """Writes that settle at once are checked by one read of the table, whatever their number."""
    cloud.backend("cbn", ACCOUNT, None).delay = 0  # the world's async_delay_s, as a world with 0 would set it
    target = tr_target(factory, waiter)
    plan = target.plan(DESIRED, target.read_managed(marker))
    mark = cloud.requests.last_seq()
    assert target.apply(plan).ok
    assert [r.action for r in cloud.requests.all() if r.seq > mark] == \
        ["CreateTransitRouterRouteEntry"] * 3 + ["ListTransitRouterRouteEntries"]


def test_quota_pressure_is_refused_in_the_plan(cloud, factory, waiter, marker):
    """With a quota of 3 static routes and one used, only two adds fit; the OSS range is refused."""
    target = tr_target(factory, waiter, quota=3)
    plan = target.plan(DESIRED, target.read_managed(marker))
    assert [c.prefix for c in plan.adds] == ["192.168.10.21/32", "100.103.9.188/32"]
    assert [(r.prefix, r.code) for r in plan.refusals] == [("100.118.28.0/24", "quota")]


def test_throttling_is_absorbed_by_the_factory_retries(cloud, factory, waiter, marker):
    """Throttling.User on the listing and the create is retried by the SDK."""
    rules = [cloud.inject(product="cbn", action=action, code="Throttling.User", times=2)
             for action in ("ListTransitRouterRouteEntries", "CreateTransitRouterRouteEntry")]
    target = tr_target(factory, waiter)
    assert target.apply(target.plan(DESIRED, target.read_managed(marker))).ok
    assert [r.fired for r in rules] == [2, 2]


def test_a_changed_next_hop_is_replaced_only_once_the_old_route_is_gone(cloud, factory, waiter, marker):
    """The old route is deleted, the table read until it is gone, and only then the new one created (same
    destination); one more read sees it Active."""
    call("cbn", "CreateTransitRouterRouteEntry", factory.cbn().create_transit_router_route_entry,
         models.CreateTransitRouterRouteEntryRequest(
             transit_router_route_table_id=TABLE, transit_router_route_entry_destination_cidr_block="100.118.28.0/24",
             transit_router_route_entry_next_hop_type="Attachment",
             transit_router_route_entry_next_hop_id="tr-attach-vbr1", transit_router_route_entry_name=f"{marker}oss"))
    cloud.advance(2)
    target = tr_target(factory, waiter)
    plan = target.plan({("100.118.28.0/24", "oss")}, target.read_managed(marker))
    assert [c.reason for c in plan.removes] == ["next hop changed"] and plan.adds[0].after_removal
    mark = cloud.requests.last_seq()
    assert target.apply(plan).ok
    actions = [r.action for r in cloud.requests.all() if r.seq > mark]
    create = actions.index("CreateTransitRouterRouteEntry")
    assert actions[0] == "DeleteTransitRouterRouteEntry" and actions[create - 1] == "ListTransitRouterRouteEntries"
    assert actions[create + 1:] and set(actions[create + 1:]) == {"ListTransitRouterRouteEntries"}
    assert ("100.118.28.0/24", f"{marker}oss", "Active", ATTACHMENT) in routes(factory)
