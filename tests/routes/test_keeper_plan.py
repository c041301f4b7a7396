"""The keeper's guards over target plans (pure): uncertain families, hysteresis holds, blast radius, quota."""

from __future__ import annotations

from acrguard.addresses import AddressRules
from acrguard.config.safety import SafetyConfig
from acrguard.findings import Finding, Severity
from acrguard.hysteresis import HoldPolicy, Tracked
from acrguard.routes.desired import DesiredPrefixes, HeldRemoval
from acrguard.routes.findings import NOTICE_PREFIX, is_notice
from acrguard.routes.plan import (
    TargetDecision,
    blast_radius,
    guard_target,
    hold_refused,
    hold_shared,
    net_removals,
    under_pressure,
    usage_after,
    without_removals,
)
from acrguard.routes.refusals import RememberedRefusal
from acrguard.routes.retiring import judge
from acrguard.routes.targets.base import CurrentRoutes, ManagedRoute, RouteChange, TargetPlan

MARK = "acrguard:testreg:"


def desired(certain=("vpc_endpoint", "auth", "oss"), held=(), retired=(), frozen=(), target="t1") -> DesiredPrefixes:
    """Desired prefixes whose ``certain`` families may lose prefixes; ``retired``: (prefix, family) whose hold on
    ``target`` expired; ``frozen``: families whose answer was refused."""
    policy = HoldPolicy(1, 0)
    retiring = {target: {p: judge(p, f, Tracked(0.0, 0.0, 1, 0.0), 0.0, policy) for p, f in retired}}
    return DesiredPrefixes("testreg", "cri-1", "cn-hangzhou", {}, frozenset(certain), tuple(held),
                           frozen=frozenset(frozen), rules=AddressRules(oss_ranges=None), retiring=retiring)


def remove(prefix: str, family: str = "auth", key: str | None = None) -> RouteChange:
    return RouteChange(prefix, family, key or prefix, MARK + family, entry_id=f"rte-{prefix}",
                       reason="no longer desired")


def add(prefix: str, family: str = "auth", replaces: bool = False) -> RouteChange:
    return RouteChange(prefix, family, prefix, MARK + family, after_removal=replaces,
                       reason="next hop changed" if replaces else "desired")


def current(managed: int, used: int | None = None, quota: int | None = None, key: str = "t1") -> CurrentRoutes:
    routes = tuple(ManagedRoute(f"100.103.0.{i}/32", "auth", f"100.103.0.{i}/32", f"rte-{i}", "Available")
                   for i in range(managed))
    return CurrentRoutes(key, MARK, routes, (), used if used is not None else managed, quota)


def decision(adds=(), removes=(), managed: int = 10, **plan_fields) -> TargetDecision:
    plan = TargetPlan("t1", "vbr_route_table", "t1", MARK, adds=tuple(adds), removes=tuple(removes), **plan_fields)
    return TargetDecision(plan, current(managed))


def test_a_replacement_is_not_a_removal():
    """A managed entry re-added with a new next hop keeps its prefix routed, so it is not a net removal."""
    plan = decision(adds=[add("100.103.0.1/32", replaces=True)],
                    removes=[remove("100.103.0.1/32"), remove("100.103.0.2/32")]).plan
    assert [c.prefix for c in net_removals(plan)] == ["100.103.0.2/32"]


def test_uncertain_families_lose_nothing_and_say_why():
    """Removals of a family not fully observed are kept; certain families' removals go ahead."""
    plan = decision(removes=[remove("100.103.0.1/32", "auth"), remove("100.118.99.0/24", "oss")]).plan
    retired = [("100.103.0.1/32", "auth"), ("100.118.99.0/24", "oss")]
    guarded = guard_target(plan, current(10), desired(certain=("vpc_endpoint", "oss"), retired=retired))
    assert [c.prefix for c in guarded.plan.removes] == ["100.118.99.0/24"]
    [kept] = guarded.kept
    assert (kept.prefix, kept.cause) == ("100.103.0.1/32", "uncertain") and "not fully observed" in kept.why


def test_hysteresis_holds_on_the_target_are_listed_with_why():
    """A held /32 that the target still routes is listed as kept by the hysteresis, with the tracker's reason."""
    held = HeldRemoval("auth", "100.103.0.1", 1, 0.0, 0.0, 2, 23.0)
    unchanged = (ManagedRoute("100.103.0.1/32", "auth", "100.103.0.1/32", "rte-1", "Available"),)
    plan = TargetPlan("t1", "vbr_route_table", "t1", MARK, unchanged=unchanged)
    guarded = guard_target(plan, current(1), desired(held=[held]))
    [kept] = guarded.kept
    assert kept.cause == "hysteresis" and kept.why.startswith("absent from 1 successful observation(s)")
    assert "2 more successful run(s)" in kept.why


def test_a_removal_waits_for_its_own_hold_even_with_the_marker():
    """A marked route no longer desired is removed only once its retiring hold on the target expired."""
    plan = decision(removes=[remove("100.103.0.1/32"), remove("100.103.0.2/32")]).plan
    guarded = guard_target(plan, current(10), desired(retired=[("100.103.0.2/32", "auth")]))
    assert [c.prefix for c in guarded.plan.removes] == ["100.103.0.2/32"]
    [kept] = guarded.kept
    assert (kept.prefix, kept.cause) == ("100.103.0.1/32", "hysteresis")
    elsewhere = guard_target(plan, current(10), desired(retired=[("100.103.0.2/32", "auth")], target="t2"))
    assert elsewhere.plan.removes == ()  # a hold expired on another target says nothing about this one


def test_a_ledger_item_acrguard_could_not_have_made_is_never_removed():
    """A forged ledger line (192.168.0.0/16 as oss) stays however long its hold; a plausible one goes after it."""
    forged, ours_ = remove("192.168.0.0/16", "oss"), remove("100.118.99.0/24", "oss")
    plan = TargetPlan("t1", "vpn_connection", "ipsec", MARK, removes=(forged, ours_), renegotiates_tunnel=True,
                      owned_after={}, written_whole=True)
    guarded = guard_target(plan, current(2), desired(retired=[("192.168.0.0/16", "oss"), ("100.118.99.0/24", "oss")]))
    assert [c.prefix for c in guarded.plan.removes] == ["100.118.99.0/24"]
    [kept] = guarded.kept
    assert (kept.prefix, kept.cause) == ("192.168.0.0/16", "unproven") and "never removes it" in kept.why
    assert guarded.plan.owned_after == {"192.168.0.0/16": "oss"}


def test_a_frozen_family_gains_and_loses_nothing():
    """Adds of a family whose answer was refused are withheld, its removals kept; other families go ahead."""
    plan = decision(adds=[add("100.103.0.9/32"), add("100.118.99.0/24", "oss")],
                    removes=[remove("100.103.0.1/32")]).plan
    guarded = guard_target(plan, current(10), desired(certain=("vpc_endpoint", "oss"), frozen=("auth",),
                                                      retired=[("100.103.0.1/32", "auth")]))
    assert [c.prefix for c in guarded.plan.adds] == ["100.118.99.0/24"] and guarded.plan.removes == ()
    assert [c.prefix for c in guarded.withheld] == ["100.103.0.9/32"]


def test_another_instance_keeps_what_it_needs_and_adds_nothing_twice():
    """A removal of a prefix another instance on the target needs is kept; an add another made first is skipped."""
    plan = decision(adds=[add("100.103.0.9/32")], removes=[remove("100.103.0.1/32"), remove("100.103.0.2/32")]).plan
    shared = hold_shared(TargetDecision(plan, current(10)), {"100.103.0.1/32": "instance cri-2 also routes it"},
                         ["100.103.0.9/32"])
    assert [c.prefix for c in shared.plan.removes] == ["100.103.0.2/32"] and shared.plan.adds == ()
    assert [(k.prefix, k.cause) for k in shared.kept] == [("100.103.0.1/32", "shared")]
    unknown = hold_shared(TargetDecision(plan, current(10)), {"*": "instance cri-2 was not checked"})
    assert unknown.plan.removes == () and len(unknown.kept) == 2


def test_blast_radius_allows_the_limit_and_stops_one_more():
    """``max(floor, ⌊share × managed⌋)`` removals pass; one more stops every removal, and the adds stay."""
    safety = SafetyConfig(max_delete_share=0.3, max_delete_floor=2)
    within = [decision(removes=[remove(f"100.103.0.{i}/32") for i in range(3)], managed=10)]
    passed, stop = blast_radius(within, safety)
    assert stop is None and len(passed[0].plan.removes) == 3
    over = [decision(adds=[add("100.103.9.9/32")], removes=[remove(f"100.103.0.{i}/32") for i in range(4)],
                     managed=10)]
    stopped, stop = blast_radius(over, safety)
    assert stop is not None and (stop.removals, stop.managed, stop.limit) == (4, 10, 3)
    assert stopped[0].plan.removes == () and [c.prefix for c in stopped[0].plan.adds] == ["100.103.9.9/32"]
    assert {k.cause for k in stopped[0].kept} == {"blast_radius"} and len(stopped[0].kept) == 4


def test_blast_radius_counts_the_whole_run():
    """Two targets each within the limit alone are stopped together when their sum exceeds it."""
    safety = SafetyConfig(max_delete_share=0.25, max_delete_floor=0)
    decisions = [decision(removes=[remove(f"100.103.0.{i}/32") for i in range(2)], managed=4) for _ in range(2)]
    stopped, stop = blast_radius(decisions, safety)
    assert stop is not None and (stop.removals, stop.limit) == (4, 2)
    assert all(d.plan.removes == () for d in stopped)


def test_blast_radius_floor_applies_to_small_tables():
    """With few managed entries the floor still lets a couple of removals through."""
    safety = SafetyConfig(max_delete_share=0.1, max_delete_floor=2)
    passed, stop = blast_radius([decision(removes=[remove("100.103.0.1/32"), remove("100.103.0.2/32")],
                                          managed=3)], safety)
    assert stop is None and len(passed[0].plan.removes) == 2


def test_dropping_a_vpn_removal_keeps_it_in_the_ledger_and_the_tunnel_untouched():
    """A VPN plan without its only removal writes nothing, renegotiates nothing and still owns the prefix."""
    change = remove("100.103.0.1/32")
    plan = TargetPlan("vpn_connection:vco-1", "vpn_connection", "ipsec", MARK, removes=(change,),
                      renegotiates_tunnel=True, owned_after={"100.118.28.0/24": "oss"})
    narrowed = without_removals(plan, [change])
    assert narrowed.empty and not narrowed.renegotiates_tunnel
    assert narrowed.owned_after == {"100.118.28.0/24": "oss", "100.103.0.1/32": "auth"}


def test_usage_and_pressure_count_what_the_plan_leaves():
    """Usage after the plan is used + adds - removes; 80 % of a known quota is pressure, no quota never is."""
    full = TargetDecision(TargetPlan("t1", "vbr_route_table", "t1", MARK, adds=(add("100.103.9.1/32"),)),
                          current(0, used=7, quota=10))
    assert usage_after(full) == 8 and under_pressure(full)
    roomy = TargetDecision(full.plan, current(0, used=6, quota=10))
    assert usage_after(roomy) == 7 and not under_pressure(roomy)
    assert not under_pressure(TargetDecision(full.plan, current(0, used=500, quota=None)))


def test_notices_are_the_routes_changed_rules():
    """Only ``routes.changed`` and its sub-rules are made as notices; conditions such as refusals are not."""
    from acrguard.routes.findings import _finding

    def finding(rule: str) -> Finding:
        return _finding(rule, Severity.LOW, "cri-1", "t", "")

    assert is_notice(finding(NOTICE_PREFIX)) and is_notice(finding("routes.changed.export"))
    assert not is_notice(finding("routes.refused")) and not is_notice(finding("routes.changedness"))


def remembered(prefix: str, family: str = "oss", at: float = 0.0) -> RememberedRefusal:
    return RememberedRefusal(prefix, family, "service_range", "the VBR route table refused it", "InvalidCidrBlock", at)


def test_a_fresh_remembered_refusal_turns_the_add_into_a_refusal_and_keeps_its_family():
    """The add is not written; the family's removals on the target stay, listed as kept (refused)."""
    plan = decision(adds=[add("100.118.28.0/24", "oss"), add("192.168.10.21/32", "vpc_endpoint")],
                    removes=[remove("100.118.99.0/24", "oss"), remove("192.168.10.9/32", "vpc_endpoint")])
    held = hold_refused(plan, {"100.118.28.0/24": remembered("100.118.28.0/24")}, now=3600.0)
    assert [c.prefix for c in held.plan.adds] == ["192.168.10.21/32"]
    assert [c.prefix for c in held.plan.removes] == ["192.168.10.9/32"]
    assert [(r.prefix, r.code, r.cloud_code) for r in held.plan.refusals] == \
        [("100.118.28.0/24", "service_range", "InvalidCidrBlock")]
    assert "not written again before 1970-01-08" in held.plan.refusals[0].reason
    assert [(k.prefix, k.cause) for k in held.kept] == [("100.118.99.0/24", "refused")]
    assert [r.prefix for r in held.remembered] == ["100.118.28.0/24"]


def test_a_due_remembered_refusal_is_written_again():
    """After its re-check interval the add stays in the plan (one more write)."""
    plan = decision(adds=[add("100.118.28.0/24", "oss")])
    week = 7 * 86400.0
    assert hold_refused(plan, {"100.118.28.0/24": remembered("100.118.28.0/24")}, now=week) == plan
    assert hold_refused(plan, {}, now=0.0) == plan


def test_a_held_replacement_keeps_the_entry_it_would_replace():
    """A replacement whose add is held keeps its removal half: the prefix stays routed."""
    plan = decision(adds=[add("100.103.0.1/32", replaces=True)], removes=[remove("100.103.0.1/32")])
    held = hold_refused(plan, {"100.103.0.1/32": remembered("100.103.0.1/32", "auth")}, now=0.0)
    assert held.plan.empty and [r.prefix for r in held.plan.refusals] == ["100.103.0.1/32"]
