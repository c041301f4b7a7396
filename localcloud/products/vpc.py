"""VPC (vpc 2016-04-28): route tables of VPCs and VBRs, their entries, and IPsec-VPN connections.

Shapes follow the SDK models (``alibabacloud_vpc20160428.models``); behaviour and error codes follow
the API reference pages of CreateRouteEntry (https://www.alibabacloud.com/help/en/vpc/api-createrouteentry,
its error table revised up to 2025-12-12; https://help.aliyun.com/document_detail/36012.html),
DeleteRouteEntry and DescribeRouteEntryList, and the Terraform provider
(aliyun/terraform-provider-alicloud ``alicloud/resource_alicloud_route_entry.go`` and its test):

- writes are asynchronous: a new custom entry is ``Pending`` and turns ``Available`` after the
  world's ``route_entry_delay_s`` on the cloud clock (default 2 s); a deleted one is ``Deleting``
  for as long, then gone. Status is computed lazily from those times.
- no concurrent custom-route writes in one table: while any entry of the table is ``Pending`` or
  ``Deleting`` a write answers ``IncorrectRouteEntryStatus`` (documented: "the route table contains
  routes in the Pending or Modifying state"; Terraform retries it, like ``TaskConflict``).
- destinations are unique per table; a bare IP is a /32. The same destination with the same next
  hop answers ``Duplicated.VpcNextHop`` on a VBR table and ``InvalidCIDRBlock.Duplicate`` on a VPC
  table (the provider's acceptance test ``TestAccAliCloudRouteEntry_stateGapRecoveryVbr`` observed
  exactly these two in the field; both codes are in the documented error table); another next hop
  answers ``InvalidCIDRBlock.Duplicate`` on both.
- the cloud-service range 100.64.0.0/10: every published revision forbids a destination *equal* to
  it; whether a more specific one is allowed differs between revisions. The English page (through
  2025-12-12), the SDK docstring of ``CreateRouteEntryRequest.destination_cidr_block`` (7.2.2), the
  zh page https://help.aliyun.com/document_detail/387398.html and the zh-TW page say "cannot be
  100.64.0.0/10 or a subset of it" for VPC *and* VBR tables; the zh revision at
  https://help.aliyun.com/document_detail/387398.htm allows more specific prefixes on both. The
  error table's ``InvalidCidrBlock`` ("Specified CIDR block is not valid.", 400) names as causes
  "100.64.0.0/10 is a cloud service address" and "more specific segments such as 100.64.0.0/11 and
  100.96.0.0/11 cannot be used in the IDC under the cloud". A table's ``service_range`` says which
  answer it gives: ``refuse`` (default: equal or inside is ``InvalidCidrBlock``), ``more_specific``
  (only equal is refused) or ``accept`` (nothing is refused; what the VBR user guide's "add routes to
  the OSS ranges" implies, emulator's choice as a third answer).
- at most ``quota`` custom entries per table (``QuotaExceeded``, documented). The current
  CreateRouteEntry pages say 200 for VPC and for VBR tables; older pages say 48 for a VBR table (the
  VBR route guide https://www.alibabacloud.com/help/doc-detail/91265.htm, the Express Connect limits
  page doc-detail/44849, the zh-TW API page). Defaults: the world's ``vpc_route_quota`` and
  ``vbr_route_quota`` (200 each), overridden by a table's ``quota``.
- a VBR table takes only its router interface as next hop and no ``NextHopList``
  (``InvalidRouterType``, documented: "Cannot specify nexthop list in vbr's route table.").
- ``ClientToken`` makes a create idempotent. ``DryRun=true`` runs every check above and then answers
  ``DryRunOperation`` instead of acting, on CreateRouteEntry and DeleteRouteEntry (documented by
  the pages and the SDK docstrings; its HTTP status is not in the VPC error table: 400 with
  "Request validation has been passed with DryRun flag set." as the CEN pages document for the same
  code). A failing check answers its own error; nothing changes either way.
- ``ModifyVpnConnectionAttribute`` replaces ``LocalSubnet``/``RemoteSubnet`` whole; the gateway is then
  configuring for the world's ``vpn_configuring_s`` (default 5 s) and answers ``VpnGateway.Configuring``.
  Its SDK request has no ``DryRun``.

Codes the emulator chose without a documented source: ``InvalidNextHopType`` (documented code) for a
non-router-interface hop on a VBR table, ``InvalidLocalSubnet.Malformed`` / ``InvalidRemoteSubnet.Malformed``,
and ``InvalidVpnConnectionInstanceId.NotFound``'s status 400.

World seed (``accounts.<id>.regions.<region>.vpc``)::

    route_entry_delay_s: 2
    vpn_configuring_s: 5
    vbr_route_quota: 200
    vpc_route_quota: 200
    route_tables:
      - {id: vtb-vbr1, type: VBR, vbr_id: vbr-1, quota: 200, service_range: refuse, entries: [
          {destination: 10.0.0.0/8, type: Custom, next_hop_type: RouterInterface, next_hop_id: ri-1,
           name: idc, description: "", status: Available}]}
    vpn_connections:
      - {id: vco-1, vpn_gateway_id: vpn-1, local_subnet: "10.0.0.0/8", remote_subnet: "172.16.0.0/12"}
"""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from localcloud.errors import CloudError, missing_parameter
from localcloud.service import Call, ClientTokens, Service, page_by_token

SERVICE_RANGE = ipaddress.ip_network("100.64.0.0/10")
TABLE_TYPES = ("VRouter", "VBR")
#: how a table answers a destination equal to or inside 100.64.0.0/10 (see the module docstring)
SERVICE_RANGE_ANSWERS = ("refuse", "more_specific", "accept")
#: custom entries per table in the current CreateRouteEntry pages (older VBR pages: 48)
DOCUMENTED_QUOTA = 200
BUSY = ("Pending", "Deleting")
_ids = itertools.count(1)


def _new_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids):020x}"


def _dry_run() -> CloudError:
    """The answer to a request whose checks passed with ``DryRun=true`` (code documented; status as CEN documents)."""
    return CloudError("DryRunOperation", "Request validation has been passed with DryRun flag set.", 400)


def _network(value: str, code: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise CloudError(code, f"Specified CIDR block is not valid: {value!r}.", 400) from None


def _minute(epoch: float) -> str:
    return datetime.fromtimestamp(max(epoch, 0), tz=timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


@dataclass
class NextHop:
    """One next hop of a route entry."""

    type: str
    id: str
    weight: int | None = None


@dataclass
class RouteEntry:
    """A route entry; its status follows from when it was created or deleted."""

    id: str
    table_id: str
    destination: str
    type: str
    next_hops: list[NextHop]
    name: str = ""
    description: str = ""
    created_at: float = 0.0
    deleted_at: float | None = None

    def status(self, now: float, delay: float) -> str | None:
        """``Pending``, ``Available``, ``Deleting``, or None once the deletion has finished."""
        if self.deleted_at is not None:
            return "Deleting" if now < self.deleted_at + delay else None
        return "Pending" if now < self.created_at + delay else "Available"

    def hop_keys(self) -> set[tuple[str, str]]:
        """The next hops as (type, id) pairs, to compare two entries' targets."""
        return {(h.type, h.id) for h in self.next_hops}


@dataclass
class RouteTable:
    """A VPC (``VRouter``) or VBR route table."""

    id: str
    type: str
    owner_id: str
    quota: int = DOCUMENTED_QUOTA
    service_range: str = "refuse"
    entries: dict[str, RouteEntry] = field(default_factory=dict)

    def refuses(self, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
        """Whether this table refuses ``network`` as a destination because of the cloud-service range."""
        if network.version != 4 or not network.subnet_of(SERVICE_RANGE) or self.service_range == "accept":
            return False
        return self.service_range == "refuse" or network == SERVICE_RANGE


@dataclass
class VpnConnection:
    """An IPsec-VPN connection; the subnets are kept in the order they were given."""

    id: str
    gateway_id: str
    name: str = ""
    local_subnet: list[str] = field(default_factory=list)
    remote_subnet: list[str] = field(default_factory=list)
    customer_gateway_id: str = ""
    create_time: int = 1735689600000
    effect_immediately: bool = False


def _subnets(value: Any, code: str) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    out: list[str] = []
    for item in items:
        if str(item).strip():
            text = str(_network(str(item), code))
            if text not in out:
                out.append(text)
    return out


def _positive(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where}: expected a positive integer, got {value!r}")
    return value


class VpcBackend:
    """VPC state of one account in one region."""

    SEED_KEYS = frozenset({"route_entry_delay_s", "vpn_configuring_s", "vbr_route_quota", "vpc_route_quota",
                           "route_tables", "vpn_connections"})

    def __init__(self, cloud: Any, account_id: str, region: str) -> None:
        self.cloud = cloud
        self.account_id = account_id
        self.region = region
        self.delay = 2.0
        self.vpn_configuring = 5.0
        self.default_quota = {"VBR": DOCUMENTED_QUOTA, "VRouter": DOCUMENTED_QUOTA}
        self.tables: dict[str, RouteTable] = {}
        self.vpn_connections: dict[str, VpnConnection] = {}
        self.gateway_busy_until: dict[str, float] = {}
        self.tokens = ClientTokens()

    # -- seeding ----------------------------------------------------------------------------------
    def seed(self, data: dict[str, Any]) -> None:
        """Load route tables, VPN connections and the async timings from a world file."""
        unknown = set(data) - self.SEED_KEYS
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; allowed: {sorted(self.SEED_KEYS)}")
        self.delay = float(data.get("route_entry_delay_s", self.delay))
        self.vpn_configuring = float(data.get("vpn_configuring_s", self.vpn_configuring))
        for key, table_type in (("vbr_route_quota", "VBR"), ("vpc_route_quota", "VRouter")):
            if key in data:
                self.default_quota[table_type] = _positive(data[key], key)
        for index, spec in enumerate(data.get("route_tables") or []):
            self._seed_table(f"route_tables[{index}]", spec)
        for index, spec in enumerate(data.get("vpn_connections") or []):
            where = f"vpn_connections[{index}]"
            if "id" not in spec or "vpn_gateway_id" not in spec:
                raise ValueError(f"{where}: needs 'id' and 'vpn_gateway_id'")
            try:
                conn = VpnConnection(id=spec["id"], gateway_id=spec["vpn_gateway_id"], name=spec.get("name", ""),
                                     local_subnet=_subnets(spec.get("local_subnet"), "InvalidLocalSubnet.Malformed"),
                                     remote_subnet=_subnets(spec.get("remote_subnet"), "InvalidRemoteSubnet.Malformed"),
                                     customer_gateway_id=spec.get("customer_gateway_id", ""))
            except CloudError as exc:
                raise ValueError(f"{where}: {exc.message}") from None
            self.vpn_connections[conn.id] = conn

    def _seed_table(self, where: str, spec: dict[str, Any]) -> None:
        if "id" not in spec:
            raise ValueError(f"{where}: needs 'id'")
        table_type = spec.get("type", "VRouter")
        if table_type not in TABLE_TYPES:
            raise ValueError(f"{where}.type: expected one of {TABLE_TYPES}, got {table_type!r}")
        service_range = spec.get("service_range", "refuse")
        if service_range not in SERVICE_RANGE_ANSWERS:
            raise ValueError(f"{where}.service_range: expected one of {SERVICE_RANGE_ANSWERS}, got {service_range!r}")
        quota = _positive(spec["quota"], f"{where}.quota") if "quota" in spec else self.default_quota[table_type]
        table = RouteTable(id=spec["id"], type=table_type, owner_id=spec.get("vbr_id") or spec.get("vpc_id") or "",
                           quota=quota, service_range=service_range)
        now = self.cloud.clock.now()
        for index, item in enumerate(spec.get("entries") or []):
            destination = item.get("destination") or item.get("destination_cidr_block")
            if not destination:
                raise ValueError(f"{where}.entries[{index}]: needs 'destination'")
            try:
                network = _network(str(destination), "InvalidCidrBlock.Malformed")
            except CloudError:
                raise ValueError(f"{where}.entries[{index}].destination: not a CIDR block: {destination!r}") from None
            status = item.get("status", "Available")
            if status not in ("Available", "Pending"):
                raise ValueError(f"{where}.entries[{index}].status: expected Available or Pending")
            entry = RouteEntry(id=item.get("id") or _new_id("rte"), table_id=table.id, destination=str(network),
                               type=item.get("type", "Custom"),
                               next_hops=[NextHop(item.get("next_hop_type", "Instance"), item.get("next_hop_id", ""))],
                               name=item.get("name", ""), description=item.get("description", ""),
                               created_at=now if status == "Pending" else 0.0)
            table.entries[entry.id] = entry
        self.tables[table.id] = table

    # -- state --------------------------------------------------------------------------------------
    def now(self) -> float:
        """The cloud clock (async states are computed from it)."""
        return self.cloud.clock.now()

    def table(self, table_id: str) -> RouteTable:
        """The route table, after dropping entries whose deletion has finished."""
        table = self.tables.get(table_id)
        if table is None:
            raise CloudError("InvalidRouteTableId.NotFound", "Specified route table does not exist.", 404)
        now = self.now()
        for entry_id in [e.id for e in table.entries.values() if e.status(now, self.delay) is None]:
            del table.entries[entry_id]
        return table

    def live(self, table: RouteTable) -> list[tuple[RouteEntry, str]]:
        """The table's entries with their current status."""
        now = self.now()
        return [(e, s) for e in table.entries.values() if (s := e.status(now, self.delay)) is not None]

    def check_not_busy(self, table: RouteTable) -> None:
        """Refuse a write while any entry of the table is still changing."""
        if any(status in BUSY for _, status in self.live(table)):
            raise CloudError("IncorrectRouteEntryStatus", "Some route entry status blocked this operation.", 400)

    def vpn(self, connection_id: str) -> VpnConnection:
        """The IPsec connection, or ``InvalidVpnConnectionInstanceId.NotFound``."""
        conn = self.vpn_connections.get(connection_id)
        if conn is None:
            raise CloudError("InvalidVpnConnectionInstanceId.NotFound",
                             f"The specified VPN connection {connection_id} does not exist.", 400)
        return conn


SERVICE = Service("vpc", "2016-04-28", VpcBackend, regional=True)


# -- route entries ------------------------------------------------------------------------------------

def _entry_body(backend: VpcBackend, entry: RouteEntry, status: str) -> dict[str, Any]:
    moment = entry.deleted_at if entry.deleted_at is not None else entry.created_at
    network = ipaddress.ip_network(entry.destination)
    return {
        "RouteEntryId": entry.id, "RouteTableId": entry.table_id, "DestinationCidrBlock": entry.destination,
        "Type": entry.type, "Status": status, "RouteEntryName": entry.name, "Description": entry.description,
        "IpVersion": f"ipv{network.version}", "GmtModified": _minute(moment),
        "NextHops": {"NextHop": [{"NextHopType": h.type, "NextHopId": h.id, "Enabled": 1,
                                  **({"Weight": h.weight} if h.weight is not None else {}),
                                  "NextHopRegionId": backend.region} for h in entry.next_hops]},
    }


@SERVICE.action("DescribeRouteEntryList")
def describe_route_entry_list(call: Call, backend: VpcBackend) -> dict[str, Any]:
    """Entries of one table with the documented filters, ``MaxResult`` 1-100 (default 10) and ``NextToken``."""
    table = backend.table(call.require("RouteTableId"))
    max_result = call.get_int("MaxResult", 10, minimum=1, maximum=100)
    rows = backend.live(table)
    if call.get("RouteEntryId"):
        rows = [(e, s) for e, s in rows if e.id == call.get("RouteEntryId")]
    if call.get("RouteEntryName"):
        rows = [(e, s) for e, s in rows if e.name == call.get("RouteEntryName")]
    if call.get("RouteEntryType"):
        rows = [(e, s) for e, s in rows if e.type == call.get("RouteEntryType")]
    destinations = call.get_list("DestCidrBlockList")
    if call.get("DestinationCidrBlock"):
        destinations.append(call.require("DestinationCidrBlock"))
    if destinations:
        wanted = {str(_network(d, "InvalidCidrBlock.Malformed")) for d in destinations}
        rows = [(e, s) for e, s in rows if e.destination in wanted]
    if call.get("NextHopId"):
        rows = [(e, s) for e, s in rows if any(h.id == call.get("NextHopId") for h in e.next_hops)]
    if call.get("NextHopType"):
        rows = [(e, s) for e, s in rows if any(h.type == call.get("NextHopType") for h in e.next_hops)]
    if call.get("IpVersion"):
        version = call.require("IpVersion").lower()
        rows = [(e, s) for e, s in rows if f"ipv{ipaddress.ip_network(e.destination).version}" == version]
    page, token = page_by_token(rows, call.get("NextToken"), max_result)
    return {"RouteEntrys": {"RouteEntry": [_entry_body(backend, e, s) for e, s in page]},
            "NextToken": token or "", "TotalCount": len(rows)}


def _checked_text(call: Call, name: str, code: str, minimum: int, maximum: int) -> str:
    value = call.get(name)
    if value is None:
        return ""
    if not minimum <= len(value) <= maximum or value.lower().startswith(("http://", "https://")):
        raise CloudError(code, f"Specified {name} is not valid: {minimum} to {maximum} characters, "
                         "not starting with http:// or https://.", 400)
    return value


def _requested_hops(call: Call, table: RouteTable) -> list[NextHop]:
    listed = call.get_objects("NextHopList")
    if listed and table.type == "VBR":
        raise CloudError("InvalidRouterType", "Cannot specify nexthop list in vbr's route table.", 400)
    if listed:
        hops = [NextHop(h.get("NextHopType", "RouterInterface"), h.get("NextHopId", ""),
                        int(h["Weight"]) if h.get("Weight") else None) for h in listed]
    else:
        hops = [NextHop(call.get("NextHopType", "Instance") or "Instance", call.get("NextHopId") or "")]
    for hop in hops:
        if not hop.id:
            raise missing_parameter("NextHopId")
        if table.type == "VBR" and hop.type != "RouterInterface":
            raise CloudError("InvalidNextHopType", 'Specified parameter "NextHopType" is not valid: a VBR route '
                             "table routes to its router interface.", 400)
    return hops


@SERVICE.action("CreateRouteEntry")
def create_route_entry(call: Call, backend: VpcBackend) -> dict[str, Any]:
    """Add a custom entry (``Pending`` at first); see the module docstring for the checks and their codes."""
    def create() -> dict[str, Any]:
        table = backend.table(call.require("RouteTableId"))
        network = _network(call.require("DestinationCidrBlock"), "InvalidCidrBlock.Malformed")
        name = _checked_text(call, "RouteEntryName", "InvalidRouteEntryName.Malformed", 1, 128)
        description = _checked_text(call, "Description", "InvalidDescription.Malformed", 1, 256)
        hops = _requested_hops(call, table)
        if table.refuses(network):
            raise CloudError("InvalidCidrBlock", "Specified CIDR block is not valid.", 400)
        live = backend.live(table)
        for entry, _ in live:
            if entry.destination == str(network):
                if table.type == "VBR" and entry.hop_keys() == {(h.type, h.id) for h in hops}:
                    raise CloudError("Duplicated.VpcNextHop", "Route entry nexthop duplicate.", 400)
                raise CloudError("InvalidCIDRBlock.Duplicate", "Specified CIDR block is already exists.", 400)
        backend.check_not_busy(table)
        if sum(1 for entry, _ in live if entry.type == "Custom") >= table.quota:
            raise CloudError("QuotaExceeded", "Route entry quota exceeded in this route table.", 400)
        if call.get_bool("DryRun"):
            raise _dry_run()
        entry = RouteEntry(id=_new_id("rte"), table_id=table.id, destination=str(network), type="Custom",
                           next_hops=hops, name=name, description=description, created_at=backend.now())
        table.entries[entry.id] = entry
        return {"RouteEntryId": entry.id}

    return backend.tokens.run(call, create)


@SERVICE.action("DeleteRouteEntry")
def delete_route_entry(call: Call, backend: VpcBackend) -> dict[str, Any]:
    """Start deleting a custom entry, by ``RouteEntryId`` or by table + destination (+ ``NextHopId``).

    A missing entry answers ``InvalidRouteEntryId.NotFound`` (by id) or ``InvalidRouteEntry.NotFound``
    (by destination), both documented; a system entry ``OperationDenied``.
    """
    entry_id = call.get("RouteEntryId")
    if entry_id and call.get("DestinationCidrBlock"):
        raise CloudError("ParamExclusive.RouteEntryIdAndRouteTableIdOrDestCidrBlock",
                         "RouteEntryId and DestinationCidrBlock are mutually exclusive.", 400)
    entry: RouteEntry | None = None
    if entry_id:
        tables = [backend.table(call.require("RouteTableId"))] if call.get("RouteTableId") else \
            [backend.table(t) for t in list(backend.tables)]
        for table in tables:
            entry = next((e for e, _ in backend.live(table) if e.id == entry_id), None)
            if entry is not None:
                break
        if entry is None:
            raise CloudError("InvalidRouteEntryId.NotFound", "Specified RouteEntryId does not exist.", 400)
    else:
        table = backend.table(call.require("RouteTableId"))
        destination = str(_network(call.require("DestinationCidrBlock"), "InvalidCidrBlock.Malformed"))
        hop_id = call.get("NextHopId")
        entry = next((e for e, _ in backend.live(table) if e.destination == destination
                      and (hop_id is None or any(h.id == hop_id for h in e.next_hops))), None)
        if entry is None:
            raise CloudError("InvalidRouteEntry.NotFound", "Route entry not exists.", 400)
    if entry.type != "Custom":
        raise CloudError("OperationDenied", "Specified operation is denied as route entry type is system.", 400)
    backend.check_not_busy(backend.tables[entry.table_id])
    if call.get_bool("DryRun"):
        raise _dry_run()
    entry.deleted_at = backend.now()
    return {}


# -- IPsec-VPN connections ------------------------------------------------------------------------------

def _vpn_body(conn: VpnConnection) -> dict[str, Any]:
    return {"VpnConnectionId": conn.id, "VpnGatewayId": conn.gateway_id, "CustomerGatewayId": conn.customer_gateway_id,
            "Name": conn.name, "LocalSubnet": ",".join(conn.local_subnet),
            "RemoteSubnet": ",".join(conn.remote_subnet), "CreateTime": conn.create_time,
            "EffectImmediately": conn.effect_immediately}


@SERVICE.action("DescribeVpnConnection")
def describe_vpn_connection(call: Call, backend: VpcBackend) -> dict[str, Any]:
    """One IPsec-VPN connection with its comma-separated ``LocalSubnet`` and ``RemoteSubnet``."""
    conn = backend.vpn(call.require("VpnConnectionId"))
    return {**_vpn_body(conn), "Status": "ipsec_sa_established", "NetworkType": "public"}


@SERVICE.action("ModifyVpnConnectionAttribute")
def modify_vpn_connection_attribute(call: Call, backend: VpcBackend) -> dict[str, Any]:
    """Replace ``LocalSubnet``/``RemoteSubnet`` (and ``Name``); the gateway is configuring afterwards."""
    def modify() -> dict[str, Any]:
        conn = backend.vpn(call.require("VpnConnectionId"))
        if backend.now() < backend.gateway_busy_until.get(conn.gateway_id, 0.0):
            raise CloudError("VpnGateway.Configuring", "The specified service is configuring.", 400)
        local = _subnets(call.get("LocalSubnet"), "InvalidLocalSubnet.Malformed") if call.get("LocalSubnet") \
            else conn.local_subnet
        remote = _subnets(call.get("RemoteSubnet"), "InvalidRemoteSubnet.Malformed") if call.get("RemoteSubnet") \
            else conn.remote_subnet
        name = call.get("Name", conn.name) or ""
        changed = (local, remote, name) != (conn.local_subnet, conn.remote_subnet, conn.name)
        conn.local_subnet, conn.remote_subnet, conn.name = local, remote, name
        if call.get_bool("EffectImmediately") is not None:
            conn.effect_immediately = bool(call.get_bool("EffectImmediately"))
        if changed:
            backend.gateway_busy_until[conn.gateway_id] = backend.now() + backend.vpn_configuring
        return _vpn_body(conn)

    return backend.tokens.run(call, modify)
