"""Which observed addresses acrguard may act on: the acceptance rules of the endpoint keeper and the whitelist guard.

Addresses come from places an attacker or a mistake can reach: a DNS answer (anyone who can write
a PrivateZone record in the VPC), an API answer, a state document. Before any of them becomes a
route or an ACL entry it must pass the rules of its kind; an answer with an address that does not,
or with more addresses than ``max_addresses_per_name``, is *refused whole* by the caller (nothing
of it is added, and it does not count as an observation for removals).

Route families (``AddressRules.problem``):

* ``auth`` and ``oss``: only inside 100.64.0.0/10, the cloud-service range (the VPC system route
  for cloud services, CreateRouteEntry reference https://www.alibabacloud.com/help/en/vpc/api-createrouteentry;
  the ACK Edge pages list the ACR and OSS addresses there: ACR 100.103.9.188/32 and 100.103.7.181/32,
  OSS 100.118.28.0/24, https://alibabacloud.com/help/zh/ack/ack-edge/user-guide/network-element-configuration-in-leased-line-environment),
  and never inside 100.100.0.0/16 (``WELL_KNOWN_SERVICES``: the ECS metadata service 100.100.100.200,
  https://www.alibabacloud.com/help/en/ecs/user-guide/view-instance-metadata, and the VPC DNS
  servers 100.100.2.136/138, https://help.aliyun.com/en/dns/introduction-to-intranet-analysis);
  an OSS address must moreover lie inside the region's published VIP ranges
  (``acrguard.routes.oss_ranges``), which take precedence over the 100.100.0.0/16 exclusion
  (two finance regions publish single VIPs there). A region without published ranges takes OSS
  addresses in 100.64.0.0/10 minus 100.100.0.0/16.
* ``vpc_endpoint``: the address is taken only from ``GetInstanceVpcEndpoint`` (``LinkedVpcs[].Ip``),
  never from DNS. That API names the vSwitch (``VswitchId``) but not its CIDR block (SDK model
  ``alibabacloud_cr20181201/models/_get_instance_vpc_endpoint_response_body.py``); reading it would
  take ``DescribeVSwitchAttributes`` and one more RAM permission, so the rule is: inside
  ``routes.vpc_cidrs`` (the linked VPCs' or vSwitches' blocks), by default the RFC 1918 ranges
  that ``CreateVpc`` recommends (SDK docstring of ``CreateVpcRequest.cidr_block``,
  ``alibabacloud_vpc20160428/models/_create_vpc_request.py``, which also says a VPC never uses
  100.64.0.0/10, 224.0.0.0/4, 127.0.0.0/8 or 169.254.0.0/16).
* every family: never inside the IDC's own ranges (``routes.idc_cidrs``): a route toward the cloud
  for an IDC address would capture the IDC's own traffic. They are configured, not read from the
  ``RemoteSubnet`` of the IPsec connections: an event's run reads only the tables it names, and the
  rules must be the same in every run.

Public addresses (``public_problem``, the whitelist guard's hostnames): IPv4 whose ``ipaddress``
properties say it is global: not ``is_unspecified`` (0.0.0.0/8), ``is_loopback``, ``is_link_local``,
``is_multicast``, ``is_private`` (RFC 1918, the documentation ranges 192.0.2.0/24, 198.51.100.0/24
and 203.0.113.0/24, 198.18.0.0/15, 192.0.0.0/24 …), ``is_reserved`` (240.0.0.0/4, which holds the
broadcast address 255.255.255.255), and ``is_global`` (which also excludes the shared range
100.64.0.0/10).

``DEFAULT_MAX_ADDRESSES_PER_NAME`` is 8: the names acrguard follows answer few addresses (the auth
service two in the published examples, an OSS internal domain one VIP per answer, a whitelisted
egress host a handful), and one run unites only ``queries_per_name`` answers. Eight leaves room for
a round-robin pool several times larger than any published example while bounding what one hostile
answer can write (8 addresses x the targets, instead of filling a route table to its quota).

``AddressRules.plausible`` is the other side: whether a prefix is one the keeper could itself
have desired for a family. Ownership that rests on the state alone (the IPsec ``LocalSubnet``
ledger) is honoured for a removal only when this holds, so a forged ledger line for an arbitrary
prefix never leads to its removal.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from acrguard.config.routes import Family

#: the cloud-service range (VIPs of OSS, the ACR auth service and other services)
SERVICE_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
#: well-known service addresses inside it that no registry address uses (metadata, VPC DNS)
WELL_KNOWN_SERVICES = ipaddress.IPv4Network("100.100.0.0/16")
#: RFC 1918, the ranges CreateVpc recommends (the default ``routes.vpc_cidrs``)
PRIVATE_RANGES: tuple[ipaddress.IPv4Network, ...] = (
    ipaddress.IPv4Network("10.0.0.0/8"), ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"))
#: ranges a VPC never uses (CreateVpcRequest.cidr_block): a VPC endpoint address there is refused
NEVER_VPC: tuple[ipaddress.IPv4Network, ...] = (
    SERVICE_SPACE, ipaddress.IPv4Network("224.0.0.0/4"), ipaddress.IPv4Network("127.0.0.0/8"),
    ipaddress.IPv4Network("169.254.0.0/16"))
#: the broadest prefix the keeper ever routes for OSS (as ``acrguard.routes.oss_ranges.BROADEST_PREFIX``)
BROADEST_OSS_PREFIX = 16
#: addresses one name may answer in one run before the answer is refused whole (see the module docstring)
DEFAULT_MAX_ADDRESSES_PER_NAME = 8

Networks = tuple[ipaddress.IPv4Network, ...]
#: refused addresses a reason names one by one (the others are counted)
SHOWN = 10


def ipv4(address: str) -> ipaddress.IPv4Address | None:
    """``address`` as an IPv4 address in canonical text form, else None."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return ip if isinstance(ip, ipaddress.IPv4Address) and str(ip) == address else None


def networks(values: Iterable[str]) -> Networks:
    """IPv4 networks from CIDR strings; IPv6 and unparsable values are left out."""
    out = []
    for value in values:
        try:
            network = ipaddress.ip_network(str(value).strip(), strict=False)
        except ValueError:
            continue
        if isinstance(network, ipaddress.IPv4Network):
            out.append(network)
    return tuple(out)


def _special(ip: ipaddress.IPv4Address) -> str | None:
    """Why an address is special-purpose in any context (unspecified, loopback, …), else None."""
    for test, what in ((ip.is_unspecified, "unspecified"), (ip.is_loopback, "loopback"),
                       (ip.is_link_local, "link-local"), (ip.is_multicast, "multicast"),
                       (ip.is_reserved, "reserved"), (ip == ipaddress.IPv4Address("255.255.255.255"), "broadcast")):
        if test:
            return what
    return None


def _usable(address: str) -> tuple[ipaddress.IPv4Address | None, str | None]:
    """``address`` parsed, or why it is no usable address in any context (not IPv4, special-purpose)."""
    ip = ipv4(address)
    if ip is None:
        return None, "not an IPv4 address"
    special = _special(ip)
    return (None, f"{special} address") if special else (ip, None)


def public_problem(address: str) -> str | None:
    """Why ``address`` may not enter a public ACL (None: it may). See the module docstring for the properties."""
    ip, unusable = _usable(address)
    if ip is None:
        return unusable
    if ip in SERVICE_SPACE:
        return "inside the shared range 100.64.0.0/10 (cloud services, carrier-grade NAT), not a public address"
    if ip.is_private:
        return "a private, documentation or otherwise special-purpose address, not a public one"
    if not ip.is_global:
        return "not a globally routable address"
    return None


def _inside(ip: ipaddress.IPv4Address, ranges: Networks) -> ipaddress.IPv4Network | None:
    return next((network for network in ranges if ip in network), None)


@dataclass(frozen=True)
class AddressRules:
    """The acceptance rules of one instance's route families (see the module docstring).

    ``oss_ranges``: the region's published VIP ranges (None: the region has none published);
    ``endpoint_ranges``: where a VPC endpoint address may lie; ``idc_ranges``: the IDC's own ranges;
    ``cap``: addresses one name may answer in one run.
    """

    oss_ranges: Networks | None = None
    endpoint_ranges: Networks = PRIVATE_RANGES
    idc_ranges: Networks = ()
    cap: int = DEFAULT_MAX_ADDRESSES_PER_NAME

    def _service_problem(self, ip: ipaddress.IPv4Address, family: Family) -> str | None:
        if family == "oss" and self.oss_ranges is not None:
            if _inside(ip, self.oss_ranges) is None:
                shown = ", ".join(str(n) for n in self.oss_ranges)
                return f"outside the region's published OSS VIP ranges ({shown})"
            return None
        if ip not in SERVICE_SPACE:
            return "outside 100.64.0.0/10, the cloud-service range"
        if ip in WELL_KNOWN_SERVICES:
            return "inside 100.100.0.0/16 (metadata service, VPC DNS), where no registry address lives"
        return None

    def _endpoint_problem(self, ip: ipaddress.IPv4Address) -> str | None:
        never = _inside(ip, NEVER_VPC)
        if never is not None:
            return f"inside {never}, which no VPC uses"
        if _inside(ip, self.endpoint_ranges) is None:
            shown = ", ".join(str(n) for n in self.endpoint_ranges)
            return f"outside the VPC ranges ({shown}; routes.vpc_cidrs)"
        return None

    def problem(self, family: Family, address: str) -> str | None:
        """Why ``address`` may not be routed for ``family`` (None: it may)."""
        ip, unusable = _usable(address)
        if ip is None:
            return unusable
        idc = _inside(ip, self.idc_ranges)
        if idc is not None:
            return f"inside the IDC's own range {idc}"
        if family == "vpc_endpoint":
            return self._endpoint_problem(ip)
        return self._service_problem(ip, family)

    def plausible(self, family: Family, prefix: str) -> bool:
        """Whether the keeper could itself have desired ``prefix`` for ``family`` (its own computation, no state)."""
        try:
            network = ipaddress.ip_network(prefix, strict=True)
        except ValueError:
            return False
        if not isinstance(network, ipaddress.IPv4Network):
            return False
        if network.prefixlen == 32:
            return self.problem(family, str(network.network_address)) is None
        if family != "oss" or network.prefixlen < BROADEST_OSS_PREFIX:
            return False
        if any(network.subnet_of(r) for r in self.oss_ranges or ()):
            return True
        return network.subnet_of(SERVICE_SPACE) and not network.overlaps(WELL_KNOWN_SERVICES) and \
            not any(network.overlaps(r) for r in self.idc_ranges)


@dataclass(frozen=True)
class AnswerCheck:
    """One name's answer judged against the rules: accepted whole, or refused and why.

    ``refused``: address -> reason for each address that failed its rule; ``over_cap``: the answer
    held more than ``cap`` addresses (then nothing of it is accepted).
    """

    name: str
    addresses: frozenset[str]
    cap: int
    refused: Mapping[str, str] = field(default_factory=dict)

    @property
    def over_cap(self) -> bool:
        """More addresses than one name may answer in one run."""
        return len(self.addresses) > self.cap

    @property
    def ok(self) -> bool:
        """Every address passes and the answer is within the cap."""
        return not self.refused and not self.over_cap

    def reason(self) -> str:
        """One sentence saying why the answer was refused ("" when it was not)."""
        parts = []
        if self.over_cap:
            parts.append(f"{self.name} answered {len(self.addresses)} addresses, more than the {self.cap} one name "
                         "may answer in one run")
        if self.refused:
            listed = sorted(self.refused.items(), key=_order)
            more = f"; and {len(listed) - SHOWN} more" if len(listed) > SHOWN else ""
            parts.append("; ".join(f"{a}: {why}" for a, why in listed[:SHOWN]) + more)
        return "; ".join(parts)


def address_order(address: str) -> tuple[int, str]:
    """A sort key putting IPv4 addresses in numeric order (anything else first, by text)."""
    ip = ipv4(address)
    return (int(ip), address) if ip is not None else (-1, address)


def _order(item: tuple[str, str]) -> tuple[int, str]:
    return address_order(item[0])


def check_answer(name: str, addresses: Iterable[str], problem: Callable[[str], str | None],
                 cap: int = DEFAULT_MAX_ADDRESSES_PER_NAME) -> AnswerCheck:
    """Judge one name's addresses: each against ``problem``, all together against ``cap``."""
    every = frozenset(addresses)
    refused = {address: why for address in sorted(every) if (why := problem(address)) is not None}
    return AnswerCheck(name, every, cap, refused)
