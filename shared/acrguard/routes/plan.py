"""The keeper's guards over the route targets' plans (pure): uncertainty, hysteresis, blast radius, quota.

A target's own ``plan`` is a plain diff of desired against current. Before anything is applied the
keeper narrows it:

* **uncertain families** (``DesiredPrefixes.may_remove`` is False: a DNS outage, a failed API
  call, a missing ranges table, a refused answer) lose no prefix: their removals are kept, with why;
* **frozen families** (their answer was refused by the acceptance rules this run,
  ``DesiredPrefixes.may_add`` is False) gain no prefix either: their adds are withheld;
* **hysteresis**: managed routes the hysteresis still holds are unchanged in the plan; they are
  listed with why (how many more runs and hours), so ``routes plan`` can show them;
* **retiring** (``acrguard.routes.retiring``): a managed prefix no longer desired is removed only
  once its own hold on the target expired, so neither a marker nor a ledger line ever skips the
  hold; an IPsec ``LocalSubnet`` item owned by the ledger alone is removed only if acrguard's rules
  could have produced it (``AddressRules.plausible``), so a forged ledger line never removes anything;
* **shared prefixes** (``hold_shared``): a prefix another instance routing through the same target
  still needs, or might need (it was not checked this run), is not removed;
* **blast radius** (``safety.max_delete_share`` / ``max_delete_floor``, as in the whitelist plan):
  when the removals of the whole run exceed ``max(floor, ⌊share × managed entries⌋)``, every
  removal is kept (adds still go: they only restore reachability) and the run reports it;
* **quota pressure**: how full each target will be once the plan is applied;
* **remembered refusals** (``acrguard.routes.refusals``): an add the target refused for good in an
  earlier run is a refusal again, without a write, until its re-check is due; the removals of its
  family on that target are kept meanwhile (``hold_refused``).

A removal that is half of a replacement (a managed entry whose next hop changed, re-added at
once) is not a deletion: the prefix stays routed, so the guards leave it alone.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from acrguard.config.routes import Family
from acrguard.config.safety import SafetyConfig
from acrguard.routes.desired import DesiredPrefixes
from acrguard.routes.refusals import RememberedRefusal
from acrguard.routes.targets.base import CurrentRoutes, RouteChange, TargetPlan, sort_key

Cause = Literal["hysteresis", "uncertain", "blast_radius", "refused", "unproven", "shared"]
#: a target at or above this share of its quota after the plan is under pressure
QUOTA_PRESSURE_SHARE = 0.8


@dataclass(frozen=True)
class KeptRoute:
    """A managed route that stays although it is (or may be) no longer wanted, and why."""

    prefix: str
    family: Family
    cause: Cause
    why: str

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready mapping."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class TargetDecision:
    """One target's plan after the guards, with what it read and what was kept back."""

    plan: TargetPlan
    current: CurrentRoutes
    kept: tuple[KeptRoute, ...] = ()
    #: remembered refusals that held adds back this run (they were not written)
    remembered: tuple[RememberedRefusal, ...] = ()
    #: adds withheld because their family's answer was refused this run (frozen)
    withheld: tuple[RouteChange, ...] = ()


@dataclass(frozen=True)
class BlastRadius:
    """Why a run's removals were stopped."""

    removals: int
    managed: int
    limit: int
    share: float
    floor: int

    @property
    def message(self) -> str:
        """One sentence for plans and alerts."""
        return (f"blast radius: {self.removals} removals of {self.managed} managed entries exceed the limit of "
                f"{self.limit} (max_delete_share {self.share}, max_delete_floor {self.floor})")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {**dataclasses.asdict(self), "message": self.message}


def replaced_keys(plan: TargetPlan) -> frozenset[str]:
    """Keys of entries that are removed only to be re-added (their next hop changed)."""
    return frozenset(c.key for c in plan.adds if c.after_removal)


def net_removals(plan: TargetPlan) -> tuple[RouteChange, ...]:
    """Removals that take a prefix away (not half of a replacement)."""
    replaced = replaced_keys(plan)
    return tuple(c for c in plan.removes if c.key not in replaced)


def without_removals(plan: TargetPlan, dropped: Iterable[RouteChange]) -> TargetPlan:
    """``plan`` minus the ``dropped`` removals; a VPN plan's ledger keeps what is no longer removed."""
    drop = {(c.key, c.entry_id) for c in dropped}
    if not drop:
        return plan
    kept_removes = tuple(c for c in plan.removes if (c.key, c.entry_id) not in drop)
    owned_after = plan.owned_after
    if owned_after is not None:
        owned_after = {**owned_after, **{c.prefix: c.family for c in plan.removes
                                         if (c.key, c.entry_id) in drop}}
    narrowed = dataclasses.replace(plan, removes=kept_removes, owned_after=owned_after)
    return dataclasses.replace(narrowed, renegotiates_tunnel=plan.renegotiates_tunnel and not narrowed.empty)


def without_adds(plan: TargetPlan, dropped: Iterable[RouteChange]) -> TargetPlan:
    """``plan`` minus the ``dropped`` adds (a VPN plan's ledger does not gain them)."""
    drop = {(c.key, c.prefix) for c in dropped}
    if not drop:
        return plan
    adds = tuple(c for c in plan.adds if (c.key, c.prefix) not in drop)
    owned_after = plan.owned_after
    if owned_after is not None:
        gone = {c.prefix for c in plan.adds if (c.key, c.prefix) in drop}
        owned_after = {p: f for p, f in owned_after.items() if p not in gone}
    narrowed = dataclasses.replace(plan, adds=adds, owned_after=owned_after)
    return dataclasses.replace(narrowed, renegotiates_tunnel=plan.renegotiates_tunnel and not narrowed.empty)


def _unique(changes: Iterable[RouteChange]) -> list[RouteChange]:
    seen: dict[str, RouteChange] = {}
    for change in changes:
        seen.setdefault(change.prefix, change)
    return sorted(seen.values(), key=lambda c: sort_key(c.prefix, c.family))


def hold_uncertain(plan: TargetPlan, desired: DesiredPrefixes) -> tuple[TargetPlan, tuple[KeptRoute, ...]]:
    """Keep every removal of a family whose observation this run was incomplete."""
    dropped = [c for c in net_removals(plan) if not desired.may_remove(c.family)]
    kept = tuple(KeptRoute(c.prefix, c.family, "uncertain",
                           f"{c.family} was not fully observed this run (see the findings); acrguard removes "
                           f"nothing of a family it could not observe completely")
                 for c in _unique(dropped))
    return without_removals(plan, dropped), kept


def hysteresis_kept(plan: TargetPlan, desired: DesiredPrefixes) -> tuple[KeptRoute, ...]:
    """Managed routes on this target that stay only because the hysteresis still holds them."""
    held = {h.prefix: h for h in desired.held}
    present = {m.prefix for m in plan.unchanged} | {c.prefix for c in plan.adds}
    return tuple(KeptRoute(h.prefix, h.family, "hysteresis", h.why.removeprefix(f"{h.family} {h.address}: "))
                 for prefix, h in sorted(held.items(), key=lambda item: sort_key(item[0], item[1].family))
                 if prefix in present)


def hold_frozen(plan: TargetPlan, desired: DesiredPrefixes) -> tuple[TargetPlan, tuple[RouteChange, ...]]:
    """Withhold every add of a family whose answer was refused this run (the replacement of an entry too)."""
    dropped = tuple(c for c in plan.adds if not desired.may_add(c.family))
    if not dropped:
        return plan, ()
    replaced = {c.key for c in dropped if c.after_removal}
    narrowed = without_adds(plan, dropped)
    narrowed = without_removals(narrowed, [c for c in narrowed.removes if c.key in replaced])
    return narrowed, dropped


def hold_retiring(plan: TargetPlan, desired: DesiredPrefixes) -> tuple[TargetPlan, tuple[KeptRoute, ...]]:
    """Keep every removal whose hold on the target has not expired (or, for a ledger-owned item, that is unproven)."""
    ledger = plan.target_type == "vpn_connection"
    dropped: list[RouteChange] = []
    kept: list[KeptRoute] = []
    for change in _unique(net_removals(plan)):
        if desired.releasable(plan.target_key, change.prefix, change.family, ledger=ledger):
            continue
        dropped += [c for c in plan.removes if c.prefix == change.prefix]
        if ledger and not (desired.rules is not None and desired.rules.plausible(change.family, change.prefix)):
            kept.append(KeptRoute(change.prefix, change.family, "unproven",
                                  f"the ownership ledger lists it as {change.family}, but acrguard's own rules could "
                                  "not have produced it (the ledger is state, not proof): acrguard never removes it; "
                                  "remove it by hand if it is not needed"))
            continue
        retiring = desired.retirement(plan.target_key, change.prefix)
        kept.append(KeptRoute(change.prefix, change.family, "hysteresis",
                              retiring.why if retiring is not None else "no longer desired; its hold starts with the "
                              "next fully observed run"))
    return without_removals(plan, dropped), tuple(kept)


def guard_target(plan: TargetPlan, current: CurrentRoutes, desired: DesiredPrefixes) -> TargetDecision:
    """A target's plan with uncertain removals kept, frozen adds withheld, unexpired removals held, holds listed."""
    narrowed, uncertain = hold_uncertain(plan, desired)
    narrowed, withheld = hold_frozen(narrowed, desired)
    narrowed, retiring = hold_retiring(narrowed, desired)
    return TargetDecision(narrowed, current, hysteresis_kept(narrowed, desired) + uncertain + retiring,
                          withheld=withheld)


def hold_shared(decision: TargetDecision, others: Mapping[str, str], added_before: Iterable[str] = ()
                ) -> TargetDecision:
    """Keep the removals of prefixes other instances on the same target need; skip adds another made first.

    ``others``: prefix -> why it must stay (another instance routing through the target wants it,
    or was not checked this run: then every prefix stays, key ``*``). ``added_before``: entry keys
    an instance planned earlier in this run adds to the same target; adding them again would be a
    second write (or a duplicate entry), so the later instance leaves them to it and shares them
    from the next run.
    """
    plan = decision.plan
    dropped = [c for c in net_removals(plan) if c.prefix in others or "*" in others]
    earlier = set(added_before)
    doubled = [c for c in plan.adds if c.key in earlier and not c.after_removal]
    if not dropped and not doubled:
        return decision
    kept = tuple(KeptRoute(c.prefix, c.family, "shared", others.get(c.prefix) or others["*"])
                 for c in _unique(dropped))
    narrowed = without_adds(without_removals(plan, dropped), doubled)
    if narrowed.owned_after is not None and doubled:  # the earlier instance writes it; this one co-owns it
        narrowed = dataclasses.replace(narrowed, owned_after={**narrowed.owned_after,
                                                              **{c.prefix: c.family for c in doubled}})
    return dataclasses.replace(decision, plan=narrowed, kept=decision.kept + kept)


def hold_refused(decision: TargetDecision, remembered: Mapping[str, RememberedRefusal], now: float) -> TargetDecision:
    """Turn the adds a fresh remembered refusal covers into refusals (no write); a due one is written again.

    The removals of a held add's family on the target are kept (what the refused prefix would replace
    stays routed), and so is the removal half of a held replacement.
    """
    plan = decision.plan
    held = {c.prefix: r for c in plan.adds if (r := remembered.get(c.prefix)) is not None and not r.due(now)}
    if not held:
        return decision
    families = {r.family for r in held.values()}
    held_keys = {c.key for c in plan.adds if c.prefix in held and c.after_removal}
    dropped = [c for c in plan.removes if c.family in families or c.key in held_keys]
    already = {r.prefix for r in plan.refusals}
    narrowed = dataclasses.replace(
        without_removals(plan, dropped), adds=tuple(c for c in plan.adds if c.prefix not in held),
        refusals=plan.refusals + tuple(r.to_refusal() for p, r in sorted(held.items()) if p not in already))
    kept = tuple(KeptRoute(c.prefix, c.family, "refused", f"the target refuses new {c.family} prefixes (see the "
                           "refusals); what they would replace stays routed") for c in _unique(dropped))
    return dataclasses.replace(decision, plan=narrowed, kept=decision.kept + kept,
                               remembered=tuple(held[p] for p in sorted(held)))


def blast_radius(decisions: Sequence[TargetDecision], safety: SafetyConfig
                 ) -> tuple[list[TargetDecision], BlastRadius | None]:
    """Stop every removal of the run when there are more than the limit allows (adds are kept)."""
    managed = sum(len(d.current.managed) for d in decisions)
    removals = sum(len(net_removals(d.plan)) for d in decisions)
    limit = max(safety.max_delete_floor, math.floor(safety.max_delete_share * managed))
    if removals <= limit:
        return list(decisions), None
    stop = BlastRadius(removals, managed, limit, safety.max_delete_share, safety.max_delete_floor)
    stopped = []
    for decision in decisions:
        dropped = net_removals(decision.plan)
        kept = tuple(KeptRoute(c.prefix, c.family, "blast_radius", f"stopped by the {stop.message}")
                     for c in _unique(dropped))
        stopped.append(TargetDecision(without_removals(decision.plan, dropped), decision.current,
                                      decision.kept + kept))
    return stopped, stop


def usage_after(decision: TargetDecision) -> int:
    """Entries counting against the quota once the plan is applied."""
    return decision.current.used + len(decision.plan.adds) - len(decision.plan.removes)


def under_pressure(decision: TargetDecision, share: float = QUOTA_PRESSURE_SHARE) -> bool:
    """Whether the target will hold at least ``share`` of its (known) quota after the plan."""
    quota = decision.current.quota
    return quota is not None and usage_after(decision) >= math.ceil(share * quota)
