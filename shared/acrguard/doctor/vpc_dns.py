"""Check 8, ``vpc-dns``: the three names resolve, through the configured nameservers, inside their ranges.

With the keeper's resolver (``acrguard.resolve.DnsResolver``: only ``routes.nameservers``, several
queries per name) each name must answer addresses within its documented range:

* the VPC domain (``<name>-registry-vpc.<region>.cr.aliyuncs.com``): the ENI addresses
  ``GetInstanceVpcEndpoint`` lists as ``LinkedVpcs[].Ip`` (ACR's PrivateZone record points there);
* the auth host of the realm: inside 100.64.0.0/10, where Alibaba Cloud's service VIPs live;
* the OSS internal domain (``acrguard.routes.oss_ranges.oss_internal_domain``): inside the region's
  published OSS ranges (``acrguard/data/oss_vip_ranges.json`` or ``routes.oss_ranges_file``).

The VPC's resolvers (100.100.2.136 and 100.100.2.138) and ACR's PrivateZone records answer only
inside the VPC, so from a laptop this check does not pass: no answer is "cannot tell", NXDOMAIN or
an address out of range is FAIL, and the fix says to run doctor inside the VPC.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from acrguard.config.model import InstanceConfig
from acrguard.doctor import observe
from acrguard.doctor.context import DoctorContext
from acrguard.doctor.model import CheckResult, Item, Status, combine
from acrguard.resolve import DnsResolver, NoSuchName, Outcome, Resolved, ResolverSettings, describe
from acrguard.routes.oss_ranges import SERVICE_SPACE, oss_internal_domain

NAME = "vpc-dns"


def inside_fix(instance: InstanceConfig) -> str:
    """The fix for a name that does not resolve as it does inside the VPC."""
    servers = ", ".join(instance.routes.nameservers) if instance.routes else "the VPC resolvers"
    return (f"expected when doctor runs outside the VPC: {servers} and ACR's PrivateZone records answer only inside "
            "it. Run doctor from inside the VPC, e.g. on an ECS instance in the VPC bound to the registry's VPC "
            "endpoint, or `s invoke` the endpoint keeper, which runs in the VPC and resolves the same names (its "
            "findings name any address out of range). If it fails there too, check the PrivateZone zones bound to "
            "the VPC (do not edit ACR's automatic zone) and routes.nameservers")


def resolve(ctx: DoctorContext, instance: InstanceConfig, name: str) -> Outcome:
    """``name`` through the instance's nameservers, once per run."""
    routes = instance.routes
    settings = ResolverSettings.from_routes(routes) if routes is not None else ResolverSettings()
    return ctx.memo(("dns", instance.instance_id, name), lambda: DnsResolver(settings).resolve(name))


def judge(subject: str, outcome: Outcome, allowed: str, inside: Callable[[str], bool], fix: str) -> Item:
    """PASS when every address is ``inside``; FAIL on NXDOMAIN or an address out of range; else cannot tell."""
    if isinstance(outcome, Resolved):
        outside = sorted(a for a in outcome.addresses if not inside(a))
        shown = ", ".join(sorted(outcome.addresses))
        if outside:
            return Item(subject, Status.FAIL, f"resolves to {shown}; {', '.join(outside)} outside {allowed}", fix,
                        {"addresses": sorted(outcome.addresses)})
        return Item(subject, Status.PASS, f"resolves to {shown}, within {allowed}",
                    data={"addresses": sorted(outcome.addresses)})
    status = Status.FAIL if isinstance(outcome, NoSuchName) else Status.UNKNOWN
    return Item(subject, status, describe(outcome), fix)


def _in_service_space(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.version == 4 and ip in SERVICE_SPACE


def _items(ctx: DoctorContext, instance: InstanceConfig) -> list[Item]:
    region = ctx.region_of(instance)
    fix = inside_fix(instance)
    items: list[Item] = []
    endpoint = observe.endpoint(ctx, instance)
    domain = endpoint.vpc_domain
    if domain is None:
        items.append(Item(f"{instance.name} VPC domain", Status.UNKNOWN, "not known (GetInstanceVpcEndpoint lists "
                          "no domain; see registry-realm)", "bind the IDC-connected VPC to the instance"))
    else:
        ips = {v.ip for v in endpoint.linked if v.ip}
        items.append(judge(domain, resolve(ctx, instance, domain), f"the VPC endpoint's LinkedVpcs IPs "
                           f"({', '.join(sorted(ips)) or 'none'})", lambda a: a in ips, fix))
    probe = observe.challenge(ctx, instance)
    if probe is None or probe.host is None:
        items.append(Item(f"{instance.name} auth host", Status.UNKNOWN, "the realm was not read (see "
                          "registry-realm)", fix))
    else:
        items.append(judge(probe.host, resolve(ctx, instance, probe.host), str(SERVICE_SPACE), _in_service_space,
                           fix))
    oss = oss_internal_domain(instance.instance_id, region, instance.oss_bucket)
    ranges_outcome = observe.oss_ranges(ctx, instance)
    ranges = ranges_outcome.table.for_region(region) if ranges_outcome.table is not None else None
    if ranges is None:
        items.append(Item(oss, Status.UNKNOWN, f"no published OSS range of {region} to compare with (see oss-ranges)",
                          "see the oss-ranges check"))
    else:
        items.append(judge(oss, resolve(ctx, instance, oss), f"the OSS ranges of {region}", ranges.contains, fix))
    return items


def check_dns(ctx: DoctorContext) -> CheckResult:
    """Three names per instance the keeper routes."""
    items = [item for instance in ctx.routed_instances() for item in _items(ctx, instance)]
    return combine(NAME, items, none="no instance with routes: in the config")
