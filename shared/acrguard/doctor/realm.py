"""Check 7, ``registry-realm``: the VPC domain's ``/v2/`` challenge names an auth realm acrguard routes.

The keeper's own probe (``acrguard.routes.challenge.probe_auth_domain``): an unauthenticated
``GET https://<vpc domain>/v2/`` must answer 401 with a Bearer ``realm`` of the accepted forms
(``https://dockerauth-vpc.<region>.aliyuncs.com/auth`` or ``https://dockerauth-ee-vpc.<region>…/auth``;
the sources are in that module). The VPC domain comes from ``GetInstanceVpcEndpoint``. A realm on
the registry's own domain needs no route of its own (the keeper's LOW finding): PASS with its note.
A probe that cannot connect is "cannot tell": the VPC domain answers only inside the VPC (or
through ``routes.registry_probe_address``).
"""

from __future__ import annotations

from acrguard.config.model import InstanceConfig
from acrguard.doctor import observe
from acrguard.doctor.context import DoctorContext
from acrguard.doctor.model import CheckResult, Item, Status, combine
from acrguard.findings import Finding

NAME = "registry-realm"
INSIDE = ("run doctor from inside the VPC (an ECS instance in the VPC bound to the registry's VPC endpoint), or point "
          "routes.registry_probe_address at a host:port that reaches the registry")


def _finding_text(finding: Finding) -> str:
    return f"{finding.title}: {finding.details}" if finding.details else finding.title


def _item(ctx: DoctorContext, instance: InstanceConfig) -> Item:
    subject = f"{instance.name} ({instance.instance_id})"
    endpoint = observe.endpoint(ctx, instance)
    if endpoint.vpc_domain is None:
        why = "; ".join(f.title for f in endpoint.findings) or "GetInstanceVpcEndpoint lists no domain"
        return Item(subject, Status.UNKNOWN, f"the VPC domain is not known: {why}",
                    "bind the IDC-connected VPC to the instance (ACR console > Access Control > VPC) and grant "
                    "the doctor's identity cr:GetInstanceVpcEndpoint")
    probe = observe.challenge(ctx, instance)
    if probe is None:
        return Item(subject, Status.UNKNOWN, "the registry was not probed", INSIDE)
    if probe.known:
        return Item(subject, Status.PASS, f"{probe.vpc_domain} answers 401 with realm {probe.realm}",
                    data={"realm": probe.realm, "service": probe.service})
    finding = probe.findings[0] if probe.findings else None
    rule = finding.rule if finding is not None else ""
    text = _finding_text(finding) if finding is not None else "no acceptable realm"
    if rule == "routes.auth-realm-on-registry":
        return Item(subject, Status.PASS, f"{probe.vpc_domain}: {text}", data={"realm": probe.realm})
    if rule == "routes.auth-probe-failed":
        return Item(subject, Status.UNKNOWN, text, INSIDE)
    return Item(subject, Status.FAIL, text, finding.fix if finding is not None else INSIDE,
                {"realm": probe.realm, "service": probe.service, "status": probe.status})


def check_realm(ctx: DoctorContext) -> CheckResult:
    """One item per instance the keeper routes."""
    return combine(NAME, [_item(ctx, i) for i in ctx.routed_instances()], none="no instance with routes: in the config")
