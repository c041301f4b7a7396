"""Route writes sent with ``DryRun=true`` only: the cloud checks them (permissions, parameters, limits) and acts not.

The SDK requests of ``CreateRouteEntry``/``DeleteRouteEntry`` (vpc 2016-04-28) and
``CreateTransitRouterRouteEntry``/``DeleteTransitRouterRouteEntry`` (cbn 2017-09-12) carry ``DryRun``;
their docstrings say a dry run checks the request and answers the error code ``DryRunOperation``
when every check passed, and the failing check's own error otherwise
(``alibabacloud_vpc20160428/models/_create_route_entry_request.py``,
``alibabacloud_cbn20170912/models/_create_transit_router_route_entry_request.py``). Each helper
returns that error, or None when the cloud answered success, which a dry run never should: the
caller reports it as a write that may have happened.
"""

from __future__ import annotations

from acrguard.clients import ClientFactory, call
from acrguard.config.routes import RouteTableTarget, TransitRouterTarget
from acrguard.errors import CloudCallError

#: a destination for permission DryRuns: TEST-NET-1 (RFC 5737), documentation only, never a real route
PROBE_DESTINATION = "192.0.2.1/32"


def create_route_entry(factory: ClientFactory, target: RouteTableTarget, region: str,
                       destination: str) -> CloudCallError | None:
    """DryRun ``CreateRouteEntry`` of ``destination`` toward the target's next hop."""
    from alibabacloud_vpc20160428 import models

    request = models.CreateRouteEntryRequest(region_id=region, route_table_id=target.route_table_id,
                                             destination_cidr_block=destination, next_hop_type=target.next_hop_type,
                                             next_hop_id=target.next_hop_id, dry_run=True)
    try:
        call("vpc", "CreateRouteEntry", factory.vpc(region).create_route_entry, request)
    except CloudCallError as exc:
        return exc
    return None


def delete_route_entry(factory: ClientFactory, target: RouteTableTarget, region: str,
                       entry_id: str) -> CloudCallError | None:
    """DryRun ``DeleteRouteEntry`` of one entry of the target's table."""
    from alibabacloud_vpc20160428 import models

    request = models.DeleteRouteEntryRequest(region_id=region, route_table_id=target.route_table_id,
                                             route_entry_id=entry_id, dry_run=True)
    try:
        call("vpc", "DeleteRouteEntry", factory.vpc(region).delete_route_entry, request)
    except CloudCallError as exc:
        return exc
    return None


def create_transit_router_route_entry(factory: ClientFactory, target: TransitRouterTarget,
                                      destination: str) -> CloudCallError | None:
    """DryRun ``CreateTransitRouterRouteEntry`` of ``destination`` toward the target's attachment."""
    from alibabacloud_cbn20170912 import models

    request = models.CreateTransitRouterRouteEntryRequest(
        transit_router_route_table_id=target.route_table_id,
        transit_router_route_entry_destination_cidr_block=destination,
        transit_router_route_entry_next_hop_type="Attachment",
        transit_router_route_entry_next_hop_id=target.attachment_id, dry_run=True)
    try:
        call("cbn", "CreateTransitRouterRouteEntry", factory.cbn().create_transit_router_route_entry, request)
    except CloudCallError as exc:
        return exc
    return None


def delete_transit_router_route_entry(factory: ClientFactory, entry_id: str) -> CloudCallError | None:
    """DryRun ``DeleteTransitRouterRouteEntry`` of one route."""
    from alibabacloud_cbn20170912 import models

    request = models.DeleteTransitRouterRouteEntryRequest(transit_router_route_entry_id=entry_id, dry_run=True)
    try:
        call("cbn", "DeleteTransitRouterRouteEntry", factory.cbn().delete_transit_router_route_entry, request)
    except CloudCallError as exc:
        return exc
    return None
