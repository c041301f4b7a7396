"""Static routes in a CEN Enterprise Edition transit router route table (cbn 2017-09-12).

``CreateTransitRouterRouteEntry`` points a prefix at the VPC attachment (``Creating`` then
``Active``); ``ListTransitRouterRouteEntries`` shows only ``Active`` routes unless asked for ``All``,
so every read here asks for ``All``. While a route is ``Creating`` only that route is locked ("you can
query the route but cannot perform other operations",
https://www.alibabacloud.com/help/en/cloud-enterprise-network/latest/createtransitrouterrouteentry), and
Terraform's ``alicloud_cen_transit_router_route_entry`` sends its creates without a lock
(``alicloud/resource_alicloud_cen_transit_router_route_entry.go``, retrying ``Operation.Blocking`` and
``IncorrectStatus.Status``), so the writes of one run go one after another without waiting and one read
of the table checks them all (``EntryTarget.writes_while_changing``).

Only ``Static`` routes named ``acrguard:<instance>:<family>`` are acrguard's; propagated routes are
foreign and do not count against the quota. No quota is known from the documentation, so none is
checked unless the target config sets one.
"""

from __future__ import annotations

from typing import Any

from acrguard.clients import ClientFactory, call
from acrguard.config.routes import TransitRouterTarget
from acrguard.errors import CloudCallError
from acrguard.routes.targets.base import (
    CurrentRoutes,
    ForeignRoute,
    ManagedRoute,
    RouteChange,
    marker_owner,
    parse_marker,
)
from acrguard.routes.targets.entries import EntryTarget
from acrguard.routes.targets.planning import EntryRules
from acrguard.routes.targets.waiting import Waiter

CHANGING = frozenset({"Creating", "Deleting"})


class TransitRouterRoutes(EntryTarget):
    """Static routes of one transit router route table, pointing at one attachment."""

    settled_status = "Active"
    busy_codes = frozenset({"Operation.Blocking", "IncorrectStatus.Status", "IncorrectStatus.TransitRouterRouteTable",
                            "InstanceStatus.NotSupport"})
    writes_while_changing = True

    def __init__(self, config: TransitRouterTarget, factory: ClientFactory, waiter: Waiter | None = None) -> None:
        super().__init__(factory, waiter)
        self.config = config
        self.key = f"{config.type}:{config.route_table_id}"
        self.target_type = config.type
        self.label = config.name or self.key
        self.families = config.families
        self.hop = f"Attachment:{config.attachment_id}"

    def _models(self) -> Any:
        from alibabacloud_cbn20170912 import models

        return models

    def _list(self, **filters: Any) -> list[Any]:
        models, client, entries, token = self._models(), self.factory.cbn(), [], None
        while True:
            request = models.ListTransitRouterRouteEntriesRequest(
                transit_router_route_table_id=self.config.route_table_id, transit_router_route_entry_status="All",
                max_results=100, next_token=token, **filters)
            body = call("cbn", "ListTransitRouterRouteEntries", client.list_transit_router_route_entries, request)
            entries.extend(body.transit_router_route_entries or [])
            token = body.next_token
            if not token:
                return entries

    def read_managed(self, marker_prefix: str) -> CurrentRoutes:
        """Every route of the table: marked static routes are managed, the rest foreign."""
        managed, foreign = [], []
        entries = self._list()
        for entry in entries:
            destination = entry.transit_router_route_entry_destination_cidr_block
            static = entry.transit_router_route_entry_type == "Static"
            family = parse_marker(entry.transit_router_route_entry_name, marker_prefix) if static else None
            hop_id = entry.transit_router_route_entry_next_hop_id or ""
            hop = f"{entry.transit_router_route_entry_next_hop_type}:{hop_id}"
            if family is not None:
                managed.append(ManagedRoute(destination, family, destination, entry.transit_router_route_entry_id,
                                            entry.transit_router_route_entry_status, next_hop=hop))
            else:
                what = entry.transit_router_route_entry_name or entry.transit_router_route_entry_id or destination
                owner = marker_owner(entry.transit_router_route_entry_name) if static else None
                foreign.append(ForeignRoute(destination, destination, entry.transit_router_route_entry_id or "",
                                            f"{entry.transit_router_route_entry_type} route {what}",
                                            counts_to_quota=static, owner=owner, next_hop=hop))
        return CurrentRoutes(self.key, marker_prefix, tuple(managed), tuple(foreign),
                             used=sum(1 for e in entries if e.transit_router_route_entry_type == "Static"),
                             quota=self.config.quota,
                             settling=any(e.transit_router_route_entry_status in CHANGING for e in entries))

    def _rules(self) -> EntryRules:
        def slots(prefix: str, family: str) -> list[RouteChange]:
            return [RouteChange(prefix, family, prefix, "")]  # type: ignore[arg-type]

        return EntryRules(refuse=lambda prefix: None, slots=slots, next_hop=self.hop)

    def _create(self, change: RouteChange) -> bool:
        models = self._models()
        request = models.CreateTransitRouterRouteEntryRequest(
            transit_router_route_table_id=self.config.route_table_id,
            transit_router_route_entry_destination_cidr_block=change.prefix,
            transit_router_route_entry_next_hop_type="Attachment",
            transit_router_route_entry_next_hop_id=self.config.attachment_id,
            transit_router_route_entry_name=change.marker, transit_router_route_entry_description=change.marker,
            client_token=change.client_token)
        try:
            call("cbn", "CreateTransitRouterRouteEntry", self.factory.cbn().create_transit_router_route_entry, request)
        except CloudCallError as exc:
            if exc.code == "InstanceExist.TransitRouterRouteEntry":  # same destination, same next hop
                return False
            raise
        return True

    def _delete(self, change: RouteChange) -> bool:
        models = self._models()
        request = models.DeleteTransitRouterRouteEntryRequest(transit_router_route_entry_id=change.entry_id)
        try:
            call("cbn", "DeleteTransitRouterRouteEntry", self.factory.cbn().delete_transit_router_route_entry, request)
        except CloudCallError as exc:
            if exc.code == "IllegalParam.TransitRouterRouteEntryId":  # documented "is not found"
                return False
            raise
        return True

    def _snapshot(self) -> dict[str, str]:
        statuses: dict[str, str] = {}
        for entry in self._list():
            status = entry.transit_router_route_entry_status or ""
            statuses[entry.transit_router_route_entry_destination_cidr_block] = status
            if entry.transit_router_route_entry_id:
                statuses[f"id:{entry.transit_router_route_entry_id}"] = status
        return statuses

    def _status(self, change: RouteChange, *, removal: bool) -> str | None:
        found = self._list(transit_router_route_entry_ids=[change.entry_id]) if removal else \
            self._list(transit_router_route_entry_destination_cidr_block=change.prefix)
        return found[0].transit_router_route_entry_status if found else None
