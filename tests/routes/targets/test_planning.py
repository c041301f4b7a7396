"""The pure diff of entry-based targets, on hand-made current states (no cloud)."""

from __future__ import annotations

import json

from acrguard.routes.targets.base import CurrentRoutes, ForeignRoute, ManagedRoute, RouteChange
from acrguard.routes.targets.planning import EntryRules, diff_entries

MARK = "acrguard:reg:"
HOP = "RouterInterface:ri-1"


def rules(refuse=lambda prefix: None) -> EntryRules:
    return EntryRules(refuse=refuse, slots=lambda p, f: [RouteChange(p, f, p, "")], next_hop=HOP)


def current(managed=(), foreign=(), used=None, quota=None, settling=False) -> CurrentRoutes:
    used = len(managed) + len(foreign) if used is None else used
    return CurrentRoutes("t", MARK, tuple(managed), tuple(foreign), used=used, quota=quota, settling=settling)


def ours(prefix, family="oss", status="Available", hop=HOP, entry_id=None) -> ManagedRoute:
    return ManagedRoute(prefix, family, prefix, entry_id or f"rte-{prefix}", status, next_hop=hop)


def plan(desired, state, **kw):
    return diff_entries(target_key="t", target_type="vbr_route_table", label="t", desired=desired, current=state,
                        rules=kw.get("rules", rules()))


def test_adds_carry_the_marker_next_hop_and_a_token():
    """Each add names its family in the marker, points at the configured hop and has a client token."""
    result = plan({"100.118.28.0/24": "oss"}, current())
    change = result.adds[0]
    assert (change.marker, change.next_hop, change.after_removal) == (f"{MARK}oss", HOP, False)
    assert change.client_token.startswith("acrguard-") and len(change.client_token) <= 64


def test_token_depends_on_the_entry_and_the_observed_entries():
    """The same desired entry over the same entries gets the same token; another observed entry changes it."""
    first = plan({"100.118.28.0/24": "oss"}, current()).adds[0].client_token
    assert plan({"100.118.28.0/24": "oss"}, current()).adds[0].client_token == first
    changed = current(foreign=[ForeignRoute("10.0.0.0/8", "10.0.0.0/8", "rte-x", "idc")])
    assert plan({"100.118.28.0/24": "oss"}, changed).adds[0].client_token != first


def test_present_entries_are_unchanged_and_extra_ones_removed():
    """A managed entry still desired stays; one no longer desired is removed with its id."""
    state = current([ours("100.118.28.0/24"), ours("100.118.31.0/24")])
    result = plan({"100.118.28.0/24": "oss"}, state)
    assert [m.prefix for m in result.unchanged] == ["100.118.28.0/24"] and not result.adds
    assert [(c.prefix, c.entry_id, c.reason) for c in result.removes] == \
        [("100.118.31.0/24", "rte-100.118.31.0/24", "no longer desired")]


def test_a_pending_entry_counts_as_present_a_deleting_one_does_not():
    """Pending entries are kept; entries already being deleted are re-added if desired and never removed twice."""
    state = current([ours("100.118.28.0/24", status="Pending"), ours("100.118.31.0/24", status="Deleting")],
                    settling=True)
    result = plan({"100.118.28.0/24": "oss", "100.118.31.0/24": "oss"}, state)
    assert [m.prefix for m in result.unchanged] == ["100.118.28.0/24"]
    assert [c.prefix for c in result.adds] == ["100.118.31.0/24"] and not result.removes and result.settling
    assert plan({}, state).removes[0].prefix == "100.118.28.0/24" and len(plan({}, state).removes) == 1


def test_a_foreign_destination_is_refused_not_taken_over():
    """A desired prefix held by a foreign entry becomes a 'foreign' refusal naming that entry."""
    state = current(foreign=[ForeignRoute("100.118.28.0/24", "100.118.28.0/24", "rte-m", "Custom entry manual")])
    result = plan({"100.118.28.0/24": "oss"}, state)
    assert not result.adds and not result.removes
    assert result.refusals[0].code == "foreign" and "Custom entry manual" in result.refusals[0].reason


def test_a_changed_next_hop_is_a_removal_then_a_later_add():
    """An own entry pointing elsewhere is removed and re-added after its removal."""
    result = plan({"100.118.28.0/24": "oss"}, current([ours("100.118.28.0/24", hop="RouterInterface:ri-old")]))
    assert [c.reason for c in result.removes] == ["next hop changed"]
    assert [(c.prefix, c.after_removal) for c in result.adds] == [("100.118.28.0/24", True)]


def test_target_rules_refuse_before_anything_else():
    """A prefix the target refuses is never added, with the rule's code and reason."""
    refuse = lambda p: ("reserved_range", "no") if p.startswith("100.") else None  # noqa: E731
    result = plan({"100.118.28.0/24": "oss", "192.168.10.21/32": "vpc_endpoint"}, current(), rules=rules(refuse))
    assert [c.prefix for c in result.adds] == ["192.168.10.21/32"]
    assert [(r.prefix, r.code) for r in result.refusals] == [("100.118.28.0/24", "reserved_range")]


def test_quota_keeps_the_first_adds_in_family_order_and_refuses_the_rest():
    """Adds beyond quota minus used are refused; VPC endpoint and auth come before OSS."""
    desired = {"100.118.28.0/24": "oss", "100.103.9.188/32": "auth", "192.168.10.21/32": "vpc_endpoint"}
    result = plan(desired, current(used=8, quota=10))
    assert [c.family for c in result.adds] == ["vpc_endpoint", "auth"]
    assert [(r.prefix, r.code) for r in result.refusals] == [("100.118.28.0/24", "quota")]
    assert plan(desired, current(used=12, quota=10)).adds == ()


def test_a_family_is_added_whole_or_not_at_all():
    """With one free entry and three OSS prefixes to add, none is added; the refusal says free and needed."""
    desired = {"100.118.28.0/24": "oss", "100.118.31.0/24": "oss", "100.98.170.0/24": "oss"}
    result = plan(desired, current(used=9, quota=10))
    assert result.adds == ()
    assert sorted(r.prefix for r in result.refusals if r.code == "quota") == sorted(desired)
    assert "oss needs 3 new entries but only 1 of 10 are free (9 in use)" in result.refusals[0].reason


def test_a_smaller_later_family_still_fits_when_an_earlier_one_does_not():
    """Families are fitted in plan order, each whole: two auth addresses do not fit one entry, one OSS range does."""
    desired = {"100.103.9.188/32": "auth", "100.103.7.181/32": "auth", "100.118.28.0/24": "oss"}
    result = plan(desired, current(used=9, quota=10))
    assert [c.prefix for c in result.adds] == ["100.118.28.0/24"]
    assert {r.prefix for r in result.refusals} == {"100.103.9.188/32", "100.103.7.181/32"}


def test_another_instances_entry_to_the_same_hop_is_shared_not_refused():
    """An entry marked for another acrguard instance, pointing at the configured hop, covers the desired prefix."""
    theirs = ForeignRoute("100.118.28.0/24", "100.118.28.0/24", "rte-o", "Custom entry acrguard:other:oss",
                          owner="other", next_hop=HOP)
    result = plan({"100.118.28.0/24": "oss"}, current(foreign=[theirs]))
    assert result.empty and not result.refusals
    assert [(c.prefix, c.label) for c in result.covered] == [("100.118.28.0/24", "shared with acrguard instance other")]


def test_replacements_do_not_need_quota_room():
    """A next-hop replacement frees its own slot first, so it is planned even on a full table."""
    state = current([ours("100.118.28.0/24", hop="RouterInterface:ri-old")], used=10, quota=10)
    assert [c.after_removal for c in plan({"100.118.28.0/24": "oss"}, state).adds] == [True]


def test_plan_is_json_ready():
    """A plan serializes to JSON as-is (for ``routes plan --json`` and alerts)."""
    result = plan({"100.118.28.0/24": "oss"}, current([ours("100.118.31.0/24")]))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["adds"][0]["prefix"] == "100.118.28.0/24" and data["removes"][0]["entry_id"] == "rte-100.118.31.0/24"
