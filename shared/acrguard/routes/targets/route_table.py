"""VPC and VBR route tables (vpc ``CreateRouteEntry`` / ``DeleteRouteEntry`` / ``DescribeRouteEntryList``).

The VBR table is where Express Connect learns cloud-service prefixes (next hop: the router interface
toward the VPC). A VPC table never gets a destination equal to or inside 100.64.0.0/10: the system
route already covers it and the API refuses it (``acr-network.md`` §1.4, §3.1). Only ``Custom``
entries named ``acrguard:<instance>:<family>`` are acrguard's; they count, with every other custom
entry, against the documented quota of 200 custom entries per table.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from acrguard.clients import ClientFactory, call
from acrguard.config.routes import RouteTableTarget
from acrguard.errors import CloudCallError
from acrguard.routes.targets.base import CurrentRoutes, ForeignRoute, ManagedRoute, RouteChange, parse_marker
from acrguard.routes.targets.entries import EntryTarget
from acrguard.routes.targets.planning import EntryRules
from acrguard.routes.targets.waiting import Waiter

SERVICE_RANGE = ipaddress.ip_network("100.64.0.0/10")
DEFAULT_QUOTA = 200
CHANGING = frozenset({"Pending", "Deleting", "Modifying", "Creating"})


class RouteTableRoutes(EntryTarget):
    """Custom entries in one VPC or VBR route table."""

    settled_status = "Available"
    busy_codes = frozenset({"IncorrectRouteEntryStatus", "TaskConflict", "OperationConflict",
                            "IncorrectStatus.RouteTableStatus", "OperationFailed.DistibuteLock"})

    def __init__(self, config: RouteTableTarget, factory: ClientFactory, waiter: Waiter | None = None) -> None:
        super().__init__(factory, waiter)
        self.config = config
        self.region = config.region or factory.region
        self.key = f"{config.type}:{config.route_table_id}"
        self.target_type = config.type
        self.label = config.name or self.key
        self.families = config.families
        self.hop = f"{config.next_hop_type}:{config.next_hop_id}"

    def _models(self) -> Any:
        from alibabacloud_vpc20160428 import models

        return models

    def _list(self, **filters: Any) -> list[Any]:
        models, client, entries, token = self._models(), self.factory.vpc(self.region), [], None
        while True:
            body = call("vpc", "DescribeRouteEntryList", client.describe_route_entry_list,
                        models.DescribeRouteEntryListRequest(region_id=self.region,
                                                             route_table_id=self.config.route_table_id,
                                                             max_result=100, next_token=token, **filters))
            entries.extend(body.route_entrys.route_entry if body.route_entrys and body.route_entrys.route_entry
                           else [])
            token = body.next_token
            if not token:
                return entries

    @staticmethod
    def _hop(entry: Any) -> str:
        hops = entry.next_hops.next_hop if entry.next_hops and entry.next_hops.next_hop else []
        return ",".join(f"{h.next_hop_type}:{h.next_hop_id}" for h in hops)

    def read_managed(self, marker_prefix: str) -> CurrentRoutes:
        """Every entry of the table: marked custom entries are managed, the rest foreign."""
        managed, foreign = [], []
        entries = self._list()
        for entry in entries:
            family = parse_marker(entry.route_entry_name, marker_prefix) if entry.type == "Custom" else None
            if family is not None:
                managed.append(ManagedRoute(entry.destination_cidr_block, family, entry.destination_cidr_block,
                                            entry.route_entry_id, entry.status, next_hop=self._hop(entry)))
            else:
                what = entry.route_entry_name or entry.route_entry_id
                foreign.append(ForeignRoute(entry.destination_cidr_block, entry.destination_cidr_block,
                                            entry.route_entry_id, f"{entry.type} entry {what}",
                                            counts_to_quota=entry.type == "Custom"))
        return CurrentRoutes(self.key, marker_prefix, tuple(managed), tuple(foreign),
                             used=sum(1 for e in entries if e.type == "Custom"),
                             quota=self.config.quota or DEFAULT_QUOTA,
                             settling=any(e.status in CHANGING for e in entries))

    def _rules(self) -> EntryRules:
        def refuse(prefix: str) -> tuple[str, str] | None:
            network = ipaddress.ip_network(prefix)
            if self.config.type == "vpc_route_table" and network.version == 4 and network.subnet_of(SERVICE_RANGE):
                return ("reserved_range", "inside 100.64.0.0/10: the VPC system route already covers it and a VPC "
                        "route table refuses it; route it on the VBR, CEN or VPN side instead")
            return None

        def slots(prefix: str, family: str) -> list[RouteChange]:
            return [RouteChange(prefix, family, prefix, "")]  # type: ignore[arg-type]

        return EntryRules(refuse=refuse, slots=slots, next_hop=self.hop)

    def _create(self, change: RouteChange) -> bool:
        models = self._models()
        client = self.factory.vpc(self.region)
        request = models.CreateRouteEntryRequest(
            region_id=self.region, route_table_id=self.config.route_table_id, destination_cidr_block=change.prefix,
            next_hop_type=self.config.next_hop_type, next_hop_id=self.config.next_hop_id,
            route_entry_name=change.marker, description=change.marker, client_token=change.client_token)
        try:
            call("vpc", "CreateRouteEntry", client.create_route_entry, request)
        except CloudCallError as exc:
            if exc.code == "RouterEntryConflict.Duplicated":  # same destination, same next hop
                return False
            raise
        return True

    def _delete(self, change: RouteChange) -> bool:
        models = self._models()
        client = self.factory.vpc(self.region)
        request = models.DeleteRouteEntryRequest(region_id=self.region, route_table_id=self.config.route_table_id,
                                                 route_entry_id=change.entry_id)
        try:
            call("vpc", "DeleteRouteEntry", client.delete_route_entry, request)
        except CloudCallError as exc:
            if exc.code in ("InvalidRouteEntry.NotFound", "InvalidRouteEntryId.NotFound"):
                return False
            raise
        return True

    def _status(self, change: RouteChange, *, removal: bool) -> str | None:
        found = self._list(route_entry_id=change.entry_id) if removal else \
            self._list(destination_cidr_block=change.prefix)
        return found[0].status if found else None
