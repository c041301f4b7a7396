"""CEN cloud-service access targets through the real CEN SDK on the local cloud."""

from __future__ import annotations

import pytest
from alibabacloud_cbn20170912 import models

from acrguard.clients import call
from acrguard.config.routes import CenServiceTarget
from acrguard.routes.targets.cen_service import CenServiceRoutes
from support import ACCOUNT, base_world

CEN = "cen-1"
DESIRED = {("192.168.10.21", "vpc_endpoint"), ("100.103.9.188", "auth"), ("100.118.28.0/24", "oss")}


@pytest.fixture
def world():
    """A CEN with the instance VPC attached in Hangzhou and one manually configured cloud-service route."""
    data = base_world()
    data["accounts"][ACCOUNT]["global"]["cbn"] = {
        "async_delay_s": 2,
        "cen_instances": [{"id": CEN, "attached_vpcs": {"cn-hangzhou": ["vpc-test1"]}, "route_services": [
            {"host": "100.98.170.0/24", "host_region_id": "cn-hangzhou", "host_vpc_id": "vpc-test1",
             "access_region_id": "cn-hangzhou", "description": "set up by ops"}]}],
    }
    return data


def cen_target(factory, waiter, **overrides) -> CenServiceRoutes:
    config = CenServiceTarget(**{"type": "cen_service", "cen_id": CEN, "host_region_id": "cn-hangzhou",
                                 "host_vpc_id": "vpc-test1", "access_region_ids": ("cn-hangzhou", "cn-shanghai"),
                                 **overrides})
    return CenServiceRoutes(config, factory, waiter)


def services(factory):
    """Every cloud-service route as (host, access region, description, status)."""
    body = call("cbn", "DescribeRouteServicesInCen", factory.cbn().describe_route_services_in_cen,
                models.DescribeRouteServicesInCenRequest(cen_id=CEN, page_size=50))
    return {(s.host, s.access_region_id, s.description, s.status)
            for s in body.route_service_entries.route_service_entry or []}


def test_first_apply_routes_each_service_prefix_to_each_access_region_then_nothing(cloud, factory, waiter, marker,
                                                                                  writes):
    """Two service prefixes x two access regions = four Active entries; the VPC address is refused; rerun is empty."""
    target = cen_target(factory, waiter)
    plan = target.plan(DESIRED, target.read_managed(marker))
    assert [(r.prefix, r.code) for r in plan.refusals] == [("192.168.10.21/32", "out_of_range")]
    result = target.apply(plan)
    assert result.ok and writes() == 4
    assert services(factory) == {
        ("100.98.170.0/24", "cn-hangzhou", "set up by ops", "Active"),
        ("100.103.9.188/32", "cn-hangzhou", f"{marker}auth", "Active"),
        ("100.103.9.188/32", "cn-shanghai", f"{marker}auth", "Active"),
        ("100.118.28.0/24", "cn-hangzhou", f"{marker}oss", "Active"),
        ("100.118.28.0/24", "cn-shanghai", f"{marker}oss", "Active"),
    }
    mark = cloud.requests.last_seq()
    again = target.plan(DESIRED, target.read_managed(marker))
    assert again.empty and target.apply(again).write_calls == 0 and writes(mark) == 0


def test_unmarked_service_routes_are_never_touched(cloud, factory, waiter, marker):
    """A desired prefix routed by hand for one region is refused there and added for the other; removal spares it."""
    target = cen_target(factory, waiter)
    plan = target.plan({("100.98.170.0/24", "oss")}, target.read_managed(marker))
    assert [(r.prefix, r.code) for r in plan.refusals] == [("100.98.170.0/24", "foreign")]
    assert [c.key for c in plan.adds] == ["100.98.170.0/24 from cn-shanghai"]
    target.apply(plan)
    assert target.apply(target.plan(set(), target.read_managed(marker))).ok
    assert services(factory) == {("100.98.170.0/24", "cn-hangzhou", "set up by ops", "Active")}


def resolve_marked(factory, marker):
    """Another writer routes the OSS range from Hangzhou with acrguard's marker (the entry starts Creating)."""
    call("cbn", "ResolveAndRouteServiceInCen", factory.cbn().resolve_and_route_service_in_cen,
         models.ResolveAndRouteServiceInCenRequest(cen_id=CEN, host="100.118.28.0/24", host_region_id="cn-hangzhou",
                                                   host_vpc_id="vpc-test1", access_region_ids=["cn-hangzhou"],
                                                   description=f"{marker}oss"))


def test_duplicate_race_counts_as_present(cloud, factory, waiter, marker):
    """A create answered CloudRoute.Exist is a success, and apply still waits for the entry to be Active."""
    target = cen_target(factory, waiter, access_region_ids=("cn-hangzhou",))
    plan = target.plan({("100.118.28.0/24", "oss")}, target.read_managed(marker))
    resolve_marked(factory, marker)
    result = target.apply(plan)
    assert result.ok and result.already_present == ["100.118.28.0/24"]
    assert ("100.118.28.0/24", "cn-hangzhou", f"{marker}oss", "Active") in services(factory)


def test_removal_of_a_creating_entry_waits_instead_of_failing(cloud, factory, waiter, marker):
    """A removal planned while the entry is Creating waits for it to settle; no 403 reaches the caller."""
    target = cen_target(factory, waiter, access_region_ids=("cn-hangzhou",))
    resolve_marked(factory, marker)
    removal = target.plan(set(), target.read_managed(marker))
    assert removal.settling and [c.key for c in removal.removes] == ["100.118.28.0/24 from cn-hangzhou"]
    assert target.apply(removal).ok
    assert not [r for r in cloud.requests.all() if r.error_code == "InvalidOperation.CloudRouteStatusNotAllow"]
    assert services(factory) == {("100.98.170.0/24", "cn-hangzhou", "set up by ops", "Active")}


def test_removal_of_an_entry_already_gone_succeeds(cloud, factory, waiter, marker):
    """Deleting a route someone removed meanwhile succeeds (the API answers success for a missing route)."""
    target = cen_target(factory, waiter, access_region_ids=("cn-hangzhou",))
    target.apply(target.plan({("100.118.28.0/24", "oss")}, target.read_managed(marker)))
    removal = target.plan(set(), target.read_managed(marker))
    call("cbn", "DeleteRouteServiceInCen", factory.cbn().delete_route_service_in_cen,
         models.DeleteRouteServiceInCenRequest(cen_id=CEN, host="100.118.28.0/24", host_region_id="cn-hangzhou",
                                               access_region_id="cn-hangzhou"))
    cloud.advance(2)
    assert target.apply(removal).ok


def test_quota_pressure_is_refused_in_the_plan(cloud, factory, waiter, marker):
    """With a quota of 3 entries (one used) only two of the four entries are planned."""
    target = cen_target(factory, waiter, quota=3)
    plan = target.plan(DESIRED, target.read_managed(marker))
    assert [c.key for c in plan.adds] == ["100.103.9.188/32 from cn-hangzhou", "100.103.9.188/32 from cn-shanghai"]
    assert sorted((r.prefix, r.code) for r in plan.refusals) == [
        ("100.118.28.0/24", "quota"), ("100.118.28.0/24", "quota"), ("192.168.10.21/32", "out_of_range")]


def test_throttling_is_absorbed_by_the_factory_retries(cloud, factory, waiter, marker):
    """Throttling.User on ResolveAndRouteServiceInCen is retried by the SDK."""
    rule = cloud.inject(product="cbn", action="ResolveAndRouteServiceInCen", code="Throttling.User", times=2)
    target = cen_target(factory, waiter)
    assert target.apply(target.plan(DESIRED, target.read_managed(marker))).ok
    assert rule.fired == 2


def test_another_host_region_is_out_of_scope(cloud, factory, waiter, marker):
    """Entries of another host region, even marked ours, are neither managed nor removed by this target."""
    target = cen_target(factory, waiter, host_region_id="cn-shanghai", host_vpc_id="vpc-sh1")
    current = target.read_managed(marker)
    assert current.managed == () and current.foreign == ()
    assert target.plan(set(), current).empty


def test_all_writes_go_before_one_read_checks_them_together(cloud, factory, waiter, marker):
    """Four cloud-service writes are sent one after another without waiting, then the CEN is read until all are
    Active: one settling delay (2 s), not one per entry."""
    target = cen_target(factory, waiter)
    plan = target.plan(DESIRED, target.read_managed(marker))
    started, mark = cloud.clock.now(), cloud.requests.last_seq()
    assert target.apply(plan).ok
    actions = [r.action for r in cloud.requests.all() if r.seq > mark]
    assert actions[:4] == ["ResolveAndRouteServiceInCen"] * 4
    assert set(actions[4:]) == {"DescribeRouteServicesInCen"} and len(actions[4:]) in (3, 4)
    assert cloud.clock.now() - started < 2 * 2
