"""``whitelist.apply``: writes in plan order through the SDK, guarded against emptying the whitelist."""

from __future__ import annotations

from acrguard.whitelist.apply import apply_plan
from acrguard.whitelist.plan import Operation, WhitelistPlan
from support import INSTANCE_ID
from tests.whitelist.helpers import live, seed_acl, writes

OFFICE = "203.0.113.0/24"


def _plan(before: tuple[str, ...], *operations: Operation, enabled: bool = True) -> WhitelistPlan:
    return WhitelistPlan(INSTANCE_ID, "testreg", "cn-hangzhou", "enforce", enabled, before, operations)


def test_operations_run_in_plan_order_with_their_comments(cloud, factory, instance):
    """Each add and removal is one call, in the order of the plan, the Comment carrying the marker."""
    seed_acl(instance, [("198.51.100.0/24", "acrguard:testreg:old")])
    plan = _plan(("198.51.100.0/24",), Operation("add", OFFICE, "acrguard:testreg:office"),
                 Operation("remove", "198.51.100.0/24"))
    result = apply_plan(plan, factory, dry_run=False)
    assert [r.outcome for r in result.results] == ["done", "done"]
    assert writes(cloud) == [("CreateInstanceEndpointAclPolicy", OFFICE),
                             ("DeleteInstanceEndpointAclPolicy", "198.51.100.0/24")]
    assert live(instance) == [(OFFICE, "acrguard:testreg:office")]


def test_dry_run_calls_no_mutating_api(cloud, factory, instance):
    """With dry_run every operation is reported and none is sent."""
    seed_acl(instance, [])
    result = apply_plan(_plan((), Operation("add", OFFICE), Operation("disable")), factory, dry_run=True)
    assert [r.outcome for r in result.results] == ["dry-run", "dry-run"]
    assert writes(cloud) == [] and live(instance) == []


def test_a_removal_that_would_empty_an_enabled_whitelist_is_skipped(cloud, factory, instance):
    """Even a plan asking for it, apply does not delete the last entry of an enabled endpoint."""
    seed_acl(instance, [(OFFICE, "acrguard:testreg:office")])
    result = apply_plan(_plan((OFFICE,), Operation("remove", OFFICE)), factory, dry_run=False)
    assert [r.outcome for r in result.results] == ["skipped"]
    assert writes(cloud) == [] and live(instance) == [(OFFICE, "acrguard:testreg:office")]


def test_enabling_counts_the_loopback_the_cloud_adds(cloud, factory, instance):
    """After enabling, the cloud's 127.0.0.1/32 keeps the whitelist non-empty, so the old entry may go."""
    seed_acl(instance, [("198.51.100.0/24", "acrguard:testreg:old")], enable=False)
    plan = _plan(("198.51.100.0/24",), Operation("enable"), Operation("remove", "198.51.100.0/24"), enabled=False)
    result = apply_plan(plan, factory, dry_run=False)
    assert [r.outcome for r in result.results] == ["done", "done"]
    assert instance.internet_enable and live(instance) == [("127.0.0.1/32", "")]


def test_a_failed_removal_skips_the_rest_and_is_transient(cloud, factory, instance):
    """A 503 on a delete fails that removal, skips later ones, and marks the result transient."""
    seed_acl(instance, [(OFFICE, ""), ("198.51.100.1/32", "m"), ("198.51.100.2/32", "m")])
    cloud.inject(action="DeleteInstanceEndpointAclPolicy", code="ServiceUnavailable", status=503, times=3)
    plan = _plan((OFFICE, "198.51.100.1/32", "198.51.100.2/32"), Operation("remove", "198.51.100.1/32"),
                 Operation("remove", "198.51.100.2/32"))
    result = apply_plan(plan, factory, dry_run=False)
    assert [(r.outcome, r.code) for r in result.results] == [("failed", "ServiceUnavailable"), ("skipped", None)]
    assert result.transient
    assert len(live(instance)) == 3
