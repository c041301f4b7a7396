"""Check 4, ``vbr-service-range``: each VBR route table takes a destination inside 100.64.0.0/10.

The auth service and OSS serve from 100.64.0.0/10, and the published CreateRouteEntry revisions
disagree on whether a VBR table takes such a destination (``acrguard.routes.targets.route_table``'s
docstring has the sources). Only the cloud can say, so for each configured ``vbr_route_table``
target that routes ``auth`` or ``oss``, doctor sends ``CreateRouteEntry`` with ``DryRun=true``, a
destination that is one of the region's published OSS ranges (not yet in the table) and the
target's next hop:

* ``DryRunOperation``: the table takes it (PASS); so does a table already holding such a range;
* ``InvalidCidrBlock``/``InvalidDestinationCidrBlock`` (the documented refusal): FAIL, with the
  keeper's own refusal text and the working alternative for this IDC
  (``acrguard.routes.alternatives.service_range_advice``: CEN cloud-service access, or a transit router);
  PASS with that text when another configured target already routes the families (nothing breaks);
* anything else (a RAM refusal of the doctor, a full or busy table): cannot tell.
"""

from __future__ import annotations

import ipaddress

from acrguard.config.model import InstanceConfig
from acrguard.config.routes import RouteTableTarget
from acrguard.doctor import dryrun, observe
from acrguard.doctor.answers import describe, dry_run_passed, is_refusal, unknown_fix
from acrguard.doctor.context import DoctorContext
from acrguard.doctor.model import CheckResult, Item, Status, combine
from acrguard.errors import CloudCallError
from acrguard.findings import Severity
from acrguard.routes.alternatives import service_range_advice
from acrguard.routes.targets.base import RouteChange, marker_prefix
from acrguard.routes.targets.route_table import DUPLICATE_CODES, SERVICE_RANGE, RouteTableRoutes

NAME = "vbr-service-range"
SERVICE_FAMILIES = ("auth", "oss")


def _label(target: RouteTableTarget) -> str:
    key = f"{target.type}:{target.route_table_id}"
    return f"{target.name} ({key})" if target.name else key


def _item(ctx: DoctorContext, instance: InstanceConfig, target: RouteTableTarget) -> Item:
    subject = _label(target)
    families = [f for f in SERVICE_FAMILIES if f in target.families]
    if not families:
        return Item(subject, Status.PASS, "routes only vpc_endpoint: nothing inside 100.64.0.0/10 to take")
    region = target.region or ctx.region_of(instance)
    outcome = observe.oss_ranges(ctx, instance)
    ranges = outcome.table.for_region(region) if outcome.table is not None else None
    service = [str(n) for n in ranges.ranges if n.subnet_of(SERVICE_RANGE)] if ranges is not None else []
    if not service:
        why = outcome.table.absence(region) if outcome.table is not None else str(outcome.problem)
        return Item(subject, Status.UNKNOWN, f"no published OSS range of {region} to try ({why})",
                    "see the oss-ranges check; the keeper will learn the table's answer on its first write")
    adapter = RouteTableRoutes(target, ctx.factory)
    try:
        current = adapter.read_managed(marker_prefix(instance.name))
    except CloudCallError as exc:
        return Item(subject, Status.UNKNOWN, f"the table cannot be read: {describe(exc)}", unknown_fix(exc, "vpc"))
    held = {e.prefix for e in (*current.managed, *current.foreign)}
    inside = sorted(p for p in held if ipaddress.ip_network(p).version == 4
                    and ipaddress.ip_network(p).subnet_of(SERVICE_RANGE))
    if inside:
        return Item(subject, Status.PASS, f"already holds {', '.join(inside[:3])} inside 100.64.0.0/10")
    destination = next(p for p in service if p not in held)
    answer = dryrun.create_route_entry(ctx.factory, target, region, destination)
    data = {"destination": destination, "answer": answer.code if answer is not None else "success"}
    if answer is None:
        return Item(subject, Status.FAIL, f"DryRun CreateRouteEntry {destination} answered success: the cloud may "
                    "have written", f"look at {target.route_table_id} and delete the entry to {destination} if one "
                    "was made", data)
    if dry_run_passed(answer):
        return Item(subject, Status.PASS, f"takes {destination} (DryRun CreateRouteEntry: DryRunOperation)", data=data)
    if answer.code in DUPLICATE_CODES:
        return Item(subject, Status.PASS, f"already holds {destination} (answered {answer.code})", data=data)
    refusal = adapter._refusal(answer, RouteChange(destination, "oss", destination, ""))
    if refusal is not None and refusal.code == "service_range":
        routes = instance.routes
        vpc_ids = (routes.linked_vpc_ids if routes else ()) or tuple(
            v.vpc_id for v in observe.endpoint(ctx, instance).linked if v.vpc_id)
        advice = service_range_advice(routes.targets if routes else (), f"{target.type}:{target.route_table_id}",
                                      families, region, vpc_ids)
        data = {**data, "severity": advice.severity.value}
        if advice.severity.at_least(Severity.HIGH):
            return Item(subject, Status.FAIL, refusal.reason, advice.fix, data)
        return Item(subject, Status.PASS, f"{refusal.reason}; harmless here: {advice.fix}", data=data)
    if is_refusal(answer):
        return Item(subject, Status.UNKNOWN, f"DryRun CreateRouteEntry was refused to doctor ({answer.code})",
                    unknown_fix(answer, "vpc"), data)
    return Item(subject, Status.UNKNOWN, f"DryRun CreateRouteEntry {destination}: {describe(answer)}",
                unknown_fix(answer, "vpc") + " (a full table shows in table-quotas)", data)


def check_vbr(ctx: DoctorContext) -> CheckResult:
    """One item per configured VBR route table."""
    items = [_item(ctx, instance, target) for instance in ctx.routed_instances()
             for target in instance.routes.targets  # type: ignore[union-attr]
             if isinstance(target, RouteTableTarget) and target.type == "vbr_route_table"]
    return combine(NAME, items, none="no vbr_route_table target in the config")
