"""The local VPC: route tables and IPsec connections, driven through the real vpc20160428 SDK."""

from __future__ import annotations

import pytest
from alibabacloud_vpc20160428 import models

from acrguard.clients import call
from acrguard.errors import CloudCallError
from localcloud import LocalCloud
from support import ACCOUNT, REGION, base_world, make_factory

VBR_TABLE, VPC_TABLE = "vtb-vbr1", "vtb-vpc1"


@pytest.fixture
def world():
    """Base world plus a VBR table (taking prefixes inside 100.64.0.0/10, as one documented revision says), a VPC
    table with a system route, and one IPsec connection."""
    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["vpc"] = {
        "route_entry_delay_s": 2,
        "vpn_configuring_s": 5,
        "route_tables": [
            {"id": VBR_TABLE, "type": "VBR", "vbr_id": "vbr-1", "quota": 3, "service_range": "more_specific",
             "entries": [
                {"destination": "10.0.0.0/8", "next_hop_type": "RouterInterface", "next_hop_id": "ri-idc",
                 "name": "idc"}]},
            {"id": VPC_TABLE, "type": "VRouter", "vpc_id": "vpc-test1", "entries": [
                {"destination": "100.64.0.0/10", "type": "System", "next_hop_type": "service", "next_hop_id": ""}]},
        ],
        "vpn_connections": [{"id": "vco-1", "vpn_gateway_id": "vpn-1", "local_subnet": "192.168.0.0/16",
                             "remote_subnet": "10.0.0.0/8"}],
    }
    return data


def create(factory, destination, table=VBR_TABLE, **extra):
    request = models.CreateRouteEntryRequest(region_id=REGION, route_table_id=table, destination_cidr_block=destination,
                                             next_hop_type="RouterInterface", next_hop_id="ri-1", **extra)
    return call("vpc", "CreateRouteEntry", factory.vpc().create_route_entry, request)


def entries(factory, table=VBR_TABLE, **filters):
    request = models.DescribeRouteEntryListRequest(region_id=REGION, route_table_id=table, **filters)
    return call("vpc", "DescribeRouteEntryList", factory.vpc().describe_route_entry_list, request)


def delete(factory, **params):
    request = models.DeleteRouteEntryRequest(region_id=REGION, **params)
    return call("vpc", "DeleteRouteEntry", factory.vpc().delete_route_entry, request)


def error_of(func, *args, **kwargs) -> CloudCallError:
    with pytest.raises(CloudCallError) as caught:
        func(*args, **kwargs)
    return caught.value


def test_new_entry_is_pending_then_available_with_its_name_and_next_hop(cloud, factory):
    """A created entry is listed Pending, becomes Available after the delay, and keeps name and description.

    Source: https://www.alibabacloud.com/help/en/vpc/api-createrouteentry (asynchronous); the delay: emulator's choice.
    """
    entry_id = create(factory, "100.118.28.0/24", route_entry_name="acrguard:r:oss", description="d").route_entry_id
    found = entries(factory, destination_cidr_block="100.118.28.0/24").route_entrys.route_entry
    assert [(e.route_entry_id, e.status, e.route_entry_name, e.description, e.type) for e in found] == \
        [(entry_id, "Pending", "acrguard:r:oss", "d", "Custom")]
    assert (found[0].next_hops.next_hop[0].next_hop_type, found[0].next_hops.next_hop[0].next_hop_id) == \
        ("RouterInterface", "ri-1")
    cloud.advance(2)
    assert entries(factory, route_entry_id=entry_id).route_entrys.route_entry[0].status == "Available"


def test_bare_address_is_a_host_route(cloud, factory):
    """A destination without a mask is stored as a /32.

    Source: https://www.alibabacloud.com/help/en/vpc/api-createrouteentry.
    """
    create(factory, "100.103.9.188")
    assert entries(factory, destination_cidr_block="100.103.9.188/32").route_entrys.route_entry


def test_listing_pages_with_max_result_and_next_token(cloud, factory):
    """MaxResult bounds a page and NextToken walks the rest; the last page has no token.

    Source: alibabacloud_vpc20160428/models/_describe_route_entry_list_request.py.
    """
    create(factory, "100.118.28.0/24")
    cloud.advance(2)
    create(factory, "100.118.31.0/24")
    first = entries(factory, max_result=2)
    assert len(first.route_entrys.route_entry) == 2 and first.next_token and first.total_count == 3
    second = entries(factory, max_result=2, next_token=first.next_token)
    assert len(second.route_entrys.route_entry) == 1 and not second.next_token


def test_listing_filters_by_type_and_destination_list(cloud, factory):
    """RouteEntryType and DestCidrBlockList narrow the listing.

    Source: alibabacloud_vpc20160428/models/_describe_route_entry_list_request.py.
    """
    create(factory, "100.118.28.0/24")
    system = entries(factory, VPC_TABLE, route_entry_type="System").route_entrys.route_entry
    assert [e.destination_cidr_block for e in system] == ["100.64.0.0/10"]
    listed = entries(factory, dest_cidr_block_list=["100.118.28.0/24", "10.0.0.0/8"]).route_entrys.route_entry
    assert sorted(e.destination_cidr_block for e in listed) == ["10.0.0.0/8", "100.118.28.0/24"]


def test_unknown_table_is_not_found(cloud, factory):
    """A route table that does not exist answers InvalidRouteTableId.NotFound (404).

    Source: the CreateRouteEntry error table.
    """
    err = error_of(entries, factory, "vtb-nope")
    assert (err.code, err.status) == ("InvalidRouteTableId.NotFound", 404)


def test_vbr_duplicate_with_the_same_hop_is_duplicated_vpc_next_hop_other_hop_is_cidr_duplicate(cloud, factory):
    """On a VBR table: Duplicated.VpcNextHop for the same hop, InvalidCIDRBlock.Duplicate for another.

    Source: Terraform alicloud/resource_alicloud_route_entry_test.go (stateGapRecoveryVbr).
    """
    create(factory, "10.20.0.0/16")
    cloud.advance(2)
    assert error_of(create, factory, "10.20.0.0/16").code == "Duplicated.VpcNextHop"
    other = models.CreateRouteEntryRequest(region_id=REGION, route_table_id=VBR_TABLE,
                                           destination_cidr_block="10.20.0.0/16", next_hop_type="RouterInterface",
                                           next_hop_id="ri-2")
    assert error_of(call, "vpc", "CreateRouteEntry", factory.vpc().create_route_entry, other).code == \
        "InvalidCIDRBlock.Duplicate"


def test_vpc_duplicate_with_the_same_hop_is_cidr_duplicate(cloud, factory):
    """On a VPC table the same destination and hop again is InvalidCIDRBlock.Duplicate.

    Source: Terraform alicloud/resource_alicloud_route_entry_test.go.
    """
    request = models.CreateRouteEntryRequest(region_id=REGION, route_table_id=VPC_TABLE,
                                             destination_cidr_block="10.0.0.0/8", next_hop_type="Instance",
                                             next_hop_id="i-1")
    call("vpc", "CreateRouteEntry", factory.vpc().create_route_entry, request)
    cloud.advance(2)
    assert error_of(call, "vpc", "CreateRouteEntry", factory.vpc().create_route_entry, request).code == \
        "InvalidCIDRBlock.Duplicate"


def test_client_token_makes_a_create_idempotent(cloud, factory):
    """The same ClientToken and parameters return the first RouteEntryId without a second entry.

    Source: alibabacloud_vpc20160428/models/_create_route_entry_request.py (ClientToken).
    """
    first = create(factory, "100.118.28.0/24", client_token="tok-1").route_entry_id
    cloud.advance(2)
    assert create(factory, "100.118.28.0/24", client_token="tok-1").route_entry_id == first
    assert len(entries(factory, destination_cidr_block="100.118.28.0/24").route_entrys.route_entry) == 1
    assert error_of(create, factory, "100.118.31.0/24", client_token="tok-1").code == "IdempotentParameterMismatch"


def test_dry_run_checks_and_creates_nothing(cloud, factory):
    """DryRun answers DryRunOperation (400) when the checks pass and leaves the table unchanged.

    Source: alibabacloud_vpc20160428/models/_create_route_entry_request.py (dry_run); the status: emulator's choice.
    """
    err = error_of(create, factory, "10.20.0.0/16", dry_run=True)
    assert (err.code, err.status) == ("DryRunOperation", 400)
    assert not entries(factory, destination_cidr_block="10.20.0.0/16").route_entrys.route_entry


def test_dry_run_answers_the_error_a_failing_check_would_give(cloud, factory):
    """DryRun on a destination the table refuses answers InvalidCidrBlock, as the real write would.

    Source: alibabacloud_vpc20160428/models/_create_route_entry_request.py (dry_run).
    """
    err = error_of(create, factory, "100.64.0.0/10", dry_run=True)
    assert (err.code, err.status) == ("InvalidCidrBlock", 400)


def test_dry_run_delete_checks_and_deletes_nothing(cloud, factory):
    """DeleteRouteEntry with DryRun answers DryRunOperation and the entry stays; a missing one is NotFound.

    Source: alibabacloud_vpc20160428/models/_delete_route_entry_request.py (dry_run).
    """
    entry_id = create(factory, "10.20.0.0/16").route_entry_id
    cloud.advance(2)
    assert error_of(delete, factory, route_table_id=VBR_TABLE, route_entry_id=entry_id, dry_run=True).code == \
        "DryRunOperation"
    assert entries(factory, route_entry_id=entry_id).route_entrys.route_entry[0].status == "Available"
    assert error_of(delete, factory, route_entry_id="rte-missing", dry_run=True).code == \
        "InvalidRouteEntryId.NotFound"


def vbr_world(**table: object) -> dict:
    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["vpc"] = {
        "route_entry_delay_s": 0, "route_tables": [{"id": VBR_TABLE, "type": "VBR", **table},
                                                   {"id": VPC_TABLE, "type": "VRouter", **table}]}
    return data


@pytest.mark.parametrize("table", [VBR_TABLE, VPC_TABLE])
def test_tables_refuse_the_service_range_by_default(table):
    """By default a VBR or VPC table answers InvalidCidrBlock for a destination equal to or inside 100.64.0.0/10.

    Source: https://www.alibabacloud.com/help/en/vpc/api-createrouteentry (error table, 2025-12-12);
    _create_route_entry_request.py.
    """
    with LocalCloud(vbr_world()) as cloud:
        factory = make_factory(cloud)
        for destination in ("100.64.0.0/10", "100.118.28.0/24", "100.103.9.188"):
            err = error_of(create, factory, destination, table)
            assert (err.code, err.status) == ("InvalidCidrBlock", 400)
        assert not entries(factory, table).route_entrys.route_entry
        assert create(factory, "10.20.0.0/16", table).route_entry_id


def test_more_specific_answer_refuses_only_the_range_itself():
    """A table seeded ``service_range: more_specific`` takes 100.118.28.0/24 and refuses 100.64.0.0/10.

    Source: https://help.aliyun.com/document_detail/387398.htm (the newer zh revision).
    """
    with LocalCloud(vbr_world(service_range="more_specific")) as cloud:
        factory = make_factory(cloud)
        assert create(factory, "100.118.28.0/24").route_entry_id
        assert error_of(create, factory, "100.64.0.0/10").code == "InvalidCidrBlock"


def test_accept_answer_takes_the_whole_range():
    """A table seeded ``service_range: accept`` takes even 100.64.0.0/10.

    Source: emulator's choice (what the VBR guide doc-detail/91265 implies).
    """
    with LocalCloud(vbr_world(service_range="accept")) as cloud:
        assert create(make_factory(cloud), "100.64.0.0/10").route_entry_id


def test_vbr_table_takes_no_next_hop_list(cloud, factory):
    """A NextHopList on a VBR table answers InvalidRouterType.

    Source: the CreateRouteEntry error table (InvalidRouterType).
    """
    hops = [models.CreateRouteEntryRequestNextHopList(next_hop_type="RouterInterface", next_hop_id=f"ri-{n}")
            for n in (1, 2)]
    request = models.CreateRouteEntryRequest(region_id=REGION, route_table_id=VBR_TABLE,
                                             destination_cidr_block="10.20.0.0/16", next_hop_list=hops)
    assert error_of(call, "vpc", "CreateRouteEntry", factory.vpc().create_route_entry, request).code == \
        "InvalidRouterType"


def test_write_while_an_entry_is_pending_is_refused(cloud, factory):
    """No concurrent writes per table: IncorrectRouteEntryStatus while another entry is still Pending.

    Source: the CreateRouteEntry error table; Terraform alicloud/resource_alicloud_route_entry.go retries it.
    """
    create(factory, "100.118.28.0/24")
    assert error_of(create, factory, "100.118.31.0/24").code == "IncorrectRouteEntryStatus"
    cloud.advance(2)
    assert create(factory, "100.118.31.0/24").route_entry_id


def test_custom_entries_are_limited_by_the_table_quota(cloud, factory):
    """The seeded quota (3, one used by the IDC route) answers QuotaExceeded for the third new entry.

    Source: https://www.alibabacloud.com/help/en/vpc/api-createrouteentry (QuotaExceeded).
    """
    for destination in ("100.118.28.0/24", "100.118.31.0/24"):
        create(factory, destination)
        cloud.advance(2)
    assert error_of(create, factory, "100.98.170.0/24").code == "QuotaExceeded"


def test_delete_by_id_goes_through_deleting(cloud, factory):
    """A deleted entry is Deleting for the delay, then no longer listed.

    Source: the DeleteRouteEntry page (asynchronous); the delay: emulator's choice.
    """
    entry_id = create(factory, "100.118.28.0/24").route_entry_id
    cloud.advance(2)
    delete(factory, route_table_id=VBR_TABLE, route_entry_id=entry_id)
    assert entries(factory, route_entry_id=entry_id).route_entrys.route_entry[0].status == "Deleting"
    cloud.advance(2)
    assert not entries(factory, route_entry_id=entry_id).route_entrys.route_entry


def test_delete_by_destination_and_next_hop(cloud, factory):
    """RouteTableId + DestinationCidrBlock + NextHopId selects the entry to delete.

    Source: Terraform alicloud/resource_alicloud_route_entry.go (deletes by table, destination and next hop).
    """
    create(factory, "100.118.28.0/24")
    cloud.advance(2)
    delete(factory, route_table_id=VBR_TABLE, destination_cidr_block="100.118.28.0/24", next_hop_id="ri-1")
    cloud.advance(2)
    assert not entries(factory, destination_cidr_block="100.118.28.0/24").route_entrys.route_entry


def test_delete_of_missing_entries_is_not_found(cloud, factory):
    """A missing id is InvalidRouteEntryId.NotFound, a missing destination InvalidRouteEntry.NotFound.

    Source: the DeleteRouteEntry error table.
    """
    assert error_of(delete, factory, route_entry_id="rte-missing").code == "InvalidRouteEntryId.NotFound"
    assert error_of(delete, factory, route_table_id=VBR_TABLE, destination_cidr_block="100.118.28.0/24").code == \
        "InvalidRouteEntry.NotFound"


def test_system_entries_cannot_be_deleted(cloud, factory):
    """Deleting a system entry is OperationDenied.

    Source: the DeleteRouteEntry error table (OperationDenied).
    """
    assert error_of(delete, factory, route_table_id=VPC_TABLE, destination_cidr_block="100.64.0.0/10").code == \
        "OperationDenied"


def describe_vpn(factory):
    request = models.DescribeVpnConnectionRequest(region_id=REGION, vpn_connection_id="vco-1")
    return call("vpc", "DescribeVpnConnection", factory.vpc().describe_vpn_connection, request)


def modify_vpn(factory, **params):
    request = models.ModifyVpnConnectionAttributeRequest(region_id=REGION, vpn_connection_id="vco-1", **params)
    return call("vpc", "ModifyVpnConnectionAttribute", factory.vpc().modify_vpn_connection_attribute, request)


def test_vpn_connection_subnets_are_replaced_whole(cloud, factory):
    """ModifyVpnConnectionAttribute replaces LocalSubnet and leaves RemoteSubnet alone.

    Source: alibabacloud_vpc20160428/models/_modify_vpn_connection_attribute_request.py.
    """
    assert describe_vpn(factory).local_subnet == "192.168.0.0/16"
    body = modify_vpn(factory, local_subnet="192.168.0.0/16,100.118.28.0/24")
    assert body.local_subnet == "192.168.0.0/16,100.118.28.0/24"
    assert (describe_vpn(factory).local_subnet, describe_vpn(factory).remote_subnet) == \
        ("192.168.0.0/16,100.118.28.0/24", "10.0.0.0/8")


def test_vpn_gateway_is_configuring_after_a_change(cloud, factory):
    """A second change within the configuring time answers VpnGateway.Configuring, later it passes.

    Source: VpnGateway.Configuring, the code Terraform retries on VPN writes; the duration: emulator's choice.
    """
    modify_vpn(factory, local_subnet="192.168.0.0/16,100.118.28.0/24")
    assert error_of(modify_vpn, factory, local_subnet="192.168.0.0/16").code == "VpnGateway.Configuring"
    cloud.advance(5)
    assert modify_vpn(factory, local_subnet="192.168.0.0/16").local_subnet == "192.168.0.0/16"


def test_vpn_subnet_must_be_cidr_and_connection_must_exist(cloud, factory):
    """A malformed subnet and an unknown connection are refused with their codes.

    Source: emulator's choice (the codes).
    """
    assert error_of(modify_vpn, factory, local_subnet="not-a-cidr").code == "InvalidLocalSubnet.Malformed"
    request = models.DescribeVpnConnectionRequest(region_id=REGION, vpn_connection_id="vco-nope")
    assert error_of(call, "vpc", "DescribeVpnConnection", factory.vpc().describe_vpn_connection, request).code == \
        "InvalidVpnConnectionInstanceId.NotFound"


def test_tables_quota_defaults_to_the_world_setting():
    """``vbr_route_quota`` (e.g. the 48 of older VBR pages) caps a VBR table that names no quota of its own.

    Source: https://www.alibabacloud.com/help/doc-detail/91265.htm (48); the current CreateRouteEntry pages (200).
    """
    data = vbr_world(service_range="accept")
    data["accounts"][ACCOUNT]["regions"][REGION]["vpc"]["vbr_route_quota"] = 1
    with LocalCloud(data) as cloud:
        factory = make_factory(cloud)
        create(factory, "10.20.0.0/16")
        assert error_of(create, factory, "10.21.0.0/16").code == "QuotaExceeded"


@pytest.mark.parametrize(("vpc", "message"), [
    ({"route_tables": [{"id": "vtb-1", "type": "VBR", "service_range": "sometimes"}]},
     r"route_tables\[0\].service_range: expected one of"),
    ({"vbr_route_quota": 0}, r"vbr_route_quota: expected a positive integer"),
    ({"route_tables": [{"id": "vtb-1", "quota": "many"}]}, r"route_tables\[0\].quota: expected a positive integer"),
])
def test_world_with_bad_table_settings_is_refused(vpc, message):
    """A bad service_range or quota in the vpc seed is reported with its path."""
    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["vpc"] = vpc
    with pytest.raises(ValueError, match=message):
        LocalCloud(data)


def test_world_with_unknown_vpc_keys_is_refused():
    """A typo in the vpc seed is reported with its path instead of being ignored."""
    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["vpc"] = {"route_table": []}
    with pytest.raises(ValueError, match=r"regions.cn-hangzhou.vpc: unknown keys \['route_table'\]"):
        LocalCloud(data)
