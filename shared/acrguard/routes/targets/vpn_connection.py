"""An IPsec-VPN connection in protected-data-flow mode: our prefixes in its ``LocalSubnet``.

``LocalSubnet`` is one comma-separated list that ``ModifyVpnConnectionAttribute`` replaces whole, and
changing it renegotiates phase 2 of the tunnel (the SDK docstring of
``ModifyVpnConnectionAttributeRequest.local_subnet``: "This parameter is used for Phase 2 negotiation").
Its items carry no name or description, so ownership cannot be marked on the entry. Instead:

Ownership ledger
    The caller passes ``owned``: the prefixes acrguard itself added to this connection (prefix ->
    family), kept in the state store under the target's ``key``. A prefix in ``LocalSubnet`` is
    managed only when it is in the ledger; every other item is foreign and is never removed. With no
    ledger (None) nothing is owned, so nothing is ever removed ("unknown is not absent"). The ledger
    is state, not proof: the keeper removes a ledger item only after its hold and only if acrguard's
    own rules could have produced it (``acrguard.routes.plan.hold_retiring``).
Covered and shared prefixes
    A desired prefix that an item already in ``LocalSubnet`` covers (the same prefix, or a broader
    one such as 100.64.0.0/10 covering 100.118.28.0/24) is not added again (``TargetPlan.covered``):
    the tunnel already carries it. An item acrguard did not add stays foreign: it is never taken into
    the ledger, so it is never taken away later. An item another acrguard instance's ledger lists
    (``shared``: prefix -> that instance) is co-owned instead: an instance that desires exactly that
    prefix adds it to its own ledger without a write, so either can remove it once neither needs it.
Keeping the ledger right
    ``plan.owned_after`` is the ledger once the plan is applied; ``result.owned_after`` is the ledger
    as actually observed after ``apply`` (ledger prefixes no longer listed are dropped, because someone
    removed them). Save ``owned ∪ {adds}`` before ``apply`` and ``result.owned_after`` after it: a crash
    in between then leaves at worst a ledger entry for a prefix that is not listed, which the next
    read drops, rather than an added prefix nobody remembers owning.
Applying
    ``apply`` re-reads ``LocalSubnet`` and writes ``current - removes + adds`` (read-modify-write, so
    items changed by others since the plan are kept), never an empty list, and nothing at all when the
    list already has the planned shape. Every write sets ``renegotiates_tunnel`` so the alert says so.
    ``apply_all`` does the same for the plans of several instances sharing the connection in *one*
    write, so the tunnel renegotiates once per run, not once per instance.
    A gateway still configuring from an earlier change (``VpnGateway.Configuring``) is waited for.
    Reads: ``DescribeVpnConnection`` once to plan; when the plan changes something, once more before
    the write (the read of read-modify-write) and once after it (the read-back that verifies it).
Quota
    With a configured ``quota`` a family is added whole or not at all (``fit_families``).
A connection in destination-routing mode (``0.0.0.0/0`` on both sides) is not edited: every desired
prefix is refused as ``unsupported`` (use VPN route entries there).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import time
from collections.abc import Iterable, Mapping
from typing import Any

from acrguard.clients import ClientFactory, call
from acrguard.config.routes import Family, VpnConnectionTarget
from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.routes.targets.base import (
    ApplyResult,
    Covered,
    CurrentRoutes,
    Failure,
    ForeignRoute,
    ManagedRoute,
    Refusal,
    RouteChange,
    TargetPlan,
    client_token,
    desired_by_prefix,
    normalize_prefix,
    sort_key,
)
from acrguard.routes.targets.planning import fit_families
from acrguard.routes.targets.waiting import Waiter

ANY = "0.0.0.0/0"


def _split(value: str | None) -> list[str]:
    out: list[str] = []
    for item in (value or "").split(","):
        if item.strip():
            prefix = normalize_prefix(item)
            if prefix not in out:
                out.append(prefix)
    return out


def covering(prefix: str, items: Iterable[str]) -> str | None:
    """The first of ``items`` equal to or broader than ``prefix`` (None: nothing covers it)."""
    network = ipaddress.ip_network(prefix)
    for item in items:
        other = ipaddress.ip_network(item)
        if other.version == network.version and network.subnet_of(other):  # type: ignore[arg-type]
            return item
    return None


class VpnConnectionSubnets:
    """The ``LocalSubnet`` items of one IPsec connection that acrguard added (see the module docstring)."""

    busy_codes = frozenset({"VpnGateway.Configuring", "VpnTask.CONFLICT", "TaskConflict"})

    def __init__(self, config: VpnConnectionTarget, factory: ClientFactory, *,
                 owned: Mapping[str, Family] | None = None, shared: Mapping[str, str] | None = None,
                 waiter: Waiter | None = None) -> None:
        self.config = config
        self.factory = factory
        self.waiter = waiter or Waiter()
        self.region = config.region or factory.region
        self.key = f"{config.type}:{config.vpn_connection_id}"
        self.target_type = config.type
        self.label = config.name or self.key
        self.families = config.families
        self.owned = {normalize_prefix(p): f for p, f in (owned or {}).items()}
        self.shared = {normalize_prefix(p): o for p, o in (shared or {}).items()}

    def _read(self) -> Any:
        from alibabacloud_vpc20160428 import models

        client = self.factory.vpc(self.region)
        return call("vpc", "DescribeVpnConnection", client.describe_vpn_connection,
                    models.DescribeVpnConnectionRequest(region_id=self.region,
                                                        vpn_connection_id=self.config.vpn_connection_id))

    def read_managed(self, marker_prefix: str) -> CurrentRoutes:
        """``LocalSubnet`` split into ledger prefixes (managed) and the rest (foreign; ``owner`` when shared)."""
        body = self._read()
        local, remote = _split(body.local_subnet), _split(body.remote_subnet)
        managed = tuple(ManagedRoute(p, self.owned[p], p, p, "Available") for p in local if p in self.owned)
        foreign = tuple(ForeignRoute(p, p, p, f"a LocalSubnet item acrguard instance {self.shared[p]} added"
                                     if p in self.shared else "a LocalSubnet item acrguard did not add",
                                     owner=self.shared.get(p)) for p in local if p not in self.owned)
        return CurrentRoutes(self.key, marker_prefix, managed, foreign, used=len(local), quota=self.config.quota,
                             extra={"local_subnet": tuple(local), "remote_subnet": tuple(remote)})

    def plan(self, desired: Iterable[tuple[str, Family]], current: CurrentRoutes) -> TargetPlan:
        """The new ``LocalSubnet``: only ledger prefixes removed, only desired prefixes nothing covers added."""
        if current.target_key != self.key:
            raise ValueError(f"routes read from {current.target_key} cannot plan {self.key}")
        wanted = desired_by_prefix(desired, self.families)
        local = list(current.extra.get("local_subnet", ()))
        managed = {m.prefix: m for m in current.managed}
        shared = {f.prefix: f for f in current.foreign if f.owner}
        order = sorted(wanted.items(), key=lambda item: sort_key(*item))
        if ANY in local:
            refusals = tuple(Refusal(p, f, "unsupported", "the connection routes 0.0.0.0/0 (destination-routing "
                                     "mode); LocalSubnet is not edited") for p, f in order)
            return self._plan(current, refusals=refusals, owned_after=dict(self._kept(current)))
        refusals: list[Refusal] = []
        removes = [RouteChange(m.prefix, m.family, m.prefix, current.marker_prefix + m.family, entry_id=m.prefix,
                               reason="no longer desired") for p, m in managed.items() if p not in wanted]
        removing = {c.prefix for c in removes}
        staying = [p for p in local if p not in removing]
        adds: list[RouteChange] = []
        covered: list[Covered] = []
        claimed: dict[str, Family] = {}
        for prefix, family in order:
            if prefix in managed:
                continue
            if prefix in shared:
                claimed[prefix] = family
                covered.append(Covered(prefix, family, prefix, f"shared with acrguard instance {shared[prefix].owner}"))
                continue
            cover = covering(prefix, staying)
            if cover is not None:
                label = "already in LocalSubnet" if cover == prefix else f"covered by the LocalSubnet item {cover}"
                covered.append(Covered(prefix, family, cover, label))
                continue
            adds.append(RouteChange(prefix, family, prefix, current.marker_prefix + family, reason="desired"))
        if current.quota is not None:
            adds, too_many = fit_families(adds, current.quota, len(local), unit="LocalSubnet items")
            refusals += too_many
        if removes and not adds and all(p in removing for p in local):
            refusals += [Refusal(c.prefix, c.family, "unsupported", "LocalSubnet cannot be empty; the last prefix "
                                 "stays until another one is added") for c in removes]
            removes = []
        kept = {p: f for p, f in self._kept(current).items() if p not in {c.prefix for c in removes}}
        return self._plan(current, adds=tuple(adds), removes=tuple(removes), refusals=tuple(refusals),
                          owned_after={**kept, **claimed, **{c.prefix: c.family for c in adds}},
                          unchanged=tuple(m for p, m in managed.items() if p in wanted), covered=tuple(covered))

    @staticmethod
    def _kept(current: CurrentRoutes) -> dict[str, Family]:
        return {m.prefix: m.family for m in current.managed}

    def _plan(self, current: CurrentRoutes, **fields: Any) -> TargetPlan:
        plan = TargetPlan(target_key=self.key, target_type=self.target_type, label=self.label,
                          marker_prefix=current.marker_prefix, written_whole=True, **fields)
        return dataclasses.replace(plan, renegotiates_tunnel=not plan.empty,
                                   extra={"local_subnet": tuple(current.extra.get("local_subnet", ()))})

    def apply(self, plan: TargetPlan) -> ApplyResult:
        """Read-modify-write ``LocalSubnet`` with exactly the planned additions and removals."""
        return self.apply_all([plan])[0]

    def apply_all(self, plans: Iterable[TargetPlan]) -> list[ApplyResult]:
        """Apply the plans of every instance sharing this connection in one read-modify-write (one renegotiation).

        Each plan gets its own result (what it added and removed, its ledger as read back); the write
        calls are counted on the first result that changes something. A prefix one plan removes and
        another adds stays.
        """
        plans = list(plans)
        for plan in plans:
            if plan.target_key != self.key:
                raise ValueError(f"a plan for {plan.target_key} cannot be applied to {self.key}")
        # Until LocalSubnet is read back, every prefix a plan adds or removes may be listed: each ledger
        # keeps them all, so a failed removal never leaves a prefix that nobody owns.
        unsure = [{**dict(p.owned_after or {}), **{c.prefix: c.family for c in p.removes}} for p in plans]
        results = [ApplyResult(self.key, owned_after=dict(u)) for u in unsure]
        busy = [i for i, p in enumerate(plans) if not p.empty]
        if not busy:
            return results
        adding = list(dict.fromkeys(c.prefix for p in plans for c in p.adds))
        removing = {c.prefix for p in plans for c in p.removes} - set(adding)
        shared = ApplyResult(self.key)
        try:
            local = _split(self._read().local_subnet)
            after = [p for p in local if p not in removing] + [p for p in adding if p not in local]
            if not after:
                shared.failures.append(Failure("*", "modify", "EmptyLocalSubnet",
                                               "LocalSubnet would become empty; nothing was written", False))
                for i in busy:
                    results[i].skipped = sorted({c.prefix for c in plans[i].removes})
                    results[i].failures = list(shared.failures)
                return results
            # The list read back after the write is the final state; with nothing to write it is the one just read.
            final = self._modify(local, after, shared) if after != local else local
        except TransientCloudError as exc:
            shared.failures.append(Failure("*", "modify", exc.code or "Transient", str(exc), True))
            for i in busy:
                results[i].failures = list(shared.failures)
            return results
        except CloudCallError as exc:
            shared.failures.append(Failure("*", "modify", exc.code or "Error", str(exc), False))
            for i in busy:
                results[i].failures = list(shared.failures)
            return results
        for n, i in enumerate(busy):
            plan, result = plans[i], results[i]
            result.write_calls = shared.write_calls if n == 0 else 0
            result.renegotiates_tunnel = shared.renegotiates_tunnel
            result.already_present = [c.prefix for c in plan.adds if c.prefix in local]
            result.already_gone = [c.prefix for c in plan.removes if c.prefix not in local]
            result.created = [c.prefix for c in plan.adds if c.prefix in final and c.prefix not in local]
            result.deleted = [c.prefix for c in plan.removes if c.prefix not in final and c.prefix in local]
            missing = [c.prefix for c in plan.adds if c.prefix not in final] + \
                      [c.prefix for c in plan.removes if c.prefix in final and c.prefix in removing]
            for prefix in missing:
                result.failures.append(Failure(prefix, "verify", "NotApplied",
                                               "LocalSubnet read back without the change", False))
            result.owned_after = {p: f for p, f in unsure[i].items() if p in final}
        return results

    def _modify(self, before: list[str], after: list[str], result: ApplyResult) -> list[str]:
        """Write ``after`` and return ``LocalSubnet`` as read back; a retried write is deduplicated by its token.

        The token is derived from the change. The same change made again later (A -> B, back to A,
        then A -> B) repeats it, and the API would answer from its memory without writing: when the
        list reads back unchanged, the write is repeated once with a fresh token.
        """
        from alibabacloud_vpc20160428 import models

        client = self.factory.vpc(self.region)
        value = ",".join(after)
        token = client_token(self.key, ",".join(before), value)
        for attempt_token in (token, client_token(token, "fresh", str(time.time_ns()))):
            request = models.ModifyVpnConnectionAttributeRequest(
                region_id=self.region, vpn_connection_id=self.config.vpn_connection_id, local_subnet=value,
                client_token=attempt_token)

            def attempt(request: Any = request) -> Any:
                result.write_calls += 1
                return call("vpc", "ModifyVpnConnectionAttribute", client.modify_vpn_connection_attribute, request)

            self.waiter.retrying(attempt, self.busy_codes)
            result.renegotiates_tunnel = True
            read_back = _split(self._read().local_subnet)
            if read_back != before:
                break
        return read_back
