"""``instances[].routes:``: what the endpoint keeper discovers, where it routes, what it exports."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from acrguard.config.base import Cidr, Hostname, IpAddress, RegionId, ResourceId, Strict
from acrguard.config.schema import Field, field_validator, model_validator

Family = Literal["vpc_endpoint", "auth", "oss"]
ALL_FAMILIES: tuple[Family, ...] = ("vpc_endpoint", "auth", "oss")


class _Target(Strict):
    name: str | None = Field(default=None, description="label used in plans and alerts")
    families: tuple[Family, ...] = ALL_FAMILIES
    quota: int | None = Field(
        default=None, ge=1,
        description="entries this target may hold; default: the documented limit where one is known "
                    "(200 custom routes per VPC/VBR route table), otherwise not checked before writing")


class RouteTableTarget(_Target):
    """A VPC or VBR route table (``CreateRouteEntry``); VBR is where Express Connect learns cloud prefixes."""

    type: Literal["vbr_route_table", "vpc_route_table"]
    route_table_id: ResourceId
    next_hop_type: str = "RouterInterface"
    next_hop_id: ResourceId
    region: RegionId | None = None


class CenServiceTarget(_Target):
    """CEN cloud-service access (``ResolveAndRouteServiceInCen``)."""

    type: Literal["cen_service"]
    cen_id: ResourceId
    host_region_id: RegionId
    host_vpc_id: ResourceId
    access_region_ids: tuple[RegionId, ...] = Field(min_length=1)


class TransitRouterTarget(_Target):
    """Static routes in a CEN transit router route table (``CreateTransitRouterRouteEntry``)."""

    type: Literal["cen_transit_router"]
    route_table_id: ResourceId
    attachment_id: ResourceId
    region: RegionId | None = None


class VpnConnectionTarget(_Target):
    """An IPsec connection in protected-data-flow mode: our prefixes in its ``LocalSubnet``."""

    type: Literal["vpn_connection"]
    vpn_connection_id: ResourceId
    region: RegionId | None = None


RouteTarget = Annotated[RouteTableTarget | CenServiceTarget | TransitRouterTarget | VpnConnectionTarget,
                        Field(discriminator="type")]

ExportFormat = Literal["linux", "cisco_ios", "huawei_vrp", "junos", "hosts", "dnsmasq", "bind", "coredns"]


_OSS_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_INTERFACE = re.compile(r"^[A-Za-z][A-Za-z0-9_./:-]{0,63}$")
_ROUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,19}$")
ROUTE_FORMATS: tuple[ExportFormat, ...] = ("linux", "cisco_ios", "huawei_vrp", "junos")
DNS_FORMATS: tuple[ExportFormat, ...] = ("hosts", "dnsmasq", "bind", "coredns")


class ExportConfig(Strict):
    """One IDC-side export: routes or DNS records in a router's or resolver's syntax.

    The checks below name the export (``instances[0].routes.exports[2]``) through the loader;
    the renderers (``acrguard.routes.exports``) check the same values again for callers that
    build their input by hand.
    """

    format: ExportFormat
    destination: str = Field(min_length=1, description="a local path, or oss://bucket/key")
    next_hop: IpAddress | None = Field(default=None, description="IDC next hop toward the cloud (route formats)")
    interface: str | None = Field(default=None,
                                  description="outgoing interface (route formats), e.g. eth1, GigabitEthernet0/0/1")
    route_name: str = Field(default="acrguard",
                            description="route label prefix: Cisco 'name' / Huawei 'description' <route_name>-<family>")
    zone: Hostname = Field(default="acrguard.rpz", description="name of the BIND response-policy zone (bind)")
    ttl: int = Field(default=300, ge=1, le=86400, description="record TTL in seconds (bind, coredns)")
    region: RegionId | None = Field(default=None, description="region of the OSS bucket (default: cloud.region)")

    @field_validator("destination")
    @classmethod
    def _destination(cls, value: str) -> str:
        if value.startswith("oss://"):
            bucket, _, key = value[len("oss://"):].partition("/")
            if not _OSS_BUCKET.match(bucket) or not key or key.endswith("/"):
                raise ValueError(f"expected oss://<bucket>/<key> (bucket: 3-63 of a-z, 0-9 and '-'), got {value!r}")
        elif "://" in value:
            raise ValueError(f"expected a local path or oss://bucket/key, got {value!r}")
        if any(c in value for c in "\r\n\0"):
            raise ValueError("the destination must not contain line breaks or NUL characters")
        return value

    @field_validator("interface")
    @classmethod
    def _interface(cls, value: str | None) -> str | None:
        if value is not None and not _INTERFACE.match(value):
            raise ValueError(f"expected an interface name such as eth1, GigabitEthernet0/0/1 or ge-0/0/0.0 (letters, "
                             f"digits and _ . / : -, starting with a letter), got {value!r}")
        return value

    @field_validator("route_name")
    @classmethod
    def _route_name(cls, value: str) -> str:
        if not _ROUTE_NAME.match(value):
            raise ValueError(f"expected 1-20 letters, digits, '_' or '-' starting with a letter, got {value!r}")
        return value

    @model_validator(mode="after")
    def _route_formats_need_an_ipv4_next_hop(self) -> ExportConfig:
        if self.format in ROUTE_FORMATS:
            if self.next_hop is None:
                raise ValueError(f"format {self.format} renders routes and needs next_hop (the IDC-side IPv4 "
                                 "next hop toward the cloud)")
            if ":" in self.next_hop:
                raise ValueError(f"next_hop {self.next_hop} is IPv6; the exported prefixes are IPv4, so the "
                                 "next hop must be an IPv4 address")
        elif self.next_hop is not None or self.interface is not None:
            raise ValueError(f"next_hop/interface apply to route formats only, not to {self.format}")
        return self


class RoutesConfig(Strict):
    """How addresses are found and where they are routed for one instance."""

    nameservers: tuple[IpAddress, ...] = ("100.100.2.136", "100.100.2.138")
    dns_port: int = Field(default=53, ge=1, le=65535)
    queries_per_name: int = Field(default=3, ge=1, le=20, description="catch round-robin answers")
    dns_timeout_s: float = Field(default=2.0, gt=0, le=30)
    registry_probe_address: str | None = Field(
        default=None, description="host:port to send the /v2/ probe to instead of the VPC domain (local cloud)")
    registry_probe_scheme: Literal["https", "http"] = "https"
    registry_probe_timeout_s: float = Field(default=5.0, gt=0, le=60, description="connect and read timeout")
    linked_vpc_ids: tuple[ResourceId, ...] = Field(
        default=(), description="route only the VPC endpoint addresses of these linked VPCs (default: all)")
    oss_ranges_file: str | None = Field(default=None, description="override the shipped OSS VIP ranges")
    max_addresses_per_name: int = Field(
        default=8, ge=1, le=64,
        description="addresses one DNS name may answer in one run; a bigger answer is refused whole (nothing of "
                    "it is added or removed) and reported. 8 is several times the published examples (the auth "
                    "service answers two, an OSS domain one VIP) and bounds what one hostile answer can write")
    vpc_cidrs: tuple[Cidr, ...] = Field(
        default=(), description="CIDR blocks of the linked VPCs (or of the endpoint's vSwitches); a VPC endpoint "
                                "address outside them is refused. Default: the RFC 1918 ranges")
    idc_cidrs: tuple[Cidr, ...] = Field(
        default=(), description="the IDC's own ranges; no discovered address inside them is ever routed toward the "
                                "cloud")
    targets: tuple[RouteTarget, ...] = ()
    exports: tuple[ExportConfig, ...] = ()

    @field_validator("vpc_cidrs", "idc_cidrs")
    @classmethod
    def _ipv4_blocks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            if ":" in cidr:
                raise ValueError(f"{cidr} is IPv6; the keeper routes IPv4 prefixes only")
            if int(cidr.rsplit("/", 1)[1]) < 8:
                raise ValueError(f"{cidr} is broader than /8; name the actual blocks")
        return value
