"""The local CEN: cloud-service routes and transit router static routes, through the real cbn20170912 SDK."""

from __future__ import annotations

import pytest
from alibabacloud_cbn20170912 import models

from acrguard.clients import call
from acrguard.errors import CloudCallError
from support import ACCOUNT, base_world

CEN, TABLE, ATTACHMENT = "cen-1", "vtb-tr1", "tr-attach-vpc1"


@pytest.fixture
def world():
    """Base world plus one CEN with a VPC attached in Hangzhou and one transit router route table."""
    data = base_world()
    data["accounts"][ACCOUNT]["global"]["cbn"] = {
        "async_delay_s": 2,
        "cen_instances": [{"id": CEN, "attached_vpcs": {"cn-hangzhou": ["vpc-test1"]}, "route_service_quota": 3,
                           "route_services": [{"host": "100.98.170.0/24", "host_region_id": "cn-hangzhou",
                                               "host_vpc_id": "vpc-test1", "access_region_id": "cn-hangzhou",
                                               "description": "manual"}]}],
        "transit_router_route_tables": [{"id": TABLE, "transit_router_id": "tr-1", "quota": 2,
                                         "attachments": [ATTACHMENT, "tr-attach-vbr1"],
                                         "entries": [{"destination": "10.0.0.0/8", "next_hop_id": "tr-attach-vbr1",
                                                      "name": "idc"},
                                                     {"destination": "192.168.0.0/16", "type": "Propagated",
                                                      "next_hop_id": ATTACHMENT}]}],
    }
    return data


def error_of(func, *args, **kwargs) -> CloudCallError:
    with pytest.raises(CloudCallError) as caught:
        func(*args, **kwargs)
    return caught.value


def resolve(factory, host, regions=("cn-hangzhou",), vpc="vpc-test1", **extra):
    request = models.ResolveAndRouteServiceInCenRequest(cen_id=CEN, host=host, host_region_id="cn-hangzhou",
                                                        host_vpc_id=vpc, access_region_ids=list(regions), **extra)
    return call("cbn", "ResolveAndRouteServiceInCen", factory.cbn().resolve_and_route_service_in_cen, request)


def services(factory, **filters):
    request = models.DescribeRouteServicesInCenRequest(cen_id=CEN, **filters)
    body = call("cbn", "DescribeRouteServicesInCen", factory.cbn().describe_route_services_in_cen, request)
    return body.route_service_entries.route_service_entry or []


def unroute(factory, host, region="cn-hangzhou"):
    request = models.DeleteRouteServiceInCenRequest(cen_id=CEN, host=host, host_region_id="cn-hangzhou",
                                                    access_region_id=region)
    return call("cbn", "DeleteRouteServiceInCen", factory.cbn().delete_route_service_in_cen, request)


def test_cloud_service_route_is_creating_then_active_per_access_region(cloud, factory):
    """One entry per access region, Creating first and Active after the delay, with its description and CIDR.

    Source: the ResolveAndRouteServiceInCen page; Terraform alicloud/resource_alicloud_cen_route_service.go; the delay:
    emulator's choice.
    """
    resolve(factory, "100.118.28.0/24", regions=("cn-hangzhou", "cn-shanghai"), description="acrguard:r:oss")
    found = services(factory, host="100.118.28.0/24")
    assert sorted((s.access_region_id, s.status, s.description) for s in found) == \
        [("cn-hangzhou", "Creating", "acrguard:r:oss"), ("cn-shanghai", "Creating", "acrguard:r:oss")]
    assert found[0].cidrs.cidr == ["100.118.28.0/24"]
    cloud.advance(2)
    assert {s.status for s in services(factory, host="100.118.28.0/24")} == {"Active"}


def test_cloud_service_route_duplicate_and_range_and_attachment_are_checked(cloud, factory):
    """CloudRoute.Exist for a duplicate; hosts outside 100.64.0.0/10 and unattached VPCs are refused.

    Source: the ResolveAndRouteServiceInCen error table.
    """
    assert error_of(resolve, factory, "100.98.170.0/24").code == "CloudRoute.Exist"
    assert error_of(resolve, factory, "192.168.10.21").code == "ParameterIllegal.ClouteRouteCidrNotAllow"
    assert error_of(resolve, factory, "oss.example.com").code == "ParameterIllegal.Host"
    assert error_of(resolve, factory, "100.118.28.0/24", vpc="vpc-other").code == "CloudRoute.VpcNotAttached"


def test_cloud_service_routes_are_limited_by_the_cen_quota(cloud, factory):
    """Beyond the seeded quota (3, one used) a new route is QuotaExceeded.CloudRoute.

    Source: emulator's choice (no documented code or figure).
    """
    resolve(factory, "100.118.28.0/24", regions=("cn-hangzhou", "cn-shanghai"))
    assert error_of(resolve, factory, "100.118.31.0/24").code == "QuotaExceeded.CloudRoute"


def test_cloud_service_route_delete_waits_for_active_then_goes_through_deleting(cloud, factory):
    """Deleting a Creating route is refused (403); an Active one is Deleting, then gone.

    Source: the DeleteRouteServiceInCen error table.
    """
    resolve(factory, "100.118.28.0/24")
    err = error_of(unroute, factory, "100.118.28.0/24")
    assert (err.code, err.status) == ("InvalidOperation.CloudRouteStatusNotAllow", 403)
    cloud.advance(2)
    unroute(factory, "100.118.28.0/24")
    assert services(factory, host="100.118.28.0/24")[0].status == "Deleting"
    cloud.advance(2)
    assert services(factory, host="100.118.28.0/24") == []


def test_deleting_a_missing_cloud_service_route_succeeds(cloud, factory):
    """As documented, a delete that matches nothing returns a request id and changes nothing.

    Source: the DeleteRouteServiceInCen page.
    """
    assert unroute(factory, "100.118.200.0/24").request_id
    assert len(services(factory)) == 1


def test_cloud_service_routes_page_by_number(cloud, factory):
    """PageSize and PageNumber page the listing; TotalCount counts all.

    Source: alibabacloud_cbn20170912/models/_describe_route_services_in_cen_request.py.
    """
    resolve(factory, "100.118.28.0/24")
    first = call("cbn", "DescribeRouteServicesInCen", factory.cbn().describe_route_services_in_cen,
                 models.DescribeRouteServicesInCenRequest(cen_id=CEN, page_size=1, page_number=2))
    assert first.total_count == 2 and len(first.route_service_entries.route_service_entry) == 1


def tr_create(factory, destination, hop=ATTACHMENT, **extra):
    request = models.CreateTransitRouterRouteEntryRequest(
        transit_router_route_table_id=TABLE, transit_router_route_entry_destination_cidr_block=destination,
        transit_router_route_entry_next_hop_type="Attachment", transit_router_route_entry_next_hop_id=hop, **extra)
    return call("cbn", "CreateTransitRouterRouteEntry", factory.cbn().create_transit_router_route_entry, request)


def tr_list(factory, **filters):
    request = models.ListTransitRouterRouteEntriesRequest(transit_router_route_table_id=TABLE, **filters)
    return call("cbn", "ListTransitRouterRouteEntries", factory.cbn().list_transit_router_route_entries, request)


def tr_delete(factory, entry_id):
    request = models.DeleteTransitRouterRouteEntryRequest(transit_router_route_entry_id=entry_id)
    return call("cbn", "DeleteTransitRouterRouteEntry", factory.cbn().delete_transit_router_route_entry, request)


def test_static_route_is_listed_only_with_status_all_until_active(cloud, factory):
    """The default listing shows Active routes; a new route is Creating and visible with status All.

    Source: alibabacloud_cbn20170912/models/_list_transit_router_route_entries_request.py.
    """
    entry_id = tr_create(factory, "100.118.28.0/24", transit_router_route_entry_name="acrguard:r:oss",
                         client_token="t1").transit_router_route_entry_id
    assert entry_id not in [e.transit_router_route_entry_id for e in tr_list(factory).transit_router_route_entries]
    every = tr_list(factory, transit_router_route_entry_status="All", transit_router_route_entry_ids=[entry_id])
    assert [(e.transit_router_route_entry_status, e.transit_router_route_entry_name)
            for e in every.transit_router_route_entries] == [("Creating", "acrguard:r:oss")]
    cloud.advance(2)
    assert entry_id in [e.transit_router_route_entry_id for e in tr_list(factory).transit_router_route_entries]
    assert tr_create(factory, "100.118.28.0/24", transit_router_route_entry_name="acrguard:r:oss",
                     client_token="t1").transit_router_route_entry_id == entry_id


def test_static_route_duplicates_and_quota(cloud, factory):
    """Same destination: InstanceExist for the same hop, CreateRouteEntryWithSameDestinationCidrBlock else; quota 2.

    Source: the CreateTransitRouterRouteEntry error table.
    """
    assert error_of(tr_create, factory, "10.0.0.0/8", hop="tr-attach-vbr1").code == \
        "InstanceExist.TransitRouterRouteEntry"
    assert error_of(tr_create, factory, "10.0.0.0/8").code == \
        "OperationFailed.CreateRouteEntryWithSameDestinationCidrBlock"
    tr_create(factory, "100.118.28.0/24")
    assert error_of(tr_create, factory, "100.118.31.0/24").code == "QuotaExceeded.TransitRouterRoutEntry"
    assert error_of(tr_create, factory, "100.118.31.0/24", hop="tr-attach-nope").code == \
        "InvalidTransitRouterRouteEntryNextHopId.NotFound"


def test_static_route_dry_run_creates_nothing(cloud, factory):
    """DryRun answers DryRunOperation (400) when the checks pass, the failing check's error otherwise.

    Source: the CreateTransitRouterRouteEntry error table (DryRunOperation, 400).
    """
    err = error_of(tr_create, factory, "100.118.28.0/24", dry_run=True)
    assert (err.code, err.status) == ("DryRunOperation", 400)
    assert tr_list(factory, transit_router_route_entry_status="All").total_count == 2
    assert error_of(tr_create, factory, "10.0.0.0/8", dry_run=True).code == \
        "OperationFailed.CreateRouteEntryWithSameDestinationCidrBlock"


def test_static_route_dry_run_delete_keeps_the_route(cloud, factory):
    """DeleteTransitRouterRouteEntry with DryRun answers DryRunOperation and the route stays Active.

    Source: alibabacloud_cbn20170912/models/_delete_transit_router_route_entry_request.py (dry_run).
    """
    entry_id = tr_create(factory, "100.118.28.0/24").transit_router_route_entry_id
    cloud.advance(2)
    request = models.DeleteTransitRouterRouteEntryRequest(transit_router_route_entry_id=entry_id, dry_run=True)
    assert error_of(call, "cbn", "DeleteTransitRouterRouteEntry", factory.cbn().delete_transit_router_route_entry,
                    request).code == "DryRunOperation"
    listed = tr_list(factory, transit_router_route_entry_ids=[entry_id])
    assert listed.transit_router_route_entries[0].transit_router_route_entry_status == "Active"


def test_static_route_delete_and_missing_id(cloud, factory):
    """A route is Deleting then gone; a missing id is IllegalParam.TransitRouterRouteEntryId; propagated are refused.

    Source: the DeleteTransitRouterRouteEntry error table.
    """
    entry_id = tr_create(factory, "100.118.28.0/24").transit_router_route_entry_id
    assert error_of(tr_delete, factory, entry_id).code == "IncorrectStatus.Status"
    cloud.advance(2)
    tr_delete(factory, entry_id)
    listed = tr_list(factory, transit_router_route_entry_status="All", transit_router_route_entry_ids=[entry_id])
    assert listed.transit_router_route_entries[0].transit_router_route_entry_status == "Deleting"
    cloud.advance(2)
    assert error_of(tr_delete, factory, entry_id).code == "IllegalParam.TransitRouterRouteEntryId"
    propagated = next(e for e in tr_list(factory).transit_router_route_entries
                      if e.transit_router_route_entry_type == "Propagated")
    assert error_of(tr_delete, factory, propagated.transit_router_route_entry_id).code == \
        "OperationFailed.DeleteTransitRouterRouteEntry"


def test_static_routes_page_with_next_token(cloud, factory):
    """MaxResults and NextToken page the listing.

    Source: alibabacloud_cbn20170912/models/_list_transit_router_route_entries_request.py.
    """
    first = tr_list(factory, max_results=1)
    assert len(first.transit_router_route_entries) == 1 and first.next_token
    second = tr_list(factory, max_results=1, next_token=first.next_token)
    assert len(second.transit_router_route_entries) == 1 and not second.next_token


def test_unknown_table_and_cen_are_refused(cloud, factory):
    """Unknown transit router route tables and CEN instances answer their not-found codes.

    Source: the CreateTransitRouterRouteEntry error table; ParameterCenInstanceId: emulator's choice.
    """
    request = models.ListTransitRouterRouteEntriesRequest(transit_router_route_table_id="vtb-nope")
    assert error_of(call, "cbn", "ListTransitRouterRouteEntries", factory.cbn().list_transit_router_route_entries,
                    request).code == "InvalidTransitRouterRouteTableId.NotFound"
    request = models.DescribeRouteServicesInCenRequest(cen_id="cen-nope")
    assert error_of(call, "cbn", "DescribeRouteServicesInCen", factory.cbn().describe_route_services_in_cen,
                    request).code == "ParameterCenInstanceId"
