"""The keeper tests' world (every target type), config and readers of what the targets hold."""

from __future__ import annotations

from typing import Any

from alibabacloud_cbn20170912 import models as cbn
from alibabacloud_vpc20160428 import models as vpc

from acrguard.clients import call
from acrguard.config import load_config_data
from support import ACCOUNT, INSTANCE_ID, INSTANCE_NAME, REGION, base_world

VBR_TABLE, VPC_TABLE, TR_TABLE = "vtb-vbr1", "vtb-vpc1", "vtb-tr1"
CEN, ATTACHMENT, VPN = "cen-1", "tr-attach-vpc1", "vco-1"
AUTH_HOST = f"dockerauth-ee-vpc.{REGION}.aliyuncs.com"
AUTH_IPS = ("100.103.7.181", "100.103.9.188")
OSS_DOMAIN = f"{INSTANCE_ID}-registry.oss-{REGION}-internal.aliyuncs.com"
OSS_IP = "100.118.28.7"
ENI = "192.168.10.21"
#: what the IPsec connection protects before acrguard: one vSwitch of the VPC (not the endpoint's, which it would cover)
VPN_LOCAL = "192.168.1.0/24"
HANGZHOU_RANGES = ("100.114.102.0/24", "100.118.28.0/24", "100.118.31.0/24", "100.98.170.0/24")
#: what the IDC needs routed on a target that takes every family
ALL_PREFIXES = {f"{ENI}/32", *(f"{a}/32" for a in AUTH_IPS), *HANGZHOU_RANGES}
#: what CEN cloud-service access takes (hosts inside 100.64.0.0/10 only)
SERVICE_PREFIXES = ALL_PREFIXES - {f"{ENI}/32"}
MARKER = f"acrguard:{INSTANCE_NAME}:"
H = 3600.0

#: every API call that changes a route target
WRITE_ACTIONS = ("CreateRouteEntry", "DeleteRouteEntry", "ModifyVpnConnectionAttribute", "ResolveAndRouteServiceInCen",
                 "DeleteRouteServiceInCen", "CreateTransitRouterRouteEntry", "DeleteTransitRouterRouteEntry")


def keeper_world(delay: float = 2, vbr_service_range: str = "more_specific") -> dict[str, Any]:
    """The base world with the auth and OSS names, and one target of every type.

    The VBR table carries the IDC's own uplink route; the IPsec connection protects one vSwitch CIDR;
    the transit router table has the IDC's static route. ``delay`` is every asynchronous state's
    duration on the cloud clock (0: writes settle at once). ``vbr_service_range``: how the VBR table
    answers destinations inside 100.64.0.0/10 (``more_specific``: takes them, as one revision of the
    CreateRouteEntry page says; ``refuse``: the other revisions' answer).
    """
    data = base_world()
    data["dns"]["records"].update({
        AUTH_HOST: {"A": list(AUTH_IPS), "rotate": True},
        OSS_DOMAIN.lower(): {"A": [OSS_IP]},
    })
    region = data["accounts"][ACCOUNT]["regions"][REGION]
    region["vpc"] = {
        "route_entry_delay_s": delay, "vpn_configuring_s": 2 * delay,
        "route_tables": [
            {"id": VBR_TABLE, "type": "VBR", "vbr_id": "vbr-1", "service_range": vbr_service_range, "entries": [
                {"id": "rte-idc", "destination": "10.0.0.0/8", "next_hop_type": "RouterInterface",
                 "next_hop_id": "ri-idc", "name": "idc-uplink"}]},
            {"id": VPC_TABLE, "type": "VRouter", "vpc_id": "vpc-test1", "entries": [
                {"destination": "100.64.0.0/10", "type": "System", "next_hop_type": "service"}]},
        ],
        "vpn_connections": [{"id": VPN, "vpn_gateway_id": "vpn-1", "local_subnet": VPN_LOCAL,
                             "remote_subnet": "10.0.0.0/8"}],
    }
    data["accounts"][ACCOUNT]["global"]["cbn"] = {
        "async_delay_s": delay,
        "cen_instances": [{"id": CEN, "attached_vpcs": {REGION: ["vpc-test1"]}}],
        "transit_router_route_tables": [{
            "id": TR_TABLE, "transit_router_id": "tr-1", "attachments": [ATTACHMENT, "tr-attach-vbr1"],
            "entries": [{"id": "rte-tr-idc", "destination": "10.0.0.0/8", "next_hop_id": "tr-attach-vbr1",
                         "name": "idc"}]}],
    }
    return data


#: a second instance in the same region (same auth service and OSS ranges), for instances sharing targets
OTHER_ID, OTHER_NAME, OTHER_ENI = "cri-test0000000000002", "otherreg", "192.168.10.22"


def add_other_instance(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with a second instance linked to the same VPC, its VPC domain, registry and OSS domain."""
    instances = data["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"]
    instances.append({"id": OTHER_ID, "name": OTHER_NAME, "specification": "Enterprise_Advanced",
                      "vpc": {"linked_vpcs": [{"vpc_id": "vpc-test1", "vswitch_id": "vsw-test1", "ip": OTHER_ENI,
                                               "default_access": True}]}})
    other_domain = f"{OTHER_NAME}-registry-vpc.{REGION}.cr.aliyuncs.com"
    data["dns"]["records"].update({other_domain: {"A": [OTHER_ENI]},
                                   f"{OTHER_ID}-registry.oss-{REGION}-internal.aliyuncs.com": {"A": [OSS_IP]}})
    data["registry"]["hosts"][other_domain] = {
        "realm": f"https://dockerauth-ee-vpc.{REGION}.aliyuncs.com/auth",
        "service": f"registry.aliyuncs.com:{REGION}:26842:{OTHER_ID}"}
    return data


TARGETS: list[dict[str, Any]] = [
    {"type": "vbr_route_table", "name": "idc-vbr", "route_table_id": VBR_TABLE, "next_hop_id": "ri-vbr1"},
    {"type": "cen_service", "name": "cen-access", "cen_id": CEN, "host_region_id": REGION,
     "host_vpc_id": "vpc-test1", "access_region_ids": [REGION], "families": ["auth", "oss"]},
    {"type": "cen_transit_router", "name": "tr", "route_table_id": TR_TABLE, "attachment_id": ATTACHMENT},
    {"type": "vpn_connection", "name": "ipsec", "vpn_connection_id": VPN},
]


def config_data(cloud: Any, state_path: str, *, targets: list[dict[str, Any]] | None = None,
                safety: dict[str, Any] | None = None, dry_run: bool = False, **routes: Any) -> dict[str, Any]:
    """A config for the test instance that resolves, probes and writes through the local cloud."""
    endpoints = cloud.endpoints()
    host, port = endpoints["dns"].split(":")
    settings = {"nameservers": [host], "dns_port": int(port), "queries_per_name": 4, "dns_timeout_s": 0.3,
                "registry_probe_address": endpoints["registry"], "registry_probe_scheme": "http",
                "registry_probe_timeout_s": 2, "targets": TARGETS if targets is None else targets, **routes}
    from support import ROOT_KEY, ROOT_SECRET

    data: dict[str, Any] = {
        "cloud": {"region": REGION, "endpoint": endpoints["openapi"], "oss_endpoint": endpoints["oss"],
                  "protocol": "http", "credentials": {"access_key_id": ROOT_KEY, "access_key_secret": ROOT_SECRET},
                  "retry": {"max_attempts": 2, "base_delay_ms": 5, "max_delay_ms": 20},
                  # CEN writes are paced to their 3/1(s) quota (tests/test_clients_flow_control.py); these
                  # tests are about what is routed, so they do not wait for it
                  "flow_control": {"operations": {"cbn:*": {"pace": False}}}},
        "dry_run": dry_run,
        "instances": [{"name": INSTANCE_NAME, "instance_id": INSTANCE_ID, "routes": settings}],
        "state": {"backend": "sqlite", "path": state_path},
    }
    if safety:
        data["safety"] = safety
    return data


def make_config(cloud: Any, state_path: str, **options: Any) -> Any:
    """``config_data`` validated into an ``AcrguardConfig``."""
    return load_config_data(config_data(cloud, state_path, **options))


def writes(cloud: Any, since: int = 0) -> list[str]:
    """The write calls to route targets since a ``cloud.requests.last_seq()`` mark."""
    return [r.action for r in cloud.requests.filter(action=WRITE_ACTIONS, since=since)]


def vbr_routes(factory: Any, table: str = VBR_TABLE) -> dict[str, str]:
    """Destination -> name of every custom entry of a VPC/VBR table."""
    rows = call("vpc", "DescribeRouteEntryList", factory.vpc().describe_route_entry_list,
                vpc.DescribeRouteEntryListRequest(region_id=REGION, route_table_id=table, max_result=100))
    return {e.destination_cidr_block: e.route_entry_name or "" for e in rows.route_entrys.route_entry or []
            if e.type == "Custom"}


def cen_services(factory: Any) -> dict[str, str]:
    """Host -> description of every cloud-service route of the CEN."""
    body = call("cbn", "DescribeRouteServicesInCen", factory.cbn().describe_route_services_in_cen,
                cbn.DescribeRouteServicesInCenRequest(cen_id=CEN, page_size=50))
    return {s.host: s.description for s in body.route_service_entries.route_service_entry or []}


def tr_routes(factory: Any) -> dict[str, str]:
    """Destination -> name of every static route of the transit router table."""
    body = call("cbn", "ListTransitRouterRouteEntries", factory.cbn().list_transit_router_route_entries,
                cbn.ListTransitRouterRouteEntriesRequest(transit_router_route_table_id=TR_TABLE,
                                                         transit_router_route_entry_status="All", max_results=100))
    return {e.transit_router_route_entry_destination_cidr_block: e.transit_router_route_entry_name
            for e in body.transit_router_route_entries or [] if e.transit_router_route_entry_type == "Static"}


def local_subnet(factory: Any) -> list[str]:
    """The IPsec connection's LocalSubnet items, in order."""
    body = call("vpc", "DescribeVpnConnection", factory.vpc().describe_vpn_connection,
                vpc.DescribeVpnConnectionRequest(region_id=REGION, vpn_connection_id=VPN))
    return body.local_subnet.split(",")


def ours(routes: dict[str, str]) -> set[str]:
    """The destinations whose name carries the test instance's marker."""
    return {prefix for prefix, name in routes.items() if (name or "").startswith(MARKER)}
