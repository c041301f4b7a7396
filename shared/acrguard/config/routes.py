"""``instances[].routes:``: what the endpoint keeper discovers, where it routes, what it exports."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from acrguard.config.base import IpAddress, RegionId, ResourceId, Strict

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


class ExportConfig(Strict):
    """One IDC-side export: routes or DNS records in a router's or resolver's syntax."""

    format: ExportFormat
    destination: str = Field(description="a local path, or oss://bucket/key")
    next_hop: IpAddress | None = Field(default=None, description="IDC next hop toward the cloud (route formats)")
    interface: str | None = None


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
    targets: tuple[RouteTarget, ...] = ()
    exports: tuple[ExportConfig, ...] = ()
