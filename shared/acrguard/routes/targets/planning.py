"""The pure diff shared by targets made of individual entries (route tables, CEN, transit routers).

Given the desired prefixes and what ``read_managed`` found, decide per entry key:

- wanted and held by a managed entry pointing where configured: **unchanged**;
- wanted and held by another acrguard instance's entry pointing where configured: **covered**
  (shared: both instances rely on it, neither adds it again, and this one never removes it);
- wanted and free: **add** (a managed entry pointing elsewhere is removed first, then re-added);
- wanted but held by a foreign entry: **refused** (``foreign``), the entry is left alone;
- managed and no longer wanted: **remove**;
- refused by the target's own rule (e.g. 100.64.0.0/10 on a VPC table) or beyond the quota.

Entries already being deleted are neither kept nor removed again. Adds go before removes when
applied, so the quota must hold the adds on top of every entry in use now. A family is added to a
target whole or not at all (``fit_families``): half of a family's prefixes would leave pulls
failing now and then while the table is full, so a family that does not fit is refused whole
(``quota``, saying how many entries are free and how many it needs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from acrguard.config.routes import Family
from acrguard.routes.targets.base import (
    Covered,
    CurrentRoutes,
    ManagedRoute,
    Refusal,
    RouteChange,
    TargetPlan,
    client_token,
    sort_key,
)

GOING = frozenset({"Deleting"})


@dataclasses.dataclass(frozen=True)
class EntryRules:
    """What makes one target type different: its refusals, its entry keys, its next hop."""

    refuse: Callable[[str], tuple[str, str] | None]
    slots: Callable[[str, Family], list[RouteChange]]
    next_hop: str


def diff_entries(*, target_key: str, target_type: str, label: str, desired: Mapping[str, Family],
                 current: CurrentRoutes, rules: EntryRules) -> TargetPlan:
    """The plan for an entry-based target (no I/O)."""
    refusals: list[Refusal] = []
    wanted: dict[str, RouteChange] = {}
    for prefix, family in sorted(desired.items(), key=lambda item: sort_key(*item)):
        refused = rules.refuse(prefix)
        if refused:
            refusals.append(Refusal(prefix, family, *refused))
            continue
        for change in rules.slots(prefix, family):
            wanted.setdefault(change.key, change)

    managed: dict[str, list[ManagedRoute]] = {}
    for route in current.managed:
        managed.setdefault(route.key, []).append(route)
    foreign = {f.key: f for f in current.foreign}
    fingerprint = current.fingerprint()

    unchanged: list[ManagedRoute] = []
    covered: list[Covered] = []
    adds: list[RouteChange] = []
    replacements: list[RouteChange] = []
    for key, change in wanted.items():
        present = [m for m in managed.get(key, []) if m.status not in GOING]
        keep = next((m for m in present if m.next_hop == rules.next_hop), None)
        if keep is not None:
            unchanged.append(keep)
            continue
        other = foreign.get(key)
        if other is not None and other.owner and other.next_hop == rules.next_hop and not present:
            covered.append(Covered(change.prefix, change.family, key, f"shared with acrguard instance {other.owner}"))
            continue
        if key in foreign:
            refusals.append(Refusal(change.prefix, change.family, "foreign",
                                    f"{key} is already used by {foreign[key].label}, which acrguard did not "
                                    "create; it is left alone"))
            continue
        marker = current.marker_prefix + change.family
        change = dataclasses.replace(
            change, marker=marker, next_hop=rules.next_hop, after_removal=bool(present),
            # the marker names the instance: two instances sharing a table never reuse one token
            client_token=client_token(target_key, key, marker, rules.next_hop, fingerprint),
            reason="next hop changed" if present else "desired")
        (replacements if present else adds).append(change)

    kept = {id(m) for m in unchanged}
    removes = [RouteChange(m.prefix, m.family, m.key, current.marker_prefix + m.family, next_hop=m.next_hop,
                           entry_id=m.entry_id, extra=m.extra,
                           reason="next hop changed" if m.key in wanted else "no longer desired")
               for routes in managed.values() for m in routes if id(m) not in kept and m.status not in GOING]

    if current.quota is not None:
        adds, too_many = fit_families(adds, current.quota, current.used)
        refusals += too_many

    return TargetPlan(target_key=target_key, target_type=target_type, label=label,
                      marker_prefix=current.marker_prefix, adds=(*adds, *replacements),
                      removes=tuple(sorted(removes, key=lambda c: sort_key(c.prefix, c.family))),
                      unchanged=tuple(unchanged), refusals=tuple(refusals), settling=current.settling,
                      covered=tuple(covered))


def fit_families(adds: list[RouteChange], quota: int, used: int, *, unit: str = "entries"
                 ) -> tuple[list[RouteChange], list[Refusal]]:
    """The adds that fit ``quota`` with ``used`` in use, family by family (in plan order), each whole or not at all.

    A family that does not fit is refused whole (``quota``), saying how many entries are free and
    how many it needs; a later, smaller family may still fit.
    """
    free = max(quota - used, 0)
    families: dict[Family, list[RouteChange]] = {}
    for change in adds:
        families.setdefault(change.family, []).append(change)
    taken: list[RouteChange] = []
    refusals: list[Refusal] = []
    for family, changes in families.items():
        if len(changes) <= free:
            taken += changes
            free -= len(changes)
            continue
        reason = (f"{family} needs {len(changes)} new {unit} but only {free} of {quota} are free ({used} in use): a "
                  "family is added whole or not at all, so none of it is added (removals run after adds and free "
                  "space next run)")
        refusals += [Refusal(c.prefix, c.family, "quota", reason) for c in changes]
    return taken, refusals
