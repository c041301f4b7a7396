"""``whitelist.plan``: the pure diff with its safety rules (restore first, adds before removals, refusals)."""

from __future__ import annotations

import json
from typing import Any

from acrguard.config.model import InstanceConfig
from acrguard.config.safety import SafetyConfig
from acrguard.config.whitelist import WhitelistConfig
from acrguard.whitelist.marker import make_comment
from acrguard.whitelist.model import AclEntry, DesiredEntry, DesiredState, EndpointState
from acrguard.whitelist.plan import build_plan

INSTANCE = InstanceConfig(name="testreg", instance_id="cri-test0000000000001")
SAFETY = SafetyConfig()
OFFICE = "203.0.113.0/24"


def _whitelist(**fields: Any) -> WhitelistConfig:
    return WhitelistConfig.model_validate({"policy": "enforce", **fields})


def _endpoint(*entries: tuple[str, str], enabled: bool = True, status: str = "RUNNING") -> EndpointState:
    return EndpointState(INSTANCE.instance_id, enabled, True, status, tuple(AclEntry(e, c) for e, c in entries))


def _ours(label: str, comment: str = "") -> str:
    return make_comment("testreg", label, comment)


def _desired(*cidrs: str, source: str = "declared") -> DesiredState:
    return DesiredState(tuple(DesiredEntry(c, f"l{i}", _ours(f"l{i}"), source) for i, c in enumerate(cidrs)))


def _plan(endpoint: EndpointState, desired: DesiredState, safety: SafetyConfig = SAFETY, **fields: Any):
    return build_plan(INSTANCE, _whitelist(**fields), safety, "cn-hangzhou", endpoint, desired)


def _ops(plan) -> list[tuple[str, str]]:
    return [(op.kind, op.entry) for op in plan.operations]


def test_an_endpoint_switching_on_gets_no_operation_and_the_plan_says_it_waits():
    """While CREATING nothing is planned (no restore, no add, no switch): ACR would drop the writes."""
    plan = _plan(_endpoint(status="CREATING"), _desired(OFFICE), public_endpoint="disabled",
                 manage_endpoint_status=True)
    assert plan.operations == () and plan.refusals == ()
    assert plan.waiting is not None and "CREATING" in plan.waiting
    assert "WAITING: the internet endpoint is CREATING" in plan.render()
    assert plan.to_dict()["waiting"] == plan.waiting


def test_an_open_endpoint_is_restored_first_with_the_declared_entries():
    """Enabled with an empty whitelist: every declared entry is added, marked as a restore, before anything else."""
    plan = _plan(_endpoint(), _desired(OFFICE, "198.51.100.0/24"), public_endpoint="disabled",
                 manage_endpoint_status=True)
    assert _ops(plan) == [("add", OFFICE), ("add", "198.51.100.0/24"), ("disable", "")]
    assert [op.restore for op in plan.operations] == [True, True, False]


def test_an_open_endpoint_with_nothing_declared_gets_loopback():
    """With no declared entry, the restore is 127.0.0.1/32 carrying the restore marker."""
    plan = _plan(_endpoint(), DesiredState())
    assert [(op.kind, op.entry, op.comment) for op in plan.operations] == [
        ("add", "127.0.0.1/32", "acrguard:testreg:restore closes an emptied whitelist")]


def test_adds_come_before_removals():
    """A replaced entry is added before the old one is removed."""
    plan = _plan(_endpoint(("198.51.100.0/24", _ours("office"))), _desired(OFFICE))
    assert _ops(plan) == [("add", OFFICE), ("remove", "198.51.100.0/24")]
    assert plan.after == (OFFICE,)


def test_only_entries_with_this_instances_marker_are_removed():
    """Unmarked entries and entries marked for another instance stay, even when not declared."""
    plan = _plan(_endpoint(("192.0.2.0/24", "office"), ("198.51.100.0/24", _ours("old")),
                           ("198.18.0.0/24", make_comment("otherreg", "x"))), _desired(OFFICE),
                 SafetyConfig(max_delete_share=1.0))
    assert _ops(plan) == [("add", OFFICE), ("remove", "198.51.100.0/24")]


def test_a_removal_sends_the_entry_exactly_as_the_cloud_shows_it():
    """A bare address in the whitelist is removed as the bare address, not its /32."""
    plan = _plan(_endpoint((OFFICE, _ours("office")), ("198.51.100.7", _ours("old"))), _desired(OFFICE))
    assert _ops(plan) == [("remove", "198.51.100.7")]


def test_entries_already_present_are_not_added_again_even_unmarked():
    """A declared CIDR present without the marker counts as present (and is never removed)."""
    plan = _plan(_endpoint(("203.0.113.0/24", "added by hand")), _desired(OFFICE))
    assert plan.is_empty


def test_unmanaged_unsafe_entries_are_refused_unless_configured():
    """0.0.0.0/0 added by someone else is a refusal by default and a removal with remove_unmanaged_unsafe."""
    endpoint = _endpoint((OFFICE, _ours("l0")), ("0.0.0.0/0", "debug"), ("10.0.0.0/8", "vpn"))
    kept = _plan(endpoint, _desired(OFFICE))
    assert kept.is_empty and [r.entry for r in kept.refusals] == ["0.0.0.0/0", "10.0.0.0/8"]
    removed = _plan(endpoint, _desired(OFFICE), remove_unmanaged_unsafe=True)
    assert _ops(removed) == [("remove", "0.0.0.0/0"), ("remove", "10.0.0.0/8")]


def test_a_plan_that_would_empty_an_enabled_whitelist_is_refused():
    """Removing the last entries of an enabled endpoint becomes refusals; a disabled endpoint may be emptied."""
    endpoint = _endpoint(("198.51.100.0/24", _ours("old")))
    refused = _plan(endpoint, DesiredState())
    assert refused.is_empty
    assert [(r.kind, r.entry) for r in refused.refusals] == [("remove", "198.51.100.0/24")]
    assert "empty" in refused.refusals[0].reason
    disabled = _plan(_endpoint(("198.51.100.0/24", _ours("old")), enabled=False), DesiredState())
    assert _ops(disabled) == [("remove", "198.51.100.0/24")]


def test_an_acl_of_only_any_address_is_closed_with_loopback_before_it_is_removed():
    """Nothing declared and only 0.0.0.0/0 live: 127.0.0.1/32 is added first, then 0.0.0.0/0 goes (never empty)."""
    plan = _plan(_endpoint(("0.0.0.0/0", "debug")), DesiredState(), remove_unmanaged_unsafe=True)
    assert [(op.kind, op.entry, op.comment) for op in plan.operations] == [
        ("add", "127.0.0.1/32", "acrguard:testreg:restore closes the whitelist before its unsafe entries go"),
        ("remove", "0.0.0.0/0", "debug")]
    assert plan.refusals == () and plan.after == ("127.0.0.1/32",)
    assert "127.0.0.1/32" in plan.keeps


def test_two_halves_of_the_internet_are_closed_the_same_way():
    """0.0.0.0/1 + 128.0.0.0/1 (open without a /0) are replaced by 127.0.0.1/32, added before both removals."""
    plan = _plan(_endpoint(("0.0.0.0/1", "a"), ("128.0.0.0/1", "b")), DesiredState(), remove_unmanaged_unsafe=True)
    assert _ops(plan) == [("add", "127.0.0.1/32"), ("remove", "0.0.0.0/1"), ("remove", "128.0.0.0/1")]
    assert plan.after == ("127.0.0.1/32",)


def test_a_removal_that_would_leave_only_unsafe_entries_is_refused():
    """Removing the last safe entry next to a kept 0.0.0.0/0 would leave the registry open: refused."""
    plan = _plan(_endpoint(("0.0.0.0/0", "debug"), ("198.51.100.0/24", _ours("old"))), DesiredState())
    assert plan.is_empty
    assert ("remove", "198.51.100.0/24") in [(r.kind, r.entry) for r in plan.refusals]


def test_the_restore_entry_stays_while_nothing_else_is_declared():
    """A marked 127.0.0.1/32 restore is kept (no removal, no refusal) until an entry is declared."""
    endpoint = _endpoint(("127.0.0.1/32", _ours("restore", "closes an emptied whitelist")))
    assert _plan(endpoint, DesiredState()).is_empty and _plan(endpoint, DesiredState()).refusals == ()
    assert _ops(_plan(endpoint, _desired(OFFICE))) == [("add", OFFICE), ("remove", "127.0.0.1/32")]


def test_the_plan_wants_only_the_desired_entries_when_some_are_declared():
    """Other people's entries do not count as wanted: a removal needs a desired entry to stay."""
    plan = _plan(_endpoint((OFFICE, _ours("l0")), ("192.0.2.0/24", "legacy"), ("198.51.100.0/24", _ours("old"))),
                 _desired(OFFICE))
    assert plan.keeps == frozenset({OFFICE})
    assert [op.entry for op in plan.fallback] == [OFFICE]


def test_blast_radius_stops_every_removal_but_keeps_the_adds():
    """More removals than max(floor, share x managed) are all refused and the plan says why."""
    endpoint = _endpoint(*[(f"198.51.100.{i}/32", _ours(f"o{i}")) for i in range(4)])
    plan = _plan(endpoint, _desired(OFFICE, "198.51.100.0/32"), SafetyConfig(max_delete_share=0.3, max_delete_floor=2))
    assert _ops(plan) == [("add", OFFICE)]
    assert plan.stopped is not None and "3 removals of 4 managed entries exceed the limit of 2" in plan.stopped
    assert sorted(r.entry for r in plan.refusals) == ["198.51.100.1/32", "198.51.100.2/32", "198.51.100.3/32"]


def test_removals_within_the_blast_radius_go_ahead():
    """As many removals as the floor allows are planned."""
    endpoint = _endpoint(*[(f"198.51.100.{i}/32", _ours(f"o{i}")) for i in range(4)])
    plan = _plan(endpoint, _desired("198.51.100.0/32", "198.51.100.1/32"), SafetyConfig(max_delete_floor=2))
    assert _ops(plan) == [("remove", "198.51.100.2/32"), ("remove", "198.51.100.3/32")]
    assert plan.stopped is None


def test_report_policy_writes_nothing_and_shows_what_enforce_would_do():
    """Policy report: no operations, the would-be writes listed as proposed."""
    plan = _plan(_endpoint(), _desired(OFFICE), policy="report")
    assert plan.operations == () and [(op.kind, op.entry) for op in plan.proposed] == [("add", OFFICE)]


def test_endpoint_switch_only_when_managed():
    """Declared enabled: the endpoint is enabled before adds when allowed, otherwise a refusal."""
    disabled = _endpoint((OFFICE, _ours("l0")), enabled=False)
    managed = _plan(disabled, _desired(OFFICE, "198.51.100.0/24"), public_endpoint="enabled",
                    manage_endpoint_status=True)
    assert _ops(managed) == [("enable", ""), ("add", "198.51.100.0/24")]
    unmanaged = _plan(disabled, _desired(OFFICE), public_endpoint="enabled")
    assert unmanaged.is_empty and [r.kind for r in unmanaged.refusals] == ["enable"]


def test_held_addresses_stay_and_are_listed():
    """A hostname's former address inside the hold is neither added nor removed, and is shown as held."""
    desired = DesiredState((DesiredEntry("198.51.100.10/32", "idc", _ours("idc"), "held", "idc.example.com",
                                         "removal held back"),
                            DesiredEntry("198.51.100.20/32", "idc", _ours("idc"), "resolved", "idc.example.com")))
    plan = _plan(_endpoint(("198.51.100.10/32", _ours("idc"))), desired)
    assert _ops(plan) == [("add", "198.51.100.20/32")]
    assert [e.cidr for e in plan.held] == ["198.51.100.10/32"]


def test_plan_prints_and_serializes():
    """The plan renders one line per operation and refusal, and its dict is JSON."""
    plan = _plan(_endpoint(("0.0.0.0/0", "x"), ("198.51.100.0/24", _ours("old"))), _desired(OFFICE))
    text = plan.render()
    assert f"+ add      {OFFICE}" in text and "- remove   198.51.100.0/24" in text
    assert "! refuse   remove 0.0.0.0/0" in text
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["after"] == ["0.0.0.0/0", OFFICE]
