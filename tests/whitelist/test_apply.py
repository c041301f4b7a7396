"""``whitelist.apply``: writes in plan order through the SDK, guarded against emptying the whitelist."""

from __future__ import annotations

import time

from acrguard.whitelist.apply import apply_plan
from acrguard.whitelist.plan import Operation, WhitelistPlan
from support import INSTANCE_ID
from tests.whitelist.helpers import clock_waiter, live, seed_acl, writes

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


def test_enabling_waits_for_running_and_counts_the_loopback_the_cloud_adds(cloud, factory, instance):
    """After enabling, apply waits for RUNNING; the cloud's 127.0.0.1/32 then keeps the whitelist non-empty."""
    seed_acl(instance, [("198.51.100.0/24", "acrguard:testreg:old")], enable=False)
    plan = _plan(("198.51.100.0/24",), Operation("enable"), Operation("remove", "198.51.100.0/24"), enabled=False)
    result = apply_plan(plan, factory, dry_run=False, waiter=clock_waiter(cloud))
    assert [r.outcome for r in result.results] == ["done", "done"] and result.waiting is None
    assert instance.internet_enable and instance.internet_status == "RUNNING"
    assert live(instance) == [("127.0.0.1/32", "default")]
    enable = cloud.requests.filter(action="UpdateInstanceEndpointStatus")[0]
    delete = cloud.requests.filter(action="DeleteInstanceEndpointAclPolicy")[0]
    reads = cloud.requests.filter(action="GetInstanceEndpoint")
    assert any(enable.seq < r.seq < delete.seq for r in reads)  # the removal was sent after a read showed RUNNING


def test_adds_after_an_enable_are_sent_only_once_the_endpoint_runs(cloud, factory, instance):
    """An add planned after enabling is not sent while the endpoint is CREATING (ACR would drop it)."""
    seed_acl(instance, [], enable=False)
    plan = _plan((), Operation("enable"), Operation("add", OFFICE, "acrguard:testreg:office"), enabled=False)
    result = apply_plan(plan, factory, dry_run=False, waiter=clock_waiter(cloud))
    assert [r.outcome for r in result.results] == ["done", "done"]
    assert live(instance) == [("127.0.0.1/32", "default"), (OFFICE, "acrguard:testreg:office")]


def test_a_switch_that_outlasts_the_wait_skips_every_acl_write(cloud, factory, instance):
    """When the endpoint is still CREATING after the wait, no ACL write is sent and the result says it waits."""
    seed_acl(instance, [], enable=False)
    plan = _plan((), Operation("enable"), Operation("add", OFFICE, "acrguard:testreg:office"), enabled=False)
    result = apply_plan(plan, factory, dry_run=False, waiter=clock_waiter(cloud, timeout_s=10))
    assert [r.outcome for r in result.results] == ["done", "skipped"]
    assert "still CREATING" in result.results[1].detail and "next run" in result.results[1].detail
    assert result.waiting is not None and result.waiting.status == "CREATING" and result.waiting.waited_s == 10
    assert writes(cloud) == [("UpdateInstanceEndpointStatus", "True")] and not result.failed


def test_a_disable_counts_only_once_a_read_shows_it(cloud, factory, instance):
    """After a disable that a read confirms, the last entry may go; if the read still shows it enabled, it stays."""
    seed_acl(instance, [(OFFICE, "acrguard:testreg:office")])
    plan = _plan((OFFICE,), Operation("disable"), Operation("remove", OFFICE))
    result = apply_plan(plan, factory, dry_run=False, waiter=clock_waiter(cloud))
    assert [r.outcome for r in result.results] == ["done", "done"] and live(instance) == []
    seed_acl(instance, [(OFFICE, "acrguard:testreg:office")])
    cloud.inject(action="GetInstanceEndpoint", code="ServiceUnavailable", status=503, times=3)
    again = apply_plan(plan, factory, dry_run=False, waiter=clock_waiter(cloud))
    assert [r.outcome for r in again.results] == ["done", "skipped"]
    assert live(instance) == [(OFFICE, "acrguard:testreg:office")]


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


def test_adds_in_a_row_go_side_by_side_and_are_reported_in_plan_order(cloud, factory, instance):
    """Twelve adds, each answered after 0.3 s, take about one answer's time, not twelve; results keep plan order."""
    seed_acl(instance, [(OFFICE, "office")])
    entries = [f"198.51.100.{k}/32" for k in range(1, 13)]
    cloud.inject(action="CreateInstanceEndpointAclPolicy", latency_ms=300)
    plan = _plan((OFFICE,), *[Operation("add", e, "acrguard:testreg:idc") for e in entries])
    started = time.perf_counter()
    result = apply_plan(plan, factory, dry_run=False)
    assert time.perf_counter() - started < 6 * 0.3
    assert [(r.operation.entry, r.outcome) for r in result.results] == [(e, "done") for e in entries]
    assert sorted(e for e, _ in live(instance)) == sorted([OFFICE, *entries])


def test_removals_still_go_one_at_a_time_each_after_a_fresh_read(cloud, factory, instance):
    """After side-by-side adds, each removal is sent only after a read that follows the previous write."""
    seed_acl(instance, [(OFFICE, "office"), ("198.18.0.0/24", "acrguard:testreg:old"),
                        ("198.18.1.0/24", "acrguard:testreg:old")])
    plan = _plan((OFFICE, "198.18.0.0/24", "198.18.1.0/24"), Operation("add", "198.51.100.1/32"),
                 Operation("add", "198.51.100.2/32"), Operation("remove", "198.18.0.0/24"),
                 Operation("remove", "198.18.1.0/24"))
    assert [r.outcome for r in apply_plan(plan, factory, dry_run=False).results] == ["done"] * 4
    calls = [r.action for r in cloud.requests.all()]
    deletes = [i for i, a in enumerate(calls) if a == "DeleteInstanceEndpointAclPolicy"]
    assert all(calls[i - 1] == "GetInstanceEndpoint" for i in deletes)  # a read right before each removal
    assert max(i for i, a in enumerate(calls) if a == "CreateInstanceEndpointAclPolicy") < deletes[0]
