"""The whitelist is never empty and never open, also when someone else writes between the guard's read and writes.

Each test replays every whitelist write the cloud carried out (``AclWatch``) and checks the
whitelist after each single one. "Someone else" is a second guard run that planned from the same
read, or a person whose SDK call (or console change) lands while the guard is between calls.
"""

from __future__ import annotations

import threading
import time

from acrguard.alerts.decide import FIXED_BY_ACRGUARD
from acrguard.findings import Severity
from acrguard.state import keys
from acrguard.whitelist.apply import apply_plan
from acrguard.whitelist.desired import compute_desired
from acrguard.whitelist.guard import run_sweep
from acrguard.whitelist.marker import make_comment
from acrguard.whitelist.observe import observe_endpoint
from acrguard.whitelist.plan import build_plan
from support import INSTANCE_ID
from tests.resilience.harness import AclWatch
from tests.whitelist.helpers import live, seed_acl, writes

OFFICE = "203.0.113.0/24"
OFFICE_COMMENT = make_comment("testreg", "office", "office egress")
ENFORCE_OFFICE = {"policy": "enforce", "entries": [{"cidr": OFFICE, "label": "office", "comment": "office egress"}]}
HOST = "idc-egress.example.com"
X, Y = "47.96.0.7/32", "47.96.0.8/32"  # a hostname's answers: public addresses
STALE = "198.51.100.0/24"


def _plan_from_now(config, factory, store, now: float):
    """The plan a run would make from the whitelist as it is now (observe, desire, plan; nothing written)."""
    from acrguard.hysteresis import HoldPolicy, HysteresisTracker
    from acrguard.whitelist.desired import resolve_hosts

    instance = config.instances[0]
    endpoint = observe_endpoint(factory, INSTANCE_ID)
    tracker = HysteresisTracker(store, HoldPolicy.from_safety(config.safety), clock=lambda: now)
    desired = compute_desired(instance, instance.whitelist, endpoint, resolve_hosts(instance, instance.whitelist),
                              tracker, now=now, commit=True)
    return build_plan(instance, instance.whitelist, config.safety, "cn-hangzhou", endpoint, desired)


def _wait_for(cloud, action: str, count: int, timeout_s: float = 5.0) -> None:
    """Block until the cloud has answered ``count`` calls of ``action``."""
    deadline = time.monotonic() + timeout_s
    while cloud.requests.count(action=action) < count:
        assert time.monotonic() < deadline, f"no {count} {action} call(s) within {timeout_s} s"
        time.sleep(0.005)


def test_two_runs_that_planned_from_one_read_never_empty_the_whitelist(cloud, factory, store, instance,
                                                                         make_config):
    """A round-robin host gave run A address X and run B address Y, each planning to remove the other's
    entry from the same read; B writes after A, re-reads first, finds no entry it wants, and removes nothing."""
    seed_acl(instance, [(X, make_comment("testreg", HOST)), (Y, make_comment("testreg", HOST))])
    cloud.dns.set(HOST, [X.split("/")[0], Y.split("/")[0]], rotate=True)
    config = make_config({"policy": "enforce", "entries": [{"host": HOST}]})
    watch = AclWatch(cloud)
    plan_a = _plan_from_now(config, factory, store, 0.0)
    plan_b = _plan_from_now(config, factory, store, 0.0)
    assert {op.entry for op in plan_a.removes} | {op.entry for op in plan_b.removes} == {X, Y}

    first = apply_plan(plan_a, factory, dry_run=False)
    second = apply_plan(plan_b, factory, dry_run=False)

    watch.check()
    assert watch.emptied() == []
    assert [r.outcome for r in first.results] == ["done"]
    assert [r.outcome for r in second.results] == ["skipped"]
    assert "no other wanted entry" in second.results[0].detail
    assert len(live(instance)) == 1


def test_a_person_deleting_the_entry_the_guard_counts_on_stops_its_removal(cloud, factory, store, instance,
                                                                          make_config):
    """The guard read OFFICE and a stale entry; while it resolves a slow hostname, a person deletes OFFICE.
    The guard reads again before removing, sees no wanted entry left, and keeps the stale one."""
    seed_acl(instance, [(OFFICE, OFFICE_COMMENT), (STALE, make_comment("testreg", "old"))])
    cloud.dns.fail(HOST, "timeout")  # the guard waits dns_timeout_s (0.5 s) between its read and its writes
    config = make_config({**ENFORCE_OFFICE, "entries": [*ENFORCE_OFFICE["entries"], {"host": HOST}]})
    watch = AclWatch(cloud)

    def person() -> None:
        _wait_for(cloud, "GetInstanceEndpoint", 1)
        from alibabacloud_cr20181201 import models as cr_models

        from acrguard.clients import call
        call("cr", "DeleteInstanceEndpointAclPolicy", factory.cr().delete_instance_endpoint_acl_policy,
             cr_models.DeleteInstanceEndpointAclPolicyRequest(instance_id=INSTANCE_ID, endpoint_type="internet",
                                                              entry=OFFICE))

    helper = threading.Thread(target=person)
    helper.start()
    result = run_sweep(config, factory, store, now=0.0)
    helper.join(timeout=10)

    watch.check()
    assert watch.emptied() == [], f"the whitelist was empty after {watch.emptied()[0]}"
    assert live(instance) == [(STALE, make_comment("testreg", "old"))]
    removal = [r for r in result.runs[0].applied.results if r.operation.kind == "remove"]
    assert [r.outcome for r in removal] == ["skipped"] and "no other wanted entry" in removal[0].detail


def test_a_person_deleting_in_the_moment_before_the_removal_is_repaired_in_the_same_run(cloud, factory, store,
                                                                                       instance, make_config):
    """The person's change lands between the guard's re-read and its removal (the one window a re-read cannot
    close): the guard's read after the removal finds the whitelist empty and restores it at once, and its
    critical finding says the registry was open and that acrguard restored it."""
    seed_acl(instance, [(OFFICE, OFFICE_COMMENT), (STALE, make_comment("testreg", "old"))])
    cloud.inject(action="DeleteInstanceEndpointAclPolicy", latency_ms=600, times=1)
    config = make_config(ENFORCE_OFFICE)

    def person() -> None:
        _wait_for(cloud, "GetInstanceEndpoint", 2)  # the guard's observation, then its re-read before the removal
        time.sleep(0.15)  # the guard's removal is in flight (600 ms before the cloud carries it out)
        instance.acl = [e for e in instance.acl if e.entry != OFFICE]  # a console change: no API call of ours

    helper = threading.Thread(target=person)
    helper.start()
    result = run_sweep(config, factory, store, now=0.0)
    helper.join(timeout=10)

    assert live(instance) == [(OFFICE, OFFICE_COMMENT)]
    run = result.runs[0]
    assert run.applied.restored_at is not None
    restored = [r for r in run.applied.results if r.operation.restore]
    assert [(r.operation.entry, r.outcome) for r in restored] == [(OFFICE, "done")]
    opened = [f for f in run.findings if f.rule == "whitelist.open-to-internet"]
    assert len(opened) == 1 and opened[0].severity is Severity.CRITICAL
    assert "was open to the whole internet — restored by acrguard at" in opened[0].title
    assert opened[0].evidence[FIXED_BY_ACRGUARD] == run.applied.restored_at


def test_an_acl_of_only_any_address_is_closed_without_ever_being_empty(cloud, factory, store, instance, make_config):
    """Nothing declared, 0.0.0.0/0 alone, remove_unmanaged_unsafe: 127.0.0.1/32 goes in first, then 0.0.0.0/0
    goes; the next run keeps the restore entry and refuses nothing."""
    seed_acl(instance, [("0.0.0.0/0", "debug")])
    config = make_config({"policy": "enforce", "remove_unmanaged_unsafe": True})
    watch = AclWatch(cloud)
    first = run_sweep(config, factory, store, now=0.0)
    watch.check()
    assert watch.emptied() == []
    assert writes(cloud) == [("CreateInstanceEndpointAclPolicy", "127.0.0.1/32"),
                             ("DeleteInstanceEndpointAclPolicy", "0.0.0.0/0")]
    assert live(instance) == [("127.0.0.1/32",
                               "acrguard:testreg:restore closes the whitelist before its unsafe entries go")]
    assert "whitelist.refused-empty" not in {f.rule for f in first.findings}
    mark = cloud.requests.last_seq()
    second = run_sweep(config, factory, store, now=1.0)
    assert writes(cloud, since=mark) == [] and second.findings == ()


def test_two_halves_of_the_internet_are_closed_without_ever_being_empty(cloud, factory, store, instance,
                                                                        make_config):
    """0.0.0.0/1 + 128.0.0.0/1 with nothing declared end as 127.0.0.1/32, never empty on the way."""
    seed_acl(instance, [("0.0.0.0/1", "a"), ("128.0.0.0/1", "b")])
    watch = AclWatch(cloud)
    run_sweep(make_config({"policy": "enforce", "remove_unmanaged_unsafe": True}), factory, store, now=0.0)
    watch.check()
    assert watch.emptied() == []
    assert [e for e, _ in live(instance)] == ["127.0.0.1/32"]


def test_an_open_whitelist_restored_in_the_run_says_so_in_its_critical_finding(cloud, factory, store, instance,
                                                                               make_config):
    """The finding that the registry was open names the restoration, its time and what was added."""
    seed_acl(instance, [])
    result = run_sweep(make_config(ENFORCE_OFFICE), factory, store, now=0.0)
    opened = [f for f in result.findings if f.rule == "whitelist.open-to-internet"]
    assert len(opened) == 1 and opened[0].severity is Severity.CRITICAL
    title = opened[0].title
    assert title.startswith("Registry testreg was open to the whole internet — restored by acrguard at 20")
    assert title.endswith("Z") and OFFICE in opened[0].details
    assert opened[0].evidence["restored"] == [OFFICE] and FIXED_BY_ACRGUARD in opened[0].evidence


def test_an_open_whitelist_that_could_not_be_restored_still_says_it_is_open(cloud, factory, store, instance,
                                                                            make_config):
    """When the restore fails, the finding keeps saying the registry is open (no claim of a repair)."""
    seed_acl(instance, [])
    cloud.inject(action="CreateInstanceEndpointAclPolicy", code="ServiceUnavailable", status=503)
    result = run_sweep(make_config(ENFORCE_OFFICE), factory, store, now=0.0)
    opened = [f for f in result.findings if f.rule == "whitelist.open-to-internet"]
    assert [f.title for f in opened] == ["Registry testreg is open to the whole internet"]
    assert FIXED_BY_ACRGUARD not in opened[0].evidence


def test_removals_are_not_made_while_another_run_holds_the_lease(cloud, factory, store, instance, make_config,
                                                                 monkeypatch):
    """A run that cannot take the instance's removal lease adds what is missing and removes nothing."""
    from acrguard.whitelist import lease as lease_module

    seed_acl(instance, [(STALE, make_comment("testreg", "old"))])
    store.update(keys.whitelist_lease(INSTANCE_ID), lambda lease: lease.update(token="other-run",
                                                                             until=time.time() + 60))
    monkeypatch.setattr(lease_module, "WAIT_S", 0.2)  # wait less than the default 10 s for the other run
    result = run_sweep(make_config(ENFORCE_OFFICE), factory, store, now=0.0)
    assert writes(cloud) == [("CreateInstanceEndpointAclPolicy", OFFICE)]
    skipped = [r for r in result.runs[0].applied.results if r.outcome == "skipped"]
    assert len(skipped) == 1 and "another acrguard run is removing" in skipped[0].detail
    assert sorted(e for e, _ in live(instance)) == sorted([STALE, OFFICE])

