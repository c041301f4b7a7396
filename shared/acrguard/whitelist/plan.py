"""The whitelist plan: what to write to one instance's ACL, in order, and what is refused (pure, printable).

Rules, in the order they are applied:

0. An endpoint that is switching on (enabled, not RUNNING yet) gets no operation: ACR drops
   whitelist writes until it is RUNNING (see ``model.EndpointState``); the plan says it waits.
1. An enabled endpoint with an empty whitelist is open to the internet: restoring comes first,
   the declared entries, or ``127.0.0.1/32`` (marked ``acrguard:<instance>:restore``) when none
   are declared.
2. The endpoint switch (``UpdateInstanceEndpointStatus``) only when ``manage_endpoint_status``
   is true and the config declares ``public_endpoint`` enabled or disabled.
3. Adds before removals, so a replaced entry never leaves a gap (nor an empty whitelist).
4. Removals only of entries carrying this instance's marker that are no longer desired, and of
   unmanaged *unsafe* entries (any-address, broader than the floor) when
   ``remove_unmanaged_unsafe`` is set; every other unmarked entry is never touched.
5. Removals must leave at least one *wanted* entry: a desired entry, a restore, or ``127.0.0.1/32``
   when nothing is declared (``WhitelistPlan.wanted``; other people's entries do not count, they
   may go at any time). When only unsafe entries stand in the way (an ACL holding nothing but
   ``0.0.0.0/0``, or ``0.0.0.0/1`` + ``128.0.0.0/1``, with ``remove_unmanaged_unsafe`` and nothing
   declared), ``127.0.0.1/32`` (marked ``acrguard:<instance>:restore``) is added first, so the ACL
   goes from open to closed without ever being empty; enabling the endpoint adds the same entry
   (https://help.aliyun.com/zh/terraform/alicloud-cr-endpoint-acl-service). Otherwise the removals
   become refusals. A marked ``127.0.0.1/32`` restore stays while nothing else is declared.
6. Blast radius: more removals than ``max(safety.max_delete_floor, max_delete_share × managed
   entries)`` stops every removal of the run (adds still go: they only close doors).
7. Policy ``report``: the operations are shown as ``proposed`` and nothing is written.

``apply`` re-reads the ACL right before each removal and removes only while another wanted entry
is live in that read (another run or a person may have changed it since this plan was made), so
the plan carries ``wanted`` and ``fallback`` (what restores the ACL if a read finds it empty).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from acrguard.whitelist.invariants import is_unsafe
from acrguard.whitelist.marker import RESTORE_LABEL, make_comment, owned_by
from acrguard.whitelist.model import LOOPBACK, AclEntry, DesiredEntry, DesiredState, EndpointState

if TYPE_CHECKING:
    from acrguard.config.model import InstanceConfig
    from acrguard.config.safety import SafetyConfig
    from acrguard.config.whitelist import WhitelistConfig

Kind = Literal["add", "remove", "enable", "disable"]


@dataclass(frozen=True)
class Operation:
    """One write: add or remove an entry (``entry`` as it is sent), or switch the internet endpoint."""

    kind: Kind
    entry: str = ""
    comment: str = ""
    reason: str = ""
    restore: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {"kind": self.kind, "entry": self.entry, "comment": self.comment, "reason": self.reason,
                "restore": self.restore}


@dataclass(frozen=True)
class Refusal:
    """Something the plan will not do, and why."""

    kind: Kind
    entry: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {"kind": self.kind, "entry": self.entry, "reason": self.reason}


@dataclass(frozen=True)
class WhitelistPlan:
    """The writes for one instance (``operations``, in apply order) and what was held back or refused."""

    instance_id: str
    instance_name: str
    region: str
    policy: str
    enabled: bool
    before: tuple[str, ...]
    operations: tuple[Operation, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    proposed: tuple[Operation, ...] = ()
    held: tuple[DesiredEntry, ...] = ()
    stopped: str | None = None
    hosts: dict[str, str] = field(default_factory=dict)
    waiting: str | None = None
    wanted: tuple[str, ...] | None = None
    fallback: tuple[Operation, ...] = ()

    @property
    def adds(self) -> tuple[Operation, ...]:
        """The entries to add, restore first."""
        return tuple(op for op in self.operations if op.kind == "add")

    @property
    def removes(self) -> tuple[Operation, ...]:
        """The entries to remove."""
        return tuple(op for op in self.operations if op.kind == "remove")

    @property
    def keeps(self) -> frozenset[str]:
        """The normalized CIDRs this plan wants in the ACL: ``wanted``, else (a plan built by hand) its ``after``.

        An ``enable`` counts ``127.0.0.1/32``: the cloud adds it when the endpoint is switched on.
        """
        if self.wanted is not None:
            return frozenset(self.wanted)
        enabling = any(op.kind == "enable" for op in self.operations)
        return frozenset(self.after) | ({str(LOOPBACK)} if enabling else frozenset())

    @property
    def is_empty(self) -> bool:
        """Nothing to write."""
        return not self.operations

    @property
    def after(self) -> tuple[str, ...]:
        """The whitelist (normalized CIDRs) once every operation has succeeded."""
        removed = {_normalized(op.entry) for op in self.removes}
        out = [c for c in self.before if c not in removed]
        out += [op.entry for op in self.adds if op.entry not in out]
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (``--json``)."""
        return {
            "instance_id": self.instance_id, "instance": self.instance_name, "region": self.region,
            "policy": self.policy, "endpoint_enabled": self.enabled, "before": list(self.before),
            "after": list(self.after), "operations": [op.to_dict() for op in self.operations],
            "refusals": [r.to_dict() for r in self.refusals], "proposed": [op.to_dict() for op in self.proposed],
            "held": [{"entry": e.cidr, "label": e.label, "source": e.source, "note": e.note} for e in self.held],
            "stopped": self.stopped, "hosts": dict(self.hosts), "waiting": self.waiting,
            "wanted": sorted(self.keeps),
        }

    def render(self) -> str:
        """The plan as text, one line per operation, refusal and held entry."""
        state = "enabled" if self.enabled else "disabled"
        lines = [f"whitelist {self.instance_name} ({self.instance_id}, {self.region}): policy {self.policy}, "
                 f"internet endpoint {state}, {len(self.before)} entr{'y' if len(self.before) == 1 else 'ies'}"]
        for _host, summary in sorted(self.hosts.items()):
            lines.append(f"  ? resolve  {summary}")
        for op in self.operations:
            lines.append("  " + _render_op(op))
        for op in self.proposed:
            lines.append("  (report) " + _render_op(op))
        for refusal in self.refusals:
            lines.append(f"  ! refuse   {refusal.kind} {refusal.entry}".rstrip() + f"  ({refusal.reason})")
        for entry in self.held:
            lines.append(f"  = {entry.source:<8} {entry.cidr:<18} ({entry.note})")
        if self.stopped:
            lines.append(f"  STOPPED: {self.stopped}")
        if self.waiting:
            lines.append(f"  WAITING: {self.waiting}")
        if not self.operations and not self.proposed:
            lines.append("  no changes")
        return "\n".join(lines)


def _render_op(op: Operation) -> str:
    if op.kind in ("enable", "disable"):
        return f"~ {op.kind:<8} internet endpoint  ({op.reason})"
    sign = "+" if op.kind == "add" else "-"
    return f"{sign} {op.kind:<8} {op.entry:<18} {op.comment}  ({op.reason})"


def _normalized(entry: str) -> str:
    return AclEntry(entry).cidr


def build_plan(instance: InstanceConfig, whitelist: WhitelistConfig, safety: SafetyConfig, region: str,
               endpoint: EndpointState, desired: DesiredState) -> WhitelistPlan:
    """The plan that brings ``endpoint`` to ``desired`` under the rules of this module."""
    if endpoint.switching:
        return WhitelistPlan(
            instance.instance_id, instance.name, region, whitelist.policy, endpoint.enabled,
            tuple(e.cidr for e in endpoint.entries), held=tuple(e for e in desired.entries
                                                                if e.source in ("held", "kept")),
            hosts=dict(desired.hosts),
            waiting=f"the internet endpoint is {endpoint.status}, not RUNNING: whitelist writes wait for it")
    live = endpoint.networks
    wanted = desired.by_cidr
    refusals: list[Refusal] = []
    fallback = _fallback(instance, whitelist, wanted)
    restore = list(fallback) if endpoint.is_open else []
    status = _status_operation(whitelist, endpoint, refusals)
    restored = {op.entry for op in restore}
    adds: list[Operation] = []
    for cidr, entry in wanted.items():
        if cidr in live or cidr in restored:
            continue
        network = AclEntry(cidr).network
        if network is None or is_unsafe(network, whitelist):
            refusals.append(Refusal("add", cidr, "broader than the floor or unparseable; never added"))
            continue
        adds.append(Operation("add", cidr, entry.comment, _add_reason(entry)))
    removes = _removals(instance, whitelist, endpoint, wanted, refusals)
    enabled_after = endpoint.enabled if status is None else status.kind == "enable"
    after = set(live | restored | {op.entry for op in adds}) - {_normalized(op.entry) for op in removes}
    if status is not None and status.kind == "enable":
        after.add(str(LOOPBACK))  # the cloud adds it when the endpoint starts
    keeps = _keeps(whitelist, wanted, fallback, after) | restored
    stopped = None
    if removes and enabled_after and not after & keeps:
        if any(_unsafe(op.entry, whitelist) for op in removes):
            closing = Operation("add", str(LOOPBACK), make_comment(instance.name, RESTORE_LABEL,
                                                                   "closes the whitelist before its unsafe entries go"),
                                "close: 127.0.0.1/32 keeps the whitelist closed once the unsafe entries are removed")
            restore.append(closing)
            keeps.add(closing.entry)
        else:
            refusals += [Refusal("remove", op.entry, "would leave the whitelist empty (or holding only unsafe entries) "
                                 "while the internet endpoint is enabled (open to everyone)") for op in removes]
            removes = []
    managed = sum(1 for e in endpoint.entries if owned_by(e.comment, instance.name) is not None)
    limit = max(safety.max_delete_floor, math.floor(safety.max_delete_share * managed))
    if len(removes) > limit:
        stopped = (f"blast radius: {len(removes)} removals of {managed} managed entries exceed the limit of {limit} "
                   f"(max_delete_share {safety.max_delete_share}, max_delete_floor {safety.max_delete_floor})")
        refusals += [Refusal("remove", op.entry, "stopped by the blast-radius limit") for op in removes]
        removes = []
    operations = tuple(restore + ([status] if status else []) + adds + removes)
    held = tuple(e for e in desired.entries if e.source in ("held", "kept"))
    common = {"instance_id": instance.instance_id, "instance_name": instance.name, "region": region,
              "policy": whitelist.policy, "enabled": endpoint.enabled,
              "before": tuple(e.cidr for e in endpoint.entries),
              "refusals": tuple(refusals), "held": held, "stopped": stopped, "hosts": dict(desired.hosts),
              "wanted": tuple(sorted(keeps)), "fallback": fallback}
    if whitelist.policy == "report":
        return WhitelistPlan(**common, proposed=operations)
    return WhitelistPlan(**common, operations=operations)


def _fallback(instance: InstanceConfig, whitelist: WhitelistConfig, wanted: dict[str, DesiredEntry]
              ) -> tuple[Operation, ...]:
    """What closes an emptied whitelist: every safe desired entry, else a marked ``127.0.0.1/32``."""
    entries = [e for e in wanted.values() if not _unsafe(e.cidr, whitelist)]
    if entries:
        return tuple(Operation("add", e.cidr, e.comment, "restore: the whitelist is empty and the endpoint is open",
                               restore=True) for e in entries)
    return (Operation("add", str(LOOPBACK), make_comment(instance.name, RESTORE_LABEL, "closes an emptied whitelist"),
                      "restore: the whitelist is empty and nothing is declared", restore=True),)


def _keeps(whitelist: WhitelistConfig, wanted: dict[str, DesiredEntry], fallback: tuple[Operation, ...],
           after: set[str]) -> set[str]:
    """The entries whose presence lets a removal go: the safe desired ones; with nothing declared, any safe entry.

    With entries declared, other people's entries do not count: they may go at any time, and two
    runs that each kept only the other's address would leave the registry closed to its clients.
    With nothing declared, any safe entry (``127.0.0.1/32`` included) keeps the whitelist closed.
    """
    if wanted:
        return {op.entry for op in fallback}
    return {c for c in after if not _unsafe(c, whitelist)} | {str(LOOPBACK)}


def _unsafe(entry: str, whitelist: WhitelistConfig) -> bool:
    """An entry that is unparseable, any-address or broader than the floor."""
    network = AclEntry(entry).network
    return network is None or is_unsafe(network, whitelist)


def _add_reason(entry: DesiredEntry) -> str:
    if entry.source == "resolved":
        return f"address of {entry.host}"
    if entry.source in ("held", "kept"):
        return f"former address of {entry.host} ({entry.note})"
    return f"declared ({entry.label})"


def _status_operation(whitelist: WhitelistConfig, endpoint: EndpointState, refusals: list[Refusal]
                      ) -> Operation | None:
    want = whitelist.public_endpoint
    if want == "any" or (want == "enabled") == endpoint.enabled:
        return None
    kind: Kind = "enable" if want == "enabled" else "disable"
    if not whitelist.manage_endpoint_status:
        refusals.append(Refusal(kind, "", f"the internet endpoint is declared {want} but manage_endpoint_status "
                                          "is false"))
        return None
    reason = "declared enabled (the cloud adds 127.0.0.1/32)" if kind == "enable" else "declared disabled"
    return Operation(kind, reason=reason)


def _removals(instance: InstanceConfig, whitelist: WhitelistConfig, endpoint: EndpointState,
              wanted: dict[str, DesiredEntry], refusals: list[Refusal]) -> list[Operation]:
    hosts = {e.key: e.host for e in whitelist.entries if e.host is not None}
    out: list[Operation] = []
    seen: set[str] = set()
    for entry in endpoint.entries:
        network = entry.network
        if network is None or entry.cidr in wanted or entry.cidr in seen:
            continue
        marker = owned_by(entry.comment, instance.name)
        if marker is not None:
            if marker.label in hosts:
                reason = f"no longer served by {hosts[marker.label]}; hold expired"
            elif marker.label == RESTORE_LABEL:
                if not wanted:
                    continue  # nothing else is declared: the restore is what keeps the whitelist closed
                reason = "emergency entry no longer needed"
            else:
                reason = "no longer declared"
            out.append(Operation("remove", entry.entry, entry.comment, reason))
            seen.add(entry.cidr)
        elif is_unsafe(network, whitelist):
            if whitelist.remove_unmanaged_unsafe:
                out.append(Operation("remove", entry.entry, entry.comment,
                                     "unmanaged and unsafe (any-address or broader than the floor); "
                                     "remove_unmanaged_unsafe is set"))
                seen.add(entry.cidr)
            else:
                refusals.append(Refusal("remove", entry.entry, "unmanaged unsafe entry: reported, not removed; "
                                                               "set remove_unmanaged_unsafe to remove it"))
    return out
