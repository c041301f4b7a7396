"""VPC and VBR route tables (vpc ``CreateRouteEntry`` / ``DeleteRouteEntry`` / ``DescribeRouteEntryList``).

The VBR table is where Express Connect learns routes toward the VPC (next hop: the VBR's router
interface). Only ``Custom`` entries named ``acrguard:<instance>:<family>`` are acrguard's; they
count, with every other custom entry, against the table's quota: 200 custom entries per VPC or VBR
table in the current CreateRouteEntry pages (older VBR pages say 48: set ``routes.targets[].quota``).

The cloud-service range 100.64.0.0/10 (where the auth and OSS VIPs live):

* a VPC table never gets such a destination: the VPC's system route already covers it and the API
  refuses it (``reserved_range`` in the plan);
* on a VBR table the sources disagree. CreateRouteEntry (https://www.alibabacloud.com/help/en/vpc/api-createrouteentry,
  https://help.aliyun.com/document_detail/387398.html, the SDK docstring of
  ``CreateRouteEntryRequest.destination_cidr_block``) forbids destinations equal to or inside it
  on VBR tables too, with ``InvalidCidrBlock``; a zh revision (document_detail/387398.htm) allows
  more specific ones; the VBR route guide (https://www.alibabacloud.com/help/doc-detail/91265.htm)
  tells users to add routes to the OSS ranges. So the write is planned, and a refusal
  (``InvalidCidrBlock`` / ``InvalidDestinationCidrBlock`` for such a destination) is not a failure:
  it becomes ``RefusedByCloud`` (code ``service_range``), which the keeper remembers and reports with
  the working alternative (CEN cloud-service access).

Writes are one at a time, each waited for (``EntryTarget.writes_while_changing`` is false): the table
refuses a write while another of its entries is ``Pending`` or changing (``IncorrectRouteEntryStatus`` in
the CreateRouteEntry error table; "the VPC service handles route entry operations as serialized
asynchronous tasks and rejects concurrent submissions with TaskConflict", and Terraform waits for every
entry of the table to be ``Available`` before each write: ``alicloud/resource_alicloud_route_entry.go``,
``routeEntryTaskLock`` and ``WaitForAllRouteEntriesAvailable``). So one status read per write is needed
(the read that shows the write settled is the one that lets the next go); ``CreateRouteEntries`` batches
only vRouter tables, not VBR ones, and "does not support concurrent batches in one VPC"
(https://help.aliyun.com/zh/vpc/developer-reference/api-vpc-2016-04-28-createrouteentries).

A create answered "duplicate" (``Duplicated.VpcNextHop`` on VBR tables, ``InvalidCIDRBlock.Duplicate``,
``RouterEntryConflict.Duplicated``; Terraform's ``resource_alicloud_route_entry.go`` lists all three)
is "already present" only when the entry there points at the configured next hop (as the same write
by another instance sharing the table would); one pointing elsewhere is a failure.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from acrguard.clients import ClientFactory, call
from acrguard.config.routes import RouteTableTarget
from acrguard.errors import CloudCallError
from acrguard.routes.targets.base import (
    CurrentRoutes,
    ForeignRoute,
    ManagedRoute,
    RefusedByCloud,
    RouteChange,
    marker_owner,
    parse_marker,
)
from acrguard.routes.targets.entries import EntryTarget
from acrguard.routes.targets.planning import EntryRules
from acrguard.routes.targets.waiting import Waiter

SERVICE_RANGE = ipaddress.ip_network("100.64.0.0/10")
DEFAULT_QUOTA = 200
#: what CreateRouteEntry answers when the destination already exists (see the module docstring)
DUPLICATE_CODES = frozenset({"Duplicated.VpcNextHop", "InvalidCIDRBlock.Duplicate", "RouterEntryConflict.Duplicated"})
#: what CreateRouteEntry answers for a destination the table does not take (documented error table)
REFUSED_DESTINATION_CODES = frozenset({"InvalidCidrBlock", "InvalidDestinationCidrBlock"})
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
                owner = marker_owner(entry.route_entry_name) if entry.type == "Custom" else None
                foreign.append(ForeignRoute(entry.destination_cidr_block, entry.destination_cidr_block,
                                            entry.route_entry_id, f"{entry.type} entry {what}",
                                            counts_to_quota=entry.type == "Custom", owner=owner,
                                            next_hop=self._hop(entry)))
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
            if exc.code in DUPLICATE_CODES and self._routed_here(change):
                return False
            refusal = self._refusal(exc, change)
            if refusal is not None:
                raise refusal from None
            raise
        return True

    def _routed_here(self, change: RouteChange) -> bool:
        """Whether the entry holding the destination points at the configured next hop (whoever made it)."""
        return any(self._hop(e) == self.hop for e in self._list(destination_cidr_block=change.prefix))

    def _refusal(self, exc: CloudCallError, change: RouteChange) -> RefusedByCloud | None:
        """The lasting refusal a create error means for this table, if it means one."""
        network = ipaddress.ip_network(change.prefix)
        if exc.code in REFUSED_DESTINATION_CODES and self.config.type == "vbr_route_table" \
                and network.version == 4 and network.subnet_of(SERVICE_RANGE):
            return RefusedByCloud("service_range", f"the VBR route table refused {change.prefix} ({exc.code}): "
                                  "it takes no destination inside 100.64.0.0/10, the cloud-service range, as the "
                                  "CreateRouteEntry reference says", exc.code or "")
        if exc.code == "QuotaExceeded":
            return RefusedByCloud("quota", f"the cloud answered QuotaExceeded for {change.prefix}: the table's "
                                  "custom-route quota is lower than acrguard assumed (older pages give 48 for a VBR "
                                  "table); set routes.targets[].quota to the real one", exc.code)
        return None

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
