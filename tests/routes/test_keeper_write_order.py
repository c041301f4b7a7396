"""The order in which the keeper starts its targets' write sequences: the kinds of target take turns."""

from __future__ import annotations

from types import SimpleNamespace

from acrguard.routes.keeper import InstanceRun, TargetRun, _taking_turns


def sequence(kind: str, name: str, writes: int) -> list[tuple[InstanceRun, TargetRun]]:
    """One target's write sequence (one instance routing through it) planning ``writes`` calls."""
    decision = SimpleNamespace(plan=SimpleNamespace(write_calls=writes))
    return [(InstanceRun(name, f"cri-{name}", "cn-hangzhou"), TargetRun(f"{kind}:{name}", name, kind,
                                                                         decision=decision))]  # type: ignore[arg-type]


def test_every_kind_of_target_starts_before_any_kind_starts_its_second_target():
    """Workers paced by one kind's quota (CEN writes, a few a second) must not hold back the other kinds."""
    groups = [sequence("cen_transit_router", f"tr{n}", 7) for n in range(3)] + \
             [sequence("vbr_route_table", f"vbr{n}", 7) for n in range(3)] + \
             [sequence("vpn_connection", f"vpn{n}", 1) for n in range(3)]
    kinds = [group[0][1].target_type for group in _taking_turns(groups)]
    assert sorted(kinds[:3]) == ["cen_transit_router", "vbr_route_table", "vpn_connection"]
    assert sorted(kinds[3:6]) == sorted(kinds[:3]) and len(kinds) == 9


def test_within_a_kind_the_longest_sequence_starts_first():
    """The longest write sequence of a kind goes first, so the short ones fill in around it."""
    groups = [sequence("cen_service", "short", 1), sequence("cen_service", "long", 6),
              sequence("cen_service", "middle", 3)]
    assert [group[0][1].label for group in _taking_turns(groups)] == ["long", "middle", "short"]
