"""CEN (cbn 2017-09-12, global): cloud-service routes and transit router static routes.

Shapes follow the SDK models (``alibabacloud_cbn20170912.models``); behaviour and codes follow the
API reference pages (ResolveAndRouteServiceInCen, DescribeRouteServicesInCen, DeleteRouteServiceInCen,
https://www.alibabacloud.com/help/en/cen/developer-reference/api-cbn-2017-09-12-createtransitrouterrouteentry
and its siblings) and the Terraform provider (aliyun/terraform-provider-alicloud
``alicloud/resource_alicloud_cen_route_service.go``, ``resource_alicloud_cen_transit_router_route_entry.go``):

Cloud-service access (Basic Edition, ``ResolveAndRouteServiceInCen`` and friends)
    one entry per (``Host``, ``AccessRegionId``); asynchronous: ``Creating`` then ``Active``,
    ``Deleting`` then gone, each after the world's ``async_delay_s`` (default 2 s) on the cloud
    clock. Documented codes: ``CloudRoute.Exist`` (duplicate), ``CloudRoute.VpcNotAttached``,
    ``ParameterIllegal.ClouteRouteCidrNotAllow`` (host outside 100.64.0.0/10, spelling as documented),
    ``ParameterIllegal.Host`` (a domain), ``InvalidOperation.CloudRouteStatusNotAllow`` (403, deleting
    an entry that is still changing). Deleting an entry that does not exist succeeds, as documented
    ("the system returns a request ID even if you specify an invalid parameter").
Transit router static routes (``CreateTransitRouterRouteEntry`` and friends)
    ``Creating`` then ``Active``, ``Deleting`` then gone. Documented codes:
    ``InstanceExist.TransitRouterRouteEntry`` (same destination and next hop),
    ``OperationFailed.CreateRouteEntryWithSameDestinationCidrBlock`` (same destination, other hop),
    ``QuotaExceeded.TransitRouterRoutEntry`` (sic), ``InvalidTransitRouterRouteTableId.NotFound``,
    ``IllegalParam.TransitRouterRouteEntryId`` (delete of a missing id).
    ``ListTransitRouterRouteEntries`` shows only ``Active`` routes unless a status filter is given.
DryRun (``CreateTransitRouterRouteEntry``, ``DeleteTransitRouterRouteEntry``; the SDK requests of the
cloud-service calls have none)
    ``DryRun=true`` runs every check and then answers ``DryRunOperation`` (HTTP 400, "Request validation
    has been passed with DryRun flag set.", as the CreateTransitRouterRouteEntry error table documents)
    instead of acting; a failing check answers its own error; nothing changes either way.

Emulator's choices (no documented code found): ``ParameterCenInstanceId`` for an unknown CEN (the
Terraform provider's constant), ``QuotaExceeded.CloudRoute`` when ``route_service_quota`` is reached,
``IncorrectStatus.Status`` when deleting a static route that is still ``Creating``/``Deleting``.

World seed (``accounts.<id>.global.cbn``)::

    async_delay_s: 2
    cen_instances:
      - id: cen-1
        attached_vpcs: {cn-hangzhou: [vpc-1]}
        route_service_quota: 100
        route_services: [{host: 100.118.28.0/24, host_region_id: cn-hangzhou, host_vpc_id: vpc-1,
                          access_region_id: cn-hangzhou, description: manual}]
    transit_router_route_tables:
      - id: vtb-tr1
        transit_router_id: tr-1
        quota: 1000
        attachments: [tr-attach-1]
        entries: [{destination: 10.0.0.0/8, next_hop_type: Attachment, next_hop_id: tr-attach-1,
                   name: idc, type: Static}]
"""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from localcloud.errors import CloudError, missing_parameter
from localcloud.service import Call, ClientTokens, Service, page_by_number, page_by_token

SERVICE_RANGE = ipaddress.ip_network("100.64.0.0/10")
_ids = itertools.count(1)


def _new_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids):020x}"


def _dry_run() -> CloudError:
    """The documented answer to a request whose checks passed with ``DryRun=true``."""
    return CloudError("DryRunOperation", "Request validation has been passed with DryRun flag set.", 400)


def _status(created_at: float, deleted_at: float | None, now: float, delay: float) -> str | None:
    """``Creating``, ``Active``, ``Deleting``, or None once a deletion has finished."""
    if deleted_at is not None:
        return "Deleting" if now < deleted_at + delay else None
    return "Creating" if now < created_at + delay else "Active"


@dataclass
class RouteService:
    """One cloud-service route: a host prefix reachable from one access region."""

    host: str
    host_region_id: str
    host_vpc_id: str
    access_region_id: str
    description: str = ""
    created_at: float = 0.0
    deleted_at: float | None = None


@dataclass
class CenInstance:
    """A CEN instance: the VPCs attached per region, and its cloud-service routes."""

    id: str
    attached_vpcs: dict[str, list[str]] = field(default_factory=dict)
    quota: int = 100
    route_services: list[RouteService] = field(default_factory=list)


@dataclass
class TrRouteEntry:
    """A route in a transit router route table."""

    id: str
    destination: str
    next_hop_type: str
    next_hop_id: str
    name: str = ""
    description: str = ""
    type: str = "Static"
    created_at: float = 0.0
    deleted_at: float | None = None


@dataclass
class TrRouteTable:
    """A route table of an Enterprise Edition transit router."""

    id: str
    transit_router_id: str = ""
    quota: int = 1000
    attachments: list[str] | None = None
    entries: list[TrRouteEntry] = field(default_factory=list)


def _cidr(value: str, code: str, message: str) -> str:
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise CloudError(code, message, 400) from None


def _seed_cidr(value: Any, where: str) -> str:
    try:
        return str(ipaddress.ip_network(str(value).strip(), strict=False))
    except ValueError:
        raise ValueError(f"{where}: not a CIDR block: {value!r}") from None


class CbnBackend:
    """CEN state of one account (CEN is a global service)."""

    SEED_KEYS = frozenset({"async_delay_s", "cen_instances", "transit_router_route_tables"})

    def __init__(self, cloud: Any, account_id: str, region: str) -> None:
        self.cloud = cloud
        self.account_id = account_id
        self.delay = 2.0
        self.cens: dict[str, CenInstance] = {}
        self.tr_tables: dict[str, TrRouteTable] = {}
        self.tokens = ClientTokens()

    def seed(self, data: dict[str, Any]) -> None:
        """Load CEN instances, transit router route tables and the async delay from a world file."""
        unknown = set(data) - self.SEED_KEYS
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; allowed: {sorted(self.SEED_KEYS)}")
        self.delay = float(data.get("async_delay_s", self.delay))
        for index, spec in enumerate(data.get("cen_instances") or []):
            where = f"cen_instances[{index}]"
            if "id" not in spec:
                raise ValueError(f"{where}: needs 'id'")
            cen = CenInstance(id=spec["id"], attached_vpcs={r: list(v) for r, v in
                                                             (spec.get("attached_vpcs") or {}).items()},
                              quota=int(spec.get("route_service_quota", 100)))
            for number, item in enumerate(spec.get("route_services") or []):
                try:
                    cen.route_services.append(RouteService(
                        host=_seed_cidr(item["host"], f"{where}.route_services[{number}].host"),
                        host_region_id=item["host_region_id"], host_vpc_id=item["host_vpc_id"],
                        access_region_id=item["access_region_id"], description=item.get("description", "")))
                except KeyError as exc:
                    raise ValueError(f"{where}.route_services[{number}]: missing {exc}") from None
            self.cens[cen.id] = cen
        for index, spec in enumerate(data.get("transit_router_route_tables") or []):
            where = f"transit_router_route_tables[{index}]"
            if "id" not in spec:
                raise ValueError(f"{where}: needs 'id'")
            table = TrRouteTable(id=spec["id"], transit_router_id=spec.get("transit_router_id", ""),
                                 quota=int(spec.get("quota", 1000)), attachments=spec.get("attachments"))
            for number, item in enumerate(spec.get("entries") or []):
                try:
                    table.entries.append(TrRouteEntry(
                        id=item.get("id") or _new_id("rte"),
                        destination=_seed_cidr(item["destination"], f"{where}.entries[{number}].destination"),
                        next_hop_type=item.get("next_hop_type", "Attachment"), next_hop_id=item.get("next_hop_id", ""),
                        name=item.get("name", ""), description=item.get("description", ""),
                        type=item.get("type", "Static")))
                except KeyError as exc:
                    raise ValueError(f"{where}.entries[{number}]: missing {exc}") from None
            self.tr_tables[table.id] = table

    def now(self) -> float:
        """The cloud clock (async states are computed from it)."""
        return self.cloud.clock.now()

    def cen(self, cen_id: str) -> CenInstance:
        """The CEN instance with finished deletions dropped."""
        cen = self.cens.get(cen_id)
        if cen is None:
            raise CloudError("ParameterCenInstanceId", f"The specified CEN instance {cen_id} does not exist.", 400)
        now = self.now()
        cen.route_services = [s for s in cen.route_services
                              if _status(s.created_at, s.deleted_at, now, self.delay) is not None]
        return cen

    def tr_table(self, table_id: str) -> TrRouteTable:
        """The transit router route table with finished deletions dropped."""
        table = self.tr_tables.get(table_id)
        if table is None:
            raise CloudError("InvalidTransitRouterRouteTableId.NotFound", "TransitRouterRouteTableId is not found.",
                             400)
        now = self.now()
        table.entries = [e for e in table.entries if _status(e.created_at, e.deleted_at, now, self.delay) is not None]
        return table

    def status_of(self, item: RouteService | TrRouteEntry) -> str:
        """``Creating``, ``Active`` or ``Deleting`` now (``Deleted`` once gone)."""
        return _status(item.created_at, item.deleted_at, self.now(), self.delay) or "Deleted"


SERVICE = Service("cbn", "2017-09-12", CbnBackend, regional=False)


# -- cloud-service routes ----------------------------------------------------------------------------

def _host(call: Call) -> str:
    raw = call.require("Host").strip()
    try:
        network = ipaddress.ip_network(raw, strict=False)
    except ValueError:
        if any(c.isalpha() for c in raw):
            raise CloudError("ParameterIllegal.Host", "Parameter Host does not support domain.", 400) from None
        raise CloudError("ParameterIllegal.CloudRouteHost", "Parameter Host is not valid.", 400) from None
    if network.version == 6:
        raise CloudError("ParameterIllegal.ClouteRouteNotSupportIpv6", "Parameter Host not support IPv6", 400)
    if not network.subnet_of(SERVICE_RANGE):
        raise CloudError("ParameterIllegal.ClouteRouteCidrNotAllow", "Parameter Host not in 100.64.0.0/10", 400)
    return str(network)


def _text(call: Call, name: str, code: str, maximum: int) -> str:
    value = call.get(name)
    if value is None:
        return ""
    if len(value) > maximum or value.lower().startswith(("http://", "https://")):
        raise CloudError(code, f"{name} is invalid.", 400)
    return value


@SERVICE.action("ResolveAndRouteServiceInCen")
def resolve_and_route_service_in_cen(call: Call, backend: CbnBackend) -> dict[str, Any]:
    """Route a cloud-service prefix to each access region (all-or-nothing); entries start ``Creating``."""
    def create() -> dict[str, Any]:
        cen = backend.cen(call.require("CenId"))
        host = _host(call)
        host_region, host_vpc = call.require("HostRegionId"), call.require("HostVpcId")
        access_regions = call.get_list("AccessRegionIds")
        if not access_regions:
            raise missing_parameter("AccessRegionIds")
        description = _text(call, "Description", "InvalidParameter", 256)
        if host_vpc not in cen.attached_vpcs.get(host_region, []):
            raise CloudError("CloudRoute.VpcNotAttached", "The Specified Vpc instance is not attached to CEN.", 400)
        for service in cen.route_services:
            if service.host == host and service.host_region_id == host_region \
                    and service.access_region_id in access_regions:
                raise CloudError("CloudRoute.Exist", "The Specified Cloud Route already Exists", 400)
        if len(cen.route_services) + len(access_regions) > cen.quota:
            raise CloudError("QuotaExceeded.CloudRoute", "The number of cloud service routes exceeds the quota.", 400)
        now = backend.now()
        for region in dict.fromkeys(access_regions):
            cen.route_services.append(RouteService(host, host_region, host_vpc, region, description, created_at=now))
        return {}

    return backend.tokens.run(call, create)


@SERVICE.action("DescribeRouteServicesInCen")
def describe_route_services_in_cen(call: Call, backend: CbnBackend) -> dict[str, Any]:
    """Cloud-service routes of a CEN, filtered, paged by ``PageNumber``/``PageSize`` (1-50, default 10)."""
    cen = backend.cen(call.require("CenId"))
    page_number = call.get_int("PageNumber", 1, minimum=1)
    page_size = call.get_int("PageSize", 10, minimum=1, maximum=50)
    rows = list(cen.route_services)
    for param, attr in (("AccessRegionId", "access_region_id"), ("HostRegionId", "host_region_id"),
                        ("HostVpcId", "host_vpc_id")):
        if call.get(param):
            rows = [s for s in rows if getattr(s, attr) == call.get(param)]
    if call.get("Host"):
        wanted = _cidr(call.require("Host"), "ParameterIllegal.CloudRouteHost", "Parameter Host is not valid.")
        rows = [s for s in rows if s.host == wanted]
    page = page_by_number(rows, page_number, page_size)
    return {"RouteServiceEntries": {"RouteServiceEntry": [{
        "CenId": cen.id, "Host": s.host, "HostRegionId": s.host_region_id, "HostVpcId": s.host_vpc_id,
        "AccessRegionId": s.access_region_id, "Description": s.description, "Status": backend.status_of(s),
        "Cidrs": {"Cidr": [s.host]}} for s in page]},
        "PageNumber": page_number, "PageSize": page_size, "TotalCount": len(rows)}


@SERVICE.action("DeleteRouteServiceInCen")
def delete_route_service_in_cen(call: Call, backend: CbnBackend) -> dict[str, Any]:
    """Start deleting one (host, access region) route; a missing one is a silent success (documented)."""
    cen = backend.cen(call.require("CenId"))
    host = _cidr(call.require("Host"), "ParameterIllegal.CloudRouteHost", "Parameter Host is not valid.")
    host_region, access_region = call.require("HostRegionId"), call.require("AccessRegionId")
    host_vpc = call.get("HostVpcId")
    for service in cen.route_services:
        if service.host == host and service.host_region_id == host_region and \
                service.access_region_id == access_region and host_vpc in (None, service.host_vpc_id):
            if backend.status_of(service) != "Active":
                raise CloudError("InvalidOperation.CloudRouteStatusNotAllow",
                                 "Operation is prohibited because status of cloud route is invalid.", 403)
            service.deleted_at = backend.now()
    return {}


# -- transit router static routes -------------------------------------------------------------------

def _tr_body(backend: CbnBackend, entry: TrRouteEntry) -> dict[str, Any]:
    return {"TransitRouterRouteEntryId": entry.id, "TransitRouterRouteEntryDestinationCidrBlock": entry.destination,
            "TransitRouterRouteEntryType": entry.type, "TransitRouterRouteEntryStatus": backend.status_of(entry),
            "TransitRouterRouteEntryName": entry.name, "TransitRouterRouteEntryDescription": entry.description,
            "TransitRouterRouteEntryNextHopType": entry.next_hop_type,
            "TransitRouterRouteEntryNextHopId": entry.next_hop_id,
            "CreateTime": datetime.fromtimestamp(max(entry.created_at, 0), tz=timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
            "OperationalMode": entry.type == "Static"}


@SERVICE.action("CreateTransitRouterRouteEntry")
def create_transit_router_route_entry(call: Call, backend: CbnBackend) -> dict[str, Any]:
    """Add a static route (``Creating`` at first); see the module docstring for the codes."""
    def create() -> dict[str, Any]:
        table = backend.tr_table(call.require("TransitRouterRouteTableId"))
        destination = _cidr(call.require("TransitRouterRouteEntryDestinationCidrBlock"),
                            "IllegalParam.TransitRouterDestinationCidrBlock",
                            "TransitRouterDestinationCidrBlock is illegal.")
        hop_type = call.require("TransitRouterRouteEntryNextHopType")
        if hop_type not in ("Attachment", "BlackHole"):
            raise CloudError("IllegalParam.NextHopType", "The NextHopType is illegal.", 400)
        hop_id = call.get("TransitRouterRouteEntryNextHopId") or ""
        if hop_type == "Attachment" and not hop_id:
            raise CloudError("MissingParam.TransitRouterRouteEntryNextHopId",
                             "The parameter TransitRouterRouteEntryNextHopId is mandatory", 400)
        if hop_type == "BlackHole" and hop_id:
            raise CloudError("ParamExclusive.NextHopTypeBlackHoleAndNextHopId",
                             "TransitRouterRouteEntryNextHopType(BlackHole) and TransitRouterRouteEntryNextHopId "
                             "is mutually exclusive.", 400)
        if hop_id and table.attachments is not None and hop_id not in table.attachments:
            raise CloudError("InvalidTransitRouterRouteEntryNextHopId.NotFound",
                             "TransitRouterRouteEntryNextHopId is not found", 400)
        name = _text(call, "TransitRouterRouteEntryName", "InvalidName", 128)
        description = _text(call, "TransitRouterRouteEntryDescription", "InvalidDescription", 256)
        for entry in table.entries:
            if entry.destination == destination:
                if (entry.next_hop_type, entry.next_hop_id) == (hop_type, hop_id):
                    raise CloudError("InstanceExist.TransitRouterRouteEntry",
                                     "The instance TransitRouterRouteEntry already exists.", 400)
                raise CloudError("OperationFailed.CreateRouteEntryWithSameDestinationCidrBlock",
                                 "Operation failed because Create RouteEntry with same destination cidrblock does "
                                 "not support.", 400)
        if sum(1 for e in table.entries if e.type == "Static") >= table.quota:
            raise CloudError("QuotaExceeded.TransitRouterRoutEntry", "TransitRouterRoutEntry quota exceeded.", 400)
        if call.get_bool("DryRun"):
            raise _dry_run()
        entry = TrRouteEntry(id=_new_id("rte"), destination=destination, next_hop_type=hop_type, next_hop_id=hop_id,
                             name=name, description=description, created_at=backend.now())
        table.entries.append(entry)
        return {"TransitRouterRouteEntryId": entry.id}

    return backend.tokens.run(call, create)


@SERVICE.action("ListTransitRouterRouteEntries")
def list_transit_router_route_entries(call: Call, backend: CbnBackend) -> dict[str, Any]:
    """Routes of a table; only ``Active`` ones unless ``TransitRouterRouteEntryStatus`` says otherwise (``All``)."""
    table = backend.tr_table(call.require("TransitRouterRouteTableId"))
    max_results = call.get_int("MaxResults", 20, minimum=1, maximum=100)
    status = call.get("TransitRouterRouteEntryStatus", "Active")
    rows = [e for e in table.entries if status == "All" or backend.status_of(e) == status]
    if call.get("TransitRouterRouteEntryType"):
        rows = [e for e in rows if e.type == call.get("TransitRouterRouteEntryType")]
    if call.get("TransitRouterRouteEntryDestinationCidrBlock"):
        wanted = _cidr(call.require("TransitRouterRouteEntryDestinationCidrBlock"),
                       "IllegalParam.TransitRouterDestinationCidrBlock",
                       "TransitRouterDestinationCidrBlock is illegal.")
        rows = [e for e in rows if e.destination == wanted]
    ids, names = call.get_list("TransitRouterRouteEntryIds"), call.get_list("TransitRouterRouteEntryNames")
    if ids:
        rows = [e for e in rows if e.id in ids]
    if names:
        rows = [e for e in rows if e.name in names]
    for param, attr in (("TransitRouterRouteEntryNextHopId", "next_hop_id"),
                        ("TransitRouterRouteEntryNextHopType", "next_hop_type")):
        if call.get(param):
            rows = [e for e in rows if getattr(e, attr) == call.get(param)]
    page, token = page_by_token(rows, call.get("NextToken"), max_results)
    return {"TransitRouterRouteEntries": [_tr_body(backend, e) for e in page], "NextToken": token or "",
            "MaxResults": max_results, "TotalCount": len(rows)}


@SERVICE.action("DeleteTransitRouterRouteEntry")
def delete_transit_router_route_entry(call: Call, backend: CbnBackend) -> dict[str, Any]:
    """Start deleting a static route, by ``TransitRouterRouteEntryId`` or by table + destination."""
    entry_id = call.get("TransitRouterRouteEntryId")
    if entry_id and (call.get("TransitRouterRouteTableId") or call.get("TransitRouterRouteEntryDestinationCidrBlock")):
        raise CloudError("ParamExclusive.RouteEntryIdAndRouteTableIdOrDestCidrBlock",
                         "RouteEntryId and TransitRouterRouteTableIdOrDestCidrBlock is mutually exclusive.", 400)
    entry: TrRouteEntry | None = None
    if entry_id:
        for table_id in list(backend.tr_tables):
            entry = next((e for e in backend.tr_table(table_id).entries if e.id == entry_id), None)
            if entry is not None:
                break
        if entry is None:
            raise CloudError("IllegalParam.TransitRouterRouteEntryId", "TransitRouterRouteEntryId is not found.", 400)
    else:
        table = backend.tr_table(call.require("TransitRouterRouteTableId"))
        destination = _cidr(call.require("TransitRouterRouteEntryDestinationCidrBlock"),
                            "IllegalParam.TransitRouterDestinationCidrBlock",
                            "TransitRouterDestinationCidrBlock is illegal.")
        hop_id = call.get("TransitRouterRouteEntryNextHopId")
        entry = next((e for e in table.entries if e.destination == destination
                      and hop_id in (None, e.next_hop_id)), None)
        if entry is None:
            raise CloudError("InvalidDestinationCidrBlock.NotFound", "DestinationCidrBlock is not found.", 400)
    if entry.type != "Static":
        raise CloudError("OperationFailed.DeleteTransitRouterRouteEntry",
                         "Operation failed because this route entry is created automatically.", 400)
    if backend.status_of(entry) != "Active":
        raise CloudError("IncorrectStatus.Status", "The status of the route entry does not allow this operation.",
                         400)
    if call.get_bool("DryRun"):
        raise _dry_run()
    entry.deleted_at = backend.now()
    return {}
