"""What to do when a VBR route table refuses the cloud-service prefixes: the working alternative, per IDC.

The auth service and OSS serve from 100.64.0.0/10. When a VBR route table refuses those
destinations (``service_range``), the IDC still reaches them through a VPC of the region, routed by
CEN:

* **CEN cloud-service access** (Basic Edition): "the VBRs and CCN instances attached to CEN can access
  the cloud services deployed in VPCs through CEN" — ``ResolveAndRouteServiceInCen``, one host prefix
  inside 100.64.0.0/10 per call, at least one VPC of the host region attached
  (https://www.alibabacloud.com/help/en/cen/developer-reference/api-cbn-2017-09-12-resolveandrouteserviceincen;
  Terraform ``alicloud_cen_route_service``, whose example routes the Hangzhou OSS VIP
  100.118.28.52/32). acrguard's ``cen_service`` target.
* with an Enterprise Edition transit router: a static route in the transit router's table toward the
  VPC attachment (the ACK leased-line guide configures return routes "in the IDC, the VBR, CEN, the
  transit router and the VPC route table":
  https://www.alibabacloud.com/help/zh/ack/ack-edge/user-guide/configuration-of-domain-name-and-ip-routing-network-segment-for-under-cloud-node-access).
  acrguard's ``cen_transit_router`` target.

``advice`` tells which one applies: when another target of the instance already routes the refused
families the refusal is harmless; otherwise the IDC cannot pull, and the finding says what to add.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from acrguard.config.routes import CenServiceTarget, Family, RouteTableTarget, TransitRouterTarget, VpnConnectionTarget
from acrguard.findings import Severity

TargetConfig = RouteTableTarget | CenServiceTarget | TransitRouterTarget | VpnConnectionTarget
RESOLVE_AND_ROUTE = "https://www.alibabacloud.com/help/en/cen/developer-reference/api-cbn-2017-09-12-resolveandrouteserviceincen"


@dataclass(frozen=True)
class Advice:
    """How bad a refusal is for this IDC, and what to do about it."""

    severity: Severity
    fix: str


def _label(config: TargetConfig) -> str:
    key = getattr(config, "route_table_id", None) or getattr(config, "cen_id", None) or \
        getattr(config, "vpn_connection_id", "")
    return config.name or f"{config.type}:{key}"


def _covers(config: TargetConfig, families: set[Family], region: str) -> bool:
    """Whether a target of another kind routes every one of ``families`` of the instance toward its VPC."""
    if not families <= set(config.families):
        return False
    if isinstance(config, CenServiceTarget):
        return config.host_region_id == region
    return isinstance(config, (TransitRouterTarget, VpnConnectionTarget))


def service_range_advice(targets: Iterable[TargetConfig], refused_on: str, families: Iterable[Family], region: str,
                         vpc_ids: Iterable[str] = ()) -> Advice:
    """The advice for prefixes of ``families`` that the VBR target ``refused_on`` (a target key) refuses."""
    wanted = set(families)
    others = [t for t in targets if not (isinstance(t, RouteTableTarget) and
                                         f"{t.type}:{t.route_table_id}" == refused_on)]
    covering = [t for t in others if _covers(t, wanted, region)]
    names = ", ".join(sorted(wanted))
    silence = ("To silence this, limit this VBR target's families (routes.targets[].families) to those it takes, "
               "e.g. [vpc_endpoint].")
    if covering:
        verb = "routes" if len(covering) == 1 else "route"
        return Advice(Severity.LOW, f"Nothing breaks: {', '.join(_label(t) for t in covering)} already {verb} "
                                    f"{names} for this instance. {silence}")
    vpc = next(iter(vpc_ids), "<the VPC the instance is linked to>")
    return Advice(Severity.HIGH, (
        f"The IDC cannot reach {names} through this VBR table, so pulls from the IDC fail. Route them through CEN "
        f"cloud-service access instead: attach this VBR and the VPC {vpc} ({region}) to a CEN instance and add the "
        f"target {{type: cen_service, cen_id: <cen>, host_region_id: {region}, host_vpc_id: {vpc}, "
        f"access_region_ids: [<the VBR's region>], families: [{', '.join(sorted(wanted))}]}}; acrguard then calls "
        f"ResolveAndRouteServiceInCen for each prefix ({RESOLVE_AND_ROUTE}). With an Enterprise Edition transit "
        f"router, add a cen_transit_router target toward the VPC attachment instead. The IDC router keeps routing "
        f"the same prefixes toward the VBR (see the exports). {silence}"))
