"""CEN cloud-service access (``ResolveAndRouteServiceInCen`` and friends, Basic Edition CEN).

Each entry routes one host prefix, served by a VPC in the host region, to one access region (where
the VBR or CCN of the IDC is attached). acrguard writes one entry per (prefix, access region), so a
duplicate (``CloudRoute.Exist``) is unambiguous. The API takes only hosts inside 100.64.0.0/10
(documented ``ParameterIllegal.ClouteRouteCidrNotAllow``), so other prefixes, such as the instance's
VPC endpoint address, are refused in the plan. Only entries whose ``Description`` is
``acrguard:<instance>:<family>`` are acrguard's; the target's scope is one CEN and one host region.
Deleting a missing entry succeeds silently (documented), so "not found on delete" needs no special case.

Writes are asynchronous (``Creating`` then ``Active``); nothing documents a CEN refusing a write while
another of its entries is changing (only deleting an entry that is itself still changing is refused,
``InvalidOperation.CloudRouteStatusNotAllow``), and Terraform's ``alicloud_cen_route_service`` sends its
writes without a lock (``alicloud/resource_alicloud_cen_route_service.go``, retrying ``Operation.Blocking``).
So the writes of one run go one after another without waiting and one read checks them all
(``EntryTarget.writes_while_changing``); a busy answer is retried.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from acrguard.clients import ClientFactory, call
from acrguard.config.routes import CenServiceTarget
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

SERVICE_RANGE = ipaddress.ip_network("100.64.0.0/10")
CHANGING = frozenset({"Creating", "Deleting"})


def slot(prefix: str, access_region: str) -> str:
    """The key of one entry: its host prefix and access region."""
    return f"{prefix} from {access_region}"


class CenServiceRoutes(EntryTarget):
    """Cloud-service routes of one CEN for one host region and VPC."""

    settled_status = "Active"
    busy_codes = frozenset({"Operation.Blocking", "InvalidOperation.CloudRouteStatusNotAllow",
                            "IncorrectStatus.TransitRouter", "InvalidOperation.CenInstanceStatus"})
    writes_while_changing = True

    def __init__(self, config: CenServiceTarget, factory: ClientFactory, waiter: Waiter | None = None) -> None:
        super().__init__(factory, waiter)
        self.config = config
        self.key = f"{config.type}:{config.cen_id}:{config.host_region_id}"
        self.target_type = config.type
        self.label = config.name or self.key
        self.families = config.families

    def _models(self) -> Any:
        from alibabacloud_cbn20170912 import models

        return models

    def _list(self, **filters: Any) -> list[Any]:
        models, client, entries, page = self._models(), self.factory.cbn(), [], 1
        while True:
            request = models.DescribeRouteServicesInCenRequest(cen_id=self.config.cen_id, page_number=page,
                                                               page_size=50, **filters)
            body = call("cbn", "DescribeRouteServicesInCen", client.describe_route_services_in_cen, request)
            rows = body.route_service_entries.route_service_entry if body.route_service_entries and \
                body.route_service_entries.route_service_entry else []
            entries.extend(rows)
            if not rows or len(entries) >= (body.total_count or 0):
                return entries
            page += 1

    def read_managed(self, marker_prefix: str) -> CurrentRoutes:
        """The CEN's entries for this host region: marked ones are managed, the rest foreign."""
        managed, foreign = [], []
        everything = self._list()
        for entry in (e for e in everything if e.host_region_id == self.config.host_region_id):
            key = slot(entry.host, entry.access_region_id)
            family = parse_marker(entry.description, marker_prefix)
            if family is not None:
                managed.append(ManagedRoute(entry.host, family, key, key, entry.status, next_hop=entry.host_vpc_id,
                                            extra={"access_region": entry.access_region_id}))
            else:
                foreign.append(ForeignRoute(entry.host, key, key, f"cloud-service route {entry.description or key}",
                                            owner=marker_owner(entry.description), next_hop=entry.host_vpc_id or ""))
        return CurrentRoutes(self.key, marker_prefix, tuple(managed), tuple(foreign), used=len(everything),
                             quota=self.config.quota, settling=any(e.status in CHANGING for e in everything))

    def _rules(self) -> EntryRules:
        def refuse(prefix: str) -> tuple[str, str] | None:
            network = ipaddress.ip_network(prefix)
            if network.version != 4 or not network.subnet_of(SERVICE_RANGE):
                return ("out_of_range", "CEN cloud-service access only takes IPv4 hosts inside 100.64.0.0/10; "
                        "this address is reached through the attached VPC instead")
            return None

        def slots(prefix: str, family: str) -> list[RouteChange]:
            return [RouteChange(prefix, family, slot(prefix, region), "",  # type: ignore[arg-type]
                                extra={"access_region": region}) for region in self.config.access_region_ids]

        return EntryRules(refuse=refuse, slots=slots, next_hop=self.config.host_vpc_id)

    def _create(self, change: RouteChange) -> bool:
        models = self._models()
        request = models.ResolveAndRouteServiceInCenRequest(
            cen_id=self.config.cen_id, host=change.prefix, host_region_id=self.config.host_region_id,
            host_vpc_id=self.config.host_vpc_id, access_region_ids=[change.extra["access_region"]],
            description=change.marker, client_token=change.client_token)
        try:
            call("cbn", "ResolveAndRouteServiceInCen", self.factory.cbn().resolve_and_route_service_in_cen, request)
        except CloudCallError as exc:
            if exc.code == "CloudRoute.Exist":
                return False
            raise
        return True

    def _delete(self, change: RouteChange) -> bool:
        models = self._models()
        request = models.DeleteRouteServiceInCenRequest(
            cen_id=self.config.cen_id, host=change.prefix, host_region_id=self.config.host_region_id,
            access_region_id=change.extra["access_region"], host_vpc_id=change.next_hop or None)
        call("cbn", "DeleteRouteServiceInCen", self.factory.cbn().delete_route_service_in_cen, request)
        return True

    def _snapshot(self) -> dict[str, str]:
        statuses: dict[str, str] = {}
        for entry in self._list():
            if entry.host_region_id == self.config.host_region_id:
                key = slot(entry.host, entry.access_region_id)
                statuses[key] = statuses[f"id:{key}"] = entry.status or ""
        return statuses

    def _status(self, change: RouteChange, *, removal: bool) -> str | None:
        found = self._list(host=change.prefix, host_region_id=self.config.host_region_id,
                           access_region_id=change.extra["access_region"])
        return found[0].status if found else None
