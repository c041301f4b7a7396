"""Check 5, ``table-quotas``: the routes acrguard needs fit in each route table.

For each configured route table (``vbr_route_table``, ``vpc_route_table``; a ``cen_transit_router``
table only when ``quota`` is set, since no quota is documented for it) the keeper's own reader
(``acrguard.routes.targets``' ``read_managed``) counts the entries in use and gives the quota: the
configured ``quota``, else the documented 200 custom routes per VPC or VBR table (older VBR pages say
48: ``acrguard.routes.targets.route_table``). The keeper's own plan (``plan``) then says how many
entries the prefixes acrguard needs would add:

* ``vpc_endpoint``: the VPC endpoint's ENI addresses (``GetInstanceVpcEndpoint``), as /32s;
* ``oss``: the region's published OSS ranges;
* ``auth``: the auth host's addresses when the ``/v2/`` challenge and the VPC's DNS answer from
  here; otherwise one entry is reserved for it (its addresses are only known from inside the VPC).

The plan applies the table's own rules (a VPC table takes nothing inside 100.64.0.0/10). FAIL when
the entries in use plus those to add exceed the quota.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from acrguard.config.model import InstanceConfig
from acrguard.config.routes import Family, RouteTableTarget, TransitRouterTarget
from acrguard.doctor import observe
from acrguard.doctor.answers import describe, unknown_fix
from acrguard.doctor.context import DoctorContext
from acrguard.doctor.model import CheckResult, Item, Status, combine
from acrguard.errors import CloudCallError
from acrguard.resolve import DnsResolver, Resolved, ResolverSettings
from acrguard.routes.targets.base import marker_prefix
from acrguard.routes.targets.build import build_target
from acrguard.routes.targets.route_table import DEFAULT_QUOTA

NAME = "table-quotas"
#: entries reserved for the auth host when its addresses cannot be learnt from here
AUTH_RESERVE = 1
#: share of the quota above which the evidence warns that little room is left (the keeper's quota-pressure rule)
PRESSURE = 0.8


def desired(ctx: DoctorContext, instance: InstanceConfig) -> tuple[set[tuple[str, Family]], list[str], bool]:
    """The prefixes acrguard needs for ``instance`` as far as known from here, what is unknown, and auth known."""
    region = ctx.region_of(instance)
    wanted: set[tuple[str, Family]] = set()
    unknown: list[str] = []
    found = observe.endpoint(ctx, instance)
    wanted |= {(f"{ip}/32", "vpc_endpoint") for ip in found.addresses}
    if not found.complete:
        unknown.append("some VPC endpoint addresses (the endpoint could not be read whole: see its findings in "
                       "`acrguard routes plan`)")
    outcome = observe.oss_ranges(ctx, instance)
    ranges = outcome.table.for_region(region) if outcome.table is not None else None
    if ranges is not None:
        wanted |= {(str(n), "oss") for n in ranges.ranges}
    else:
        unknown.append(f"the OSS ranges of {region} (see oss-ranges)")
    auth = _auth_addresses(ctx, instance)
    wanted |= {(f"{ip}/32", "auth") for ip in auth}
    return wanted, unknown, bool(auth)


def _auth_addresses(ctx: DoctorContext, instance: InstanceConfig) -> frozenset[str]:
    """The auth host's addresses, when the probe named it and the configured nameservers answered."""
    probe = observe.challenge(ctx, instance)
    if probe is None or probe.host is None or instance.routes is None:
        return frozenset()
    outcome = ctx.memo(("dns", instance.instance_id, probe.host), lambda: DnsResolver(
        ResolverSettings.from_routes(instance.routes)).resolve(probe.host))  # type: ignore[arg-type]
    return outcome.addresses if isinstance(outcome, Resolved) else frozenset()


def _quota_item(ctx: DoctorContext, instance: InstanceConfig, target: Any) -> Item | None:
    key = f"{target.type}:{target.route_table_id}"
    subject = f"{target.name} ({key})" if target.name else key
    if isinstance(target, TransitRouterTarget) and target.quota is None:
        return None
    adapter = build_target(target, ctx.factory)
    try:
        current = adapter.read_managed(marker_prefix(instance.name))
    except CloudCallError as exc:
        return Item(subject, Status.UNKNOWN, f"the table cannot be read: {describe(exc)}",
                    unknown_fix(exc, "vpc" if isinstance(target, RouteTableTarget) else "cbn"))
    wanted, unknown, auth_known = desired(ctx, instance)
    plan = adapter.plan(wanted, current)
    quota = current.quota if current.quota is not None else DEFAULT_QUOTA
    adds = sum(1 for c in plan.adds if not c.after_removal) + sum(1 for r in plan.refusals if r.code == "quota")
    reserve = _reserve(target, auth_known)
    after = current.used + adds + reserve
    source = "routes.targets[].quota" if target.quota is not None else "the documented 200 custom routes a table"
    reserved = f" + {reserve} reserved for the auth host" if reserve else ""
    evidence = f"{current.used} of {quota} in use ({source}); acrguard adds {adds}{reserved}: {after} of {quota}"
    data = {"used": current.used, "quota": quota, "adds": adds, "reserved": reserve, "unknown": unknown}
    if after > quota:
        return Item(subject, Status.FAIL, evidence + ": does not fit",
                    f"free {after - quota} entries in {target.route_table_id} or raise its quota (Quota Center), then "
                    "set routes.targets[].quota to the real figure; or route part of the families on another target "
                    "(routes.targets[].families)", data)
    note = f" (over {int(PRESSURE * 100)} %: little room left)" if after >= PRESSURE * quota else ""
    if unknown:
        note += f"; not counted: {'; '.join(unknown)}"
    return Item(subject, Status.PASS, evidence + note, data=data)


def _reserve(target: Any, auth_known: bool) -> int:
    """Entries to keep for the auth host's unknown addresses (none where auth is not routed or is refused)."""
    if auth_known or "auth" not in target.families:
        return 0
    if isinstance(target, RouteTableTarget) and target.type == "vpc_route_table":
        return 0  # inside 100.64.0.0/10: a VPC table refuses it (reserved_range), so it takes no entry
    return AUTH_RESERVE


def _tables(ctx: DoctorContext) -> Iterable[tuple[InstanceConfig, Any]]:
    for instance in ctx.routed_instances():
        for target in instance.routes.targets:  # type: ignore[union-attr]
            if isinstance(target, (RouteTableTarget, TransitRouterTarget)):
                yield instance, target


def check_quotas(ctx: DoctorContext) -> CheckResult:
    """One item per route table with a known quota."""
    items: list[Item] = []
    skipped: list[str] = []
    for instance, target in _tables(ctx):
        item = _quota_item(ctx, instance, target)
        if item is None:
            skipped.append(f"{target.type}:{target.route_table_id}: no documented quota for a transit router "
                           "table; set routes.targets[].quota to check it")
        else:
            items.append(item)
    return combine(NAME, items, none="no route table target in the config", notes=skipped)
