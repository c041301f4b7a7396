"""Discovery of an instance's VPC endpoint: its domains and ENI addresses, from the ACR API.

The endpoint address comes from the API, never from DNS (and must still pass the acceptance rules
of ``acrguard.addresses``: inside ``routes.vpc_cidrs``, outside the IDC's ranges):
``GetInstanceVpcEndpoint`` (cr 2018-12-01,
https://help.aliyun.com/zh/acr/developer-reference/api-cr-2018-12-01-getinstancevpcendpoint and
the SDK model ``GetInstanceVpcEndpointResponseBodyLinkedVpcs``) lists each linked VPC's ENI ``Ip``
with its ``Status`` (``CREATING``/``RUNNING``), ``DefaultAccess`` and ``Issue``. DNS resolution of
the VPC domain is only a cross-check (a mismatch is a finding).

What the fields mean, and what acrguard does with them:

* ``Issue`` is "关联 VPC 的访问控制存在的异常信息", an anomaly of the linked VPC's *access control*;
  the page's one example is ``PRIVATE_ZONE_CONFLICT_AT_{private_zone_id}``: a PrivateZone zone
  bound to that VPC conflicts with the zone ACR creates automatically for the instance domain
  (https://www.alibabacloud.com/help/en/acr/user-guide/configure-access-over-vpcs: ACR configures
  PrivateZone itself; do not edit its zone). It says nothing about the ENI, so a RUNNING linked
  VPC with an ``Issue`` keeps its address routed; the finding explains the value.
* ``Enable`` is "是否开启访问控制" (whether access control is enabled) on the Chinese page and
  "whether the VPC endpoint is enabled" in the SDK docstrings. ``Enable=false`` is reported with
  both readings; the linked VPCs' addresses are still added and nothing is removed while it lasts.
* The ENI can disappear (a real case: the ENI was deleted and pulls timed out until the VPC was
  re-bound, https://github.com/aliyun-fc/fc-docs/pull/157). So an instance that is not RUNNING
  or not found, a linked VPC not RUNNING or without an address, no linked VPC, or an API error
  make the observation *incomplete*: they are reported as findings and never lead to withdrawing
  a route.
* A missing instance is answered with ``Code=INSTANCE_NOT_EXIST`` (HTTP 200, ``IsSuccess=false``,
  which ``acrguard.clients.call`` raises); terraform-provider-alicloud treats it and
  ``INSTANCE_STATUS_NOT_SUPPORT`` as "not found" (``alicloud/service_alicloud_cr_ee.go``,
  ``alicloud/service_alicloud_cr.go``). Both get a finding that says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from acrguard.clients import call
from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.events.routing import ENDPOINT_KEEPER
from acrguard.findings import Finding, Severity
from acrguard.hysteresis import Observation
from acrguard.resolve import NoSuchName, Outcome, Resolved, describe

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.resolve import NameResolver

RUNNING = "RUNNING"
_KEEP = "acrguard keeps the routes it already has for this endpoint until the address is observed again."
#: the Issue prefix the API page gives as its example: ``PRIVATE_ZONE_CONFLICT_AT_<private zone id>``
PRIVATE_ZONE_CONFLICT = "PRIVATE_ZONE_CONFLICT_AT_"
#: codes of an instance that is not there (terraform-provider-alicloud treats both as NotFound)
INSTANCE_NOT_FOUND = "INSTANCE_NOT_EXIST"
INSTANCE_STATUS_NOT_SUPPORTED = "INSTANCE_STATUS_NOT_SUPPORT"


@dataclass(frozen=True)
class LinkedVpcEndpoint:
    """One linked VPC of the VPC endpoint: its ENI address and state."""

    vpc_id: str
    vswitch_id: str
    ip: str
    status: str
    default_access: bool
    issue: str

    @property
    def healthy(self) -> bool:
        """RUNNING with an address: the ENI serves (an ``Issue`` is about access control, not the ENI)."""
        return self.status == RUNNING and bool(self.ip)


@dataclass(frozen=True)
class Discovery:
    """What the API (and the DNS cross-check) said about one instance's VPC endpoint.

    ``addresses``: the ENI addresses to route (healthy linked VPCs, restricted to the configured
    ones); ``complete``: whether that set may be trusted as *all* of them (so missing addresses
    count toward removal); ``transient``: an API call failed in a way worth retrying later.
    """

    instance_id: str
    region: str
    instance_name: str | None = None
    instance_status: str | None = None
    domains: tuple[str, ...] = ()
    linked: tuple[LinkedVpcEndpoint, ...] = ()
    addresses: frozenset[str] = frozenset()
    complete: bool = False
    transient: bool = False
    dns: Mapping[str, Outcome] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()

    @property
    def vpc_domain(self) -> str | None:
        """The system VPC domain (``<name>-registry-vpc.<region>.cr.aliyuncs.com``), else the first domain."""
        return system_vpc_domain(self.domains)

    @property
    def default_access(self) -> tuple[str, ...]:
        """Addresses marked as the default resolution (what the PrivateZone record answers)."""
        return tuple(v.ip for v in self.linked if v.default_access and v.ip)

    def observation(self) -> Observation:
        """The ``vpc_endpoint`` family observation for the hysteresis."""
        return Observation(self.addresses, self.complete)


def system_vpc_domain(domains: Iterable[str]) -> str | None:
    """The system VPC domain among ``domains`` (``<name>-registry-vpc.<region>.cr.aliyuncs.com``), else the first."""
    listed = list(domains)
    for domain in listed:
        if "-registry-vpc." in domain and domain.endswith(".cr.aliyuncs.com"):
            return domain
    return listed[0] if listed else None


def _finding(rule: str, severity: Severity, instance_id: str, title: str, details: str, fix: str = _KEEP,
             evidence: Mapping[str, Any] | None = None, **labels: str) -> Finding:
    return Finding(rule=f"routes.{rule}", severity=severity, resource=instance_id, scope=instance_id, title=title,
                   details=details, fix=fix, labels={"family": "vpc_endpoint", **labels},
                   evidence=dict(evidence or {}), job=ENDPOINT_KEEPER)


def _api_failure(instance_id: str, region: str, api: str, exc: CloudCallError) -> Finding:
    evidence = {"code": exc.code, "request_id": exc.request_id}
    if exc.code == INSTANCE_NOT_FOUND:
        return _finding("instance-not-found", Severity.HIGH, instance_id,
                        f"ACR instance {instance_id} not found in {region}",
                        f"{api} answers {INSTANCE_NOT_FOUND}: the account acrguard uses has no instance {instance_id} "
                        f"in {region}. Nothing is known about its VPC endpoint this run.",
                        "Check instances[].instance_id and its region, and that acrguard's credentials belong to the "
                        "instance's account. If the instance was released, remove it from the config; acrguard never "
                        "deletes routes on doubt, so remove the routes it made for it by hand.",
                        api=api, evidence=evidence)
    if exc.code == INSTANCE_STATUS_NOT_SUPPORTED:
        return _finding("instance-not-running", Severity.HIGH, instance_id,
                        f"Instance {instance_id} does not support endpoint operations now",
                        f"{api} answers {INSTANCE_STATUS_NOT_SUPPORTED}: the instance is in a state (being released, "
                        "stopped, or retired) in which ACR does not serve its endpoints. The VPC endpoint state is "
                        "unknown this run.", api=api, evidence=evidence)
    return _finding("discovery-failed", Severity.HIGH, instance_id, f"{api} failed",
                    f"{exc}. The VPC endpoint state is unknown this run.", api=api, evidence=evidence)


def issue_finding(instance_id: str, vpc: LinkedVpcEndpoint, vpc_domain: str | None) -> Finding:
    """The finding for a linked VPC's ``Issue``: what the value means and what to do; the ENI stays routed."""
    where = f"Linked VPC {vpc.vpc_id} (vSwitch {vpc.vswitch_id or 'unknown'}, ENI {vpc.ip or 'none'})"
    domain = vpc_domain or "the instance's VPC domain"
    evidence = {"issue": vpc.issue, "ip": vpc.ip, "status": vpc.status}
    if vpc.issue.upper().startswith(PRIVATE_ZONE_CONFLICT) and len(vpc.issue) > len(PRIVATE_ZONE_CONFLICT):
        zone = vpc.issue[len(PRIVATE_ZONE_CONFLICT):]
        return _finding(
            "endpoint-issue", Severity.MEDIUM, instance_id,
            f"PrivateZone zone {zone} conflicts with ACR's zone in {vpc.vpc_id}",
            f"{where} reports Issue {vpc.issue!r}: an anomaly of the VPC's access control. The PrivateZone zone "
            f"{zone} bound to {vpc.vpc_id} conflicts with the zone ACR creates automatically for {domain}, so hosts "
            f"in that VPC may resolve {domain} through {zone} instead of to the endpoint. The ENI address is not "
            "affected and stays routed for the IDC.",
            f"In the PrivateZone console, look at zone {zone}: unbind it from {vpc.vpc_id}, or remove the records "
            f"in it that cover {domain} (a zone for cr.aliyuncs.com or a parent name shadows ACR's). Do not edit "
            "ACR's automatic zone. The finding clears when GetInstanceVpcEndpoint stops reporting the Issue.",
            evidence={**evidence, "private_zone_id": zone}, vpc=vpc.vpc_id)
    return _finding(
        "endpoint-issue", Severity.MEDIUM, instance_id, f"VPC endpoint in {vpc.vpc_id} reports an access-control issue",
        f"{where} reports Issue {vpc.issue!r}. The API documents Issue only as an anomaly of the linked VPC's access "
        "control, with PRIVATE_ZONE_CONFLICT_AT_<private zone id> as its one example; this value is not documented. "
        "It does not say the ENI is gone: the address stays routed.",
        "Check the VPC in the ACR console (Access Control > VPC) and the PrivateZone zones bound to it; if the value "
        "persists, ask Alibaba Cloud support what it means.", evidence=evidence, vpc=vpc.vpc_id)


def discover(factory: ClientFactory, instance_id: str, region: str, *, linked_vpc_ids: Iterable[str] = (),
             resolver: NameResolver | None = None) -> Discovery:
    """Read the instance and its VPC endpoint through the SDK and cross-check the domains by DNS.

    Never raises for cloud or DNS failures: they become findings and an incomplete discovery
    (``transient`` tells the caller that a retry may help).
    """
    from alibabacloud_cr20181201 import models as cr

    client = factory.cr(region)
    findings: list[Finding] = []
    complete = True
    transient = False
    name = status = None
    try:
        body = call("cr", "GetInstance", client.get_instance, cr.GetInstanceRequest(instance_id=instance_id))
        name, status = body.instance_name, body.instance_status
    except CloudCallError as exc:
        findings.append(_api_failure(instance_id, region, "GetInstance", exc))
        if exc.code == INSTANCE_NOT_FOUND:  # its VPC endpoint cannot be there either: one clear finding
            return Discovery(instance_id, region, findings=tuple(findings))
        complete, transient = False, isinstance(exc, TransientCloudError)
    if status is not None and status != RUNNING:
        complete = False
        findings.append(_finding("instance-not-running", Severity.HIGH, instance_id,
                                 f"Instance is {status}, not RUNNING",
                                 f"ACR instance {instance_id} reports InstanceStatus {status}.",
                                 evidence={"status": status}))
    try:
        endpoint = call("cr", "GetInstanceVpcEndpoint", client.get_instance_vpc_endpoint,
                        cr.GetInstanceVpcEndpointRequest(instance_id=instance_id, module_name="Registry"))
    except CloudCallError as exc:
        findings.append(_api_failure(instance_id, region, "GetInstanceVpcEndpoint", exc))
        return Discovery(instance_id, region, name, status, findings=tuple(findings),
                         transient=transient or isinstance(exc, TransientCloudError))
    domains = tuple(d.lower().rstrip(".") for d in (endpoint.domains or []) if d)
    linked = tuple(LinkedVpcEndpoint(v.vpc_id or "", v.vswitch_id or "", v.ip or "", v.status or "",
                                     bool(v.default_access), v.issue or "") for v in endpoint.linked_vpcs or [])
    if endpoint.enable is False:
        complete = False
        findings.append(_finding(
            "vpc-access-control-disabled", Severity.MEDIUM, instance_id, "VPC access control reports Enable=false",
            f"GetInstanceVpcEndpoint reports Enable=false for {instance_id}. The API page describes Enable as whether "
            "VPC access control is enabled (the SDK docstrings: whether the VPC endpoint is enabled); it does not say "
            "the linked VPCs' ENIs stop serving. acrguard still routes the addresses the API lists and removes none "
            "while this lasts.",
            "Check the instance's VPC access in the ACR console (Access Control > VPC); if it was switched off on "
            "purpose, take the instance out of routes: in the config.", evidence={"enable": False}))
    wanted = tuple(linked_vpc_ids)
    selected = tuple(v for v in linked if not wanted or v.vpc_id in wanted)
    for vpc_id in wanted:
        if not any(v.vpc_id == vpc_id for v in linked):
            complete = False
            findings.append(_finding("vpc-not-linked", Severity.HIGH, instance_id,
                                     f"{vpc_id} is not linked to the VPC endpoint",
                                     f"routes.linked_vpc_ids names {vpc_id}, but the instance's VPC endpoint "
                                     f"lists {', '.join(v.vpc_id for v in linked) or 'no VPC'}.",
                                     "Bind the VPC in the ACR console (Access Control > VPC) or correct "
                                     "routes.linked_vpc_ids. " + _KEEP, vpc=vpc_id))
    if not selected:
        complete = False
        findings.append(_finding("no-linked-vpc", Severity.HIGH, instance_id, "No linked VPC on the VPC endpoint",
                                 f"GetInstanceVpcEndpoint lists no{' configured' if wanted else ''} linked VPC for "
                                 f"{instance_id}: the endpoint has no ENI address to route.",
                                 "Bind the IDC-connected VPC to the instance (ACR console > Access Control > "
                                 "VPC). " + _KEEP))
    vpc_domain = system_vpc_domain(domains)
    for vpc in selected:
        if vpc.issue:
            findings.append(issue_finding(instance_id, vpc, vpc_domain))
        if vpc.healthy:
            continue
        complete = False
        if vpc.status != RUNNING:
            findings.append(_finding(
                "endpoint-not-running", Severity.MEDIUM, instance_id,
                f"VPC endpoint in {vpc.vpc_id} is {vpc.status or 'in no state'}",
                f"Linked VPC {vpc.vpc_id} (ENI {vpc.ip or 'none'}) has Status {vpc.status or '(empty)'}, "
                "not RUNNING.", evidence={"status": vpc.status, "ip": vpc.ip}, vpc=vpc.vpc_id))
        else:
            findings.append(_finding("endpoint-no-address", Severity.HIGH, instance_id,
                                     f"VPC endpoint in {vpc.vpc_id} has no address",
                                     f"Linked VPC {vpc.vpc_id} is RUNNING but reports no Ip: its ENI may be gone.",
                                     "Re-bind the VPC in the ACR console (Access Control > VPC); that creates a new "
                                     "ENI address, which acrguard adds at once. " + _KEEP, vpc=vpc.vpc_id))
    addresses = frozenset(v.ip for v in selected if v.healthy)
    dns: dict[str, Outcome] = {}
    if resolver is not None:
        dns = resolver.resolve_all(domains)
        findings.extend(cross_check(instance_id, dns, linked))
    return Discovery(instance_id, region, name, status, domains, linked, addresses, complete, transient, dns,
                     tuple(findings))


def cross_check(instance_id: str, dns: Mapping[str, Outcome], linked: Iterable[LinkedVpcEndpoint]
                ) -> list[Finding]:
    """Findings for VPC domains whose DNS answer disagrees with the API's ENI addresses (pure)."""
    known = {v.ip for v in linked if v.ip}
    findings: list[Finding] = []
    for domain, outcome in dns.items():
        if isinstance(outcome, Resolved):
            foreign = sorted(outcome.addresses - known)
            if foreign:
                findings.append(_finding(
                    "vpc-dns-mismatch", Severity.MEDIUM, instance_id, f"{domain} resolves outside the VPC endpoint",
                    f"DNS answers {', '.join(foreign)} for {domain}, but GetInstanceVpcEndpoint lists "
                    f"{', '.join(sorted(known)) or 'no address'}. Routes follow the API; clients resolving this name "
                    "may reach the wrong address.",
                    "Check the PrivateZone record ACR created for the instance (do not edit the automatic zone; "
                    "re-bind the VPC if it is stale) and any IDC-side DNS override.",
                    evidence={"dns": sorted(outcome.addresses), "api": sorted(known)}, domain=domain))
            continue
        severity = Severity.MEDIUM if isinstance(outcome, NoSuchName) else Severity.LOW
        findings.append(_finding(
            "vpc-dns-unresolved", severity, instance_id, f"{domain} could not be cross-checked",
            f"{describe(outcome)}. The endpoint address is taken from the API; the DNS cross-check is skipped.",
            "Check the configured nameservers (routes.nameservers) and the instance's PrivateZone record.",
            evidence={"outcome": describe(outcome)}, domain=domain))
    return findings
