"""The one interface every route target implements, and the values that flow through it.

A target is a place in the cloud that must route the registry's prefixes (a VPC/VBR route table,
CEN cloud-service access, a transit router route table, an IPsec connection's ``LocalSubnet``).
Each adapter does three things::

    current = target.read_managed(marker_prefix("myreg"))   # read: ours (marked) and foreign entries
    plan = target.plan({("100.118.28.0/24", "oss")}, current)  # pure: adds, removes, refusals
    result = target.apply(plan)                              # idempotent writes, waits for settling

Ownership ("own only what you made", docs/endpoint-keeper.md): an entry is acrguard's when its name or
description is exactly ``acrguard:<instance>:<family>``. Everything else is *foreign*: reported so
the plan can avoid it, never changed or deleted. A foreign entry marked for *another* acrguard
instance (``ForeignRoute.owner``) is shared: an instance that needs the same prefix through the
same next hop relies on it instead of refusing it (``TargetPlan.covered``), and never removes it.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from acrguard.config.routes import ALL_FAMILIES, Family

MARKER_ROOT = "acrguard"


def marker_prefix(instance_name: str) -> str:
    """The marker every entry made for one instance starts with: ``acrguard:<instance>:``."""
    if not instance_name or ":" in instance_name:
        raise ValueError(f"instance name must be non-empty and without ':', got {instance_name!r}")
    return f"{MARKER_ROOT}:{instance_name}:"


def parse_marker(text: str | None, prefix: str) -> Family | None:
    """The family a marker names when ``text`` is exactly ``<prefix><family>``; None otherwise."""
    if not text or not text.startswith(prefix):
        return None
    family = text[len(prefix):]
    return family if family in ALL_FAMILIES else None  # type: ignore[return-value]


def marker_owner(text: str | None) -> str | None:
    """The instance a marker ``acrguard:<instance>:<family>`` names (any instance), else None."""
    if not text or not text.startswith(MARKER_ROOT + ":"):
        return None
    parts = text.split(":")
    if len(parts) != 3 or not parts[1] or parts[2] not in ALL_FAMILIES:
        return None
    return parts[1]


def normalize_prefix(value: str) -> str:
    """A prefix in canonical form (a bare address is a /32 or /128); ``ValueError`` names the bad value."""
    try:
        return str(ipaddress.ip_network(str(value).strip(), strict=False))
    except ValueError:
        raise ValueError(f"not an IP address or CIDR prefix: {value!r}") from None


def sort_key(prefix: str, family: str) -> tuple[int, int, int, int]:
    """Plan order: by family (VPC endpoint, auth, OSS), then by address."""
    network = ipaddress.ip_network(prefix)
    rank = ALL_FAMILIES.index(family) if family in ALL_FAMILIES else len(ALL_FAMILIES)  # type: ignore[arg-type]
    return rank, network.version, int(network.network_address), network.prefixlen


def desired_by_prefix(desired: Iterable[tuple[str, Family]], families: Iterable[Family] = ALL_FAMILIES
                      ) -> dict[str, Family]:
    """Desired ``(prefix, family)`` pairs as prefix -> family, for the target's families only.

    A prefix wanted by two families is routed once, labelled with the first family in
    ``ALL_FAMILIES`` order.
    """
    allowed = set(families)
    out: dict[str, Family] = {}
    for prefix, family in desired:
        if family not in ALL_FAMILIES:
            raise ValueError(f"unknown family {family!r} for {prefix!r}; expected one of {ALL_FAMILIES}")
        if family not in allowed:
            continue
        key = normalize_prefix(prefix)
        if key not in out or ALL_FAMILIES.index(family) < ALL_FAMILIES.index(out[key]):
            out[key] = family
    return out


def client_token(*parts: str) -> str:
    """A ``ClientToken`` (<= 64 ASCII characters) derived from what is being written."""
    return "acrguard-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


@dataclass(frozen=True)
class ManagedRoute:
    """An entry acrguard made (it carries the marker).

    ``key`` identifies the entry inside its target (the destination; for CEN cloud-service access
    the destination and access region); ``next_hop`` says where it points, to detect config changes.
    """

    prefix: str
    family: Family
    key: str
    entry_id: str
    status: str
    next_hop: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ForeignRoute:
    """An entry acrguard did not make: it is avoided, never changed or deleted."""

    prefix: str
    key: str
    entry_id: str
    label: str
    counts_to_quota: bool = True
    #: the other acrguard instance whose marker (or ownership ledger) the entry carries, if any
    owner: str | None = None
    next_hop: str = ""


@dataclass(frozen=True)
class CurrentRoutes:
    """What a target holds now, as read by ``read_managed``.

    ``used`` is how many entries count against ``quota`` (None: no known quota); ``settling`` is true
    while any entry is still being created or deleted (writes must wait for it).
    """

    target_key: str
    marker_prefix: str
    managed: tuple[ManagedRoute, ...]
    foreign: tuple[ForeignRoute, ...]
    used: int
    quota: int | None
    settling: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """A digest of which entries exist (not of their status), to derive client tokens from."""
        ids = sorted([f"m:{m.entry_id}:{m.key}" for m in self.managed]
                     + [f"f:{f.entry_id}:{f.key}" for f in self.foreign])
        return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RouteChange:
    """One entry to create or delete. ``after_removal`` adds wait for the removal of the entry they replace."""

    prefix: str
    family: Family
    key: str
    marker: str
    next_hop: str = ""
    entry_id: str = ""
    client_token: str = ""
    after_removal: bool = False
    reason: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    """A desired prefix the target will not take, and why.

    Codes: ``reserved_range`` (100.64.0.0/10 on a VPC table), ``out_of_range`` (CEN cloud-service
    hosts must be inside 100.64.0.0/10), ``foreign`` (the destination is held by an entry acrguard
    did not make), ``quota`` (it would not fit), ``unsupported`` (the target cannot take it at all),
    ``service_range`` (the cloud refused a destination inside 100.64.0.0/10 on a VBR table, or the
    refusal is remembered from an earlier run).
    """

    prefix: str
    family: Family
    code: str
    reason: str
    #: the cloud's error code when the cloud itself refused the write
    cloud_code: str = ""


@dataclass(frozen=True)
class Covered:
    """A desired prefix the target already routes without a write of this instance, and through what.

    ``by``: the covering item (another acrguard instance's entry for the same prefix and next hop,
    or a ``LocalSubnet`` item equal to or broader than the prefix); ``label`` says which.
    """

    prefix: str
    family: Family
    by: str
    label: str


@dataclass(frozen=True)
class TargetPlan:
    """The pure diff for one target: what to add and remove, what stays, what is refused."""

    target_key: str
    target_type: str
    label: str
    marker_prefix: str
    adds: tuple[RouteChange, ...] = ()
    removes: tuple[RouteChange, ...] = ()
    unchanged: tuple[ManagedRoute, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    settling: bool = False
    renegotiates_tunnel: bool = False
    owned_after: Mapping[str, Family] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: the target is written whole in one call (an IPsec connection's LocalSubnet), not entry by entry
    written_whole: bool = False
    #: desired prefixes already routed by something this instance did not write (shared or covering items)
    covered: tuple[Covered, ...] = ()

    @property
    def empty(self) -> bool:
        """True when applying would write nothing."""
        return not self.adds and not self.removes

    @property
    def write_calls(self) -> int:
        """The cloud writes applying takes: one per change, or one when the target is written whole."""
        if self.empty:
            return 0
        return 1 if self.written_whole else len(self.adds) + len(self.removes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (for ``routes plan --json`` and alerts)."""
        return asdict(self)


class RefusedByCloud(Exception):
    """A write the cloud refused for good (not a failure to retry): the target cannot take this prefix.

    Raised by an adapter's create; ``apply`` records it in ``ApplyResult.refused`` and goes on.
    """

    def __init__(self, code: str, reason: str, cloud_code: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.cloud_code = cloud_code


@dataclass(frozen=True)
class Failure:
    """A write that did not succeed; ``transient`` ones stop the run so it is retried later."""

    prefix: str
    operation: str
    code: str
    message: str
    transient: bool


@dataclass
class ApplyResult:
    """What ``apply`` did. "Already present" and "already gone" count as success.

    ``refused``: adds the cloud refused for good (``RefusedByCloud``); they are not failures, so the
    invocation is not retried for them (the keeper remembers them instead). ``kept_back``: removals of
    the same family as a refused add, not made (what the refused prefix would have replaced stays).
    """

    target_key: str
    created: list[str] = field(default_factory=list)
    already_present: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    already_gone: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    kept_back: list[str] = field(default_factory=list)
    write_calls: int = 0
    renegotiates_tunnel: bool = False
    owned_after: dict[str, Family] | None = None

    @property
    def ok(self) -> bool:
        """True when every planned change is in place."""
        return not self.failures and not self.skipped

    @property
    def transient(self) -> bool:
        """True when a failure is worth retrying later (throttling, timeouts, an entry still settling)."""
        return any(f.transient for f in self.failures)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {**asdict(self), "ok": self.ok}


class RouteTarget(Protocol):
    """A place that must route the registry's prefixes: read, plan (pure), apply (idempotent)."""

    key: str
    target_type: str
    label: str

    def read_managed(self, marker_prefix: str) -> CurrentRoutes:
        """The entries carrying ``marker_prefix`` (managed) and every other entry (foreign)."""
        ...

    def plan(self, desired: Iterable[tuple[str, Family]], current: CurrentRoutes) -> TargetPlan:
        """The changes that make ``current`` route exactly ``desired`` (no I/O)."""
        ...

    def apply(self, plan: TargetPlan) -> ApplyResult:
        """Carry out ``plan``: adds before removes, waiting for entries to settle."""
        ...
