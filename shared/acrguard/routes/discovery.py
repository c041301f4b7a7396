"""Discovery of an instance's VPC endpoint: its domains and ENI addresses, from the ACR API.

The endpoint address comes from the API, not DNS (``../shared/reference/acr-network.md``,
"Implications" 2): ``GetInstanceVpcEndpoint`` lists each linked VPC's ENI ``Ip`` with its
``Status``, ``DefaultAccess`` and ``Issue``. DNS resolution of the VPC domain is only a
cross-check (a mismatch is a finding).

The ENI can disappear (a real case: the ENI was deleted and pulls timed out until the VPC was
re-bound, acr-network.md §1.5). So an instance that is not RUNNING, an endpoint with an ``Issue``
or not RUNNING, no linked VPC, or an API error all make the observation *incomplete*: they are
reported as findings and never lead to withdrawing a route.
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
        """RUNNING, with an address and no reported issue."""
        return self.status == RUNNING and not self.issue and bool(self.ip)


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
        for domain in self.domains:
            if "-registry-vpc." in domain and domain.endswith(".cr.aliyuncs.com"):
                return domain
        return self.domains[0] if self.domains else None

    @property
    def default_access(self) -> tuple[str, ...]:
        """Addresses marked as the default resolution (what the PrivateZone record answers)."""
        return tuple(v.ip for v in self.linked if v.default_access and v.ip)

    def observation(self) -> Observation:
        """The ``vpc_endpoint`` family observation for the hysteresis."""
        return Observation(self.addresses, self.complete)


def _finding(rule: str, severity: Severity, instance_id: str, title: str, details: str, fix: str = _KEEP,
             evidence: Mapping[str, Any] | None = None, **labels: str) -> Finding:
    return Finding(rule=f"routes.{rule}", severity=severity, resource=instance_id, scope=instance_id, title=title,
                   details=details, fix=fix, labels={"family": "vpc_endpoint", **labels},
                   evidence=dict(evidence or {}), job=ENDPOINT_KEEPER)


def _api_failure(instance_id: str, api: str, exc: CloudCallError) -> Finding:
    return _finding("discovery-failed", Severity.HIGH, instance_id, f"{api} failed",
                    f"{exc}. The VPC endpoint state is unknown this run.", api=api,
                    evidence={"code": exc.code, "request_id": exc.request_id})


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
        findings.append(_api_failure(instance_id, "GetInstance", exc))
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
        findings.append(_api_failure(instance_id, "GetInstanceVpcEndpoint", exc))
        return Discovery(instance_id, region, name, status, findings=tuple(findings),
                         transient=transient or isinstance(exc, TransientCloudError))
    domains = tuple(d.lower().rstrip(".") for d in (endpoint.domains or []) if d)
    linked = tuple(LinkedVpcEndpoint(v.vpc_id or "", v.vswitch_id or "", v.ip or "", v.status or "",
                                     bool(v.default_access), v.issue or "") for v in endpoint.linked_vpcs or [])
    if endpoint.enable is False:
        complete = False
        findings.append(_finding("vpc-endpoint-disabled", Severity.HIGH, instance_id, "VPC endpoint is disabled",
                                 f"GetInstanceVpcEndpoint reports Enable=false for {instance_id}."))
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
    for vpc in selected:
        if vpc.healthy:
            continue
        complete = False
        if vpc.issue:
            findings.append(_finding(
                "endpoint-issue", Severity.HIGH, instance_id, f"VPC endpoint in {vpc.vpc_id} reports an issue",
                f"Linked VPC {vpc.vpc_id} (vSwitch {vpc.vswitch_id}, ENI {vpc.ip or 'none'}) reports Issue "
                f"{vpc.issue!r}: the ENI may be gone.",
                "Re-bind the VPC in the ACR console (Access Control > VPC); that creates a new ENI address, "
                "which acrguard adds at once. " + _KEEP, evidence={"issue": vpc.issue, "ip": vpc.ip}, vpc=vpc.vpc_id))
        elif vpc.status != RUNNING:
            findings.append(_finding(
                "endpoint-not-running", Severity.MEDIUM, instance_id,
                f"VPC endpoint in {vpc.vpc_id} is {vpc.status or 'in no state'}",
                f"Linked VPC {vpc.vpc_id} (ENI {vpc.ip or 'none'}) has Status {vpc.status or '(empty)'}, "
                "not RUNNING.", evidence={"status": vpc.status, "ip": vpc.ip}, vpc=vpc.vpc_id))
        else:
            findings.append(_finding("endpoint-no-address", Severity.HIGH, instance_id,
                                     f"VPC endpoint in {vpc.vpc_id} has no address",
                                     f"Linked VPC {vpc.vpc_id} is RUNNING but reports no Ip.", vpc=vpc.vpc_id))
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
