"""The admin API under ``/_localcloud/`` on the OpenAPI port (no signature): change the local cloud at run time.

For the demo, the tests and people exploring (``docs/try-it.md``). Bodies and answers are JSON;
``GET /_localcloud/`` lists every call. The calls change the state directly, as the tests do
in-process: they are no API call, so they appear neither in the request log nor as ActionTrail
events (a change that should produce an event is made through the API, with a key of the world).
Objects are found in any account and region that holds them; ``?account=ID&region=R`` narrows
the search, and names where ``POST /_localcloud/seed`` puts new objects (default: the first
account with a root AccessKey, in its default region).

The cloud itself::

    GET    /_localcloud/                      this list
    GET    /_localcloud/requests[?product=&action=&since=]    the request log
    GET    /_localcloud/faults                fault rules with their counters
    POST   /_localcloud/faults                add a rule (a ``FaultRule`` as JSON); DELETE clears them
    POST   /_localcloud/advance               {"seconds": N}: move the clock forward
    POST   /_localcloud/reset                 reload the world the cloud started with, clear the log
    GET    /_localcloud/credentials-uri       an STS triple in the ``ALIBABA_CLOUD_CREDENTIALS_URI``
                                              format: a session of the role ``acrguard-local`` of the
                                              first account (its policies when the world defines it,
                                              none otherwise: then only ``GetCallerIdentity`` succeeds)
    GET    /_localcloud/events[?name=]        ActionTrail events of the API writes so far (kept)

DNS (``localcloud.core.dns_zone``; a name is answered by the DNS server at once)::

    GET    /_localcloud/dns                   records, failing names and the outage
    PUT    /_localcloud/dns/records/NAME      {"A": ["192.0.2.1"]} or {"CNAME": "other.name"};
                                              optional "rotate": true (one address per answer), "ttl"
    DELETE /_localcloud/dns/records/NAME      the name answers NXDOMAIN
    PUT    /_localcloud/dns/failures/NAME     {"mode": "servfail"}  (servfail, timeout, nxdomain, empty,
                                              wrong-name); DELETE restores the name
    PUT    /_localcloud/dns/outage            {"mode": "timeout"}: every name fails; DELETE ends it

The world (the ACR instance's VPC endpoint and whitelist, route tables, whole objects)::

    POST   /_localcloud/cr/instances/ID/linked-vpcs          {"vpc_id", "vswitch_id", "ip", optional
                                                             "status" (RUNNING), "default_access", "issue"}
    PUT    /_localcloud/cr/instances/ID/linked-vpcs/VPC_ID   change any of "ip", "vswitch_id", "status",
                                                             "default_access", "issue" (the ENI moves)
    DELETE /_localcloud/cr/instances/ID/linked-vpcs/VPC_ID   unbind the VPC
    POST   /_localcloud/cr/instances/ID/acl                  {"entry": "198.51.100.0/24", "comment": ""}
    DELETE /_localcloud/cr/instances/ID/acl                  empty the internet endpoint's whitelist
    POST   /_localcloud/cr/instances/ID/images               {"namespace", "name", "tag", "image_size"}:
                                                             a push; answers the cr:Artifact:PushCompleted event
    POST   /_localcloud/vpc/route-tables/ID/entries          {"destination", "next_hop_id", optional
                                                             "next_hop_type" (RouterInterface), "name",
                                                             "description"}: a Custom entry, Available at once
    DELETE /_localcloud/vpc/route-tables/ID/entries/ENTRY    by entry id or destination (10.0.0.0/8): it is
                                                             Deleting for the table's delay, then gone
    POST   /_localcloud/seed                  {"product": "cr" | "vpc" | "cbn", "data": {...}}: the
                                              product's world section (its module docstring); objects
                                              with the same id are replaced, others kept

Front ends::

    PUT    /_localcloud/registry/hosts/HOST   {"realm", "service"}: the ``/v2/`` challenge for HOST
    GET    /_localcloud/chat/robots           every chat robot with its token, secret and path
    POST   /_localcloud/chat/robots           {"kind", "token", optional "secret", "keywords", "answer"}

Errors answer ``{"error": "..."}`` naming the field or object: 400 (bad body), 404 (unknown call
or object), 409 (already there). Which calls exist is the emulator's choice.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from localcloud.chat import KINDS
from localcloud.core.dns_zone import FAILURE_MODES
from localcloud.core.faults import FaultRule

if TYPE_CHECKING:
    from localcloud.core.state import CloudState

PREFIX = "/_localcloud/"
#: products whose world section ``POST /_localcloud/seed`` accepts: their loaders add or replace by id
SEEDABLE = ("cr", "vpc", "cbn")
#: the path of each chat platform's robot, as ``localcloud.chat`` routes it (``{token}`` filled in)
CHAT_PATHS = {"dingtalk": "/dingtalk/robot/send?access_token={token}",
              "feishu": "/feishu/open-apis/bot/v2/hook/{token}", "wecom": "/wecom/cgi-bin/webhook/send?key={token}",
              "slack": "/slack/services/{token}", "webhook": "/webhook/{token}"}


class AdminError(Exception):
    """An admin request that cannot be carried out: answered with ``status`` and the message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Request:
    """One admin request: the path's named parts, the query arguments and the JSON body."""

    parts: dict[str, str]
    args: dict[str, str]
    body: Any

    def obj(self) -> dict[str, Any]:
        """The body as a JSON object (``AdminError`` 400 otherwise)."""
        if not isinstance(self.body, dict):
            raise AdminError(400, "the body must be a JSON object")
        return self.body

    def text(self, name: str, *, required: bool = True, default: str = "") -> str:
        """A string field of the body."""
        body = self.obj()
        if name not in body:
            if required:
                raise AdminError(400, f"body: {name!r} is required")
            return default
        if not isinstance(body[name], str):
            raise AdminError(400, f"body.{name}: expected a string, got {body[name]!r}")
        return body[name]

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean field of the body."""
        value = self.obj().get(name, default)
        if not isinstance(value, bool):
            raise AdminError(400, f"body.{name}: expected true or false, got {value!r}")
        return value


Handler = Callable[["CloudState", Request], tuple[int, Any]]
_ROUTES: list[tuple[str, re.Pattern[str], Handler, str]] = []


def _call(method: str, pattern: str, summary: str) -> Callable[[Handler], Handler]:
    """Register a handler for ``method`` on ``/_localcloud/<pattern>`` (a regex with named groups)."""

    def register(handler: Handler) -> Handler:
        _ROUTES.append((method, re.compile(pattern + r"/?"), handler, summary))
        return handler

    return register


def handle_admin(cloud: CloudState, method: str, path: str, query: str, body: bytes) -> tuple[int, Any]:
    """Answer one admin request with ``(status, JSON-ready payload)``."""
    rest = path[len(PREFIX):] if path.startswith(PREFIX) else ""
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return 400, {"error": "the body is not JSON"}
    known = False
    for verb, pattern, handler, _ in _ROUTES:
        match = pattern.fullmatch(rest)
        if match is None:
            continue
        known = True
        if verb != method:
            continue
        request = Request({k: unquote(v) for k, v in match.groupdict().items()}, dict(parse_qsl(query)), data)
        try:
            return handler(cloud, request)
        except AdminError as exc:
            return exc.status, {"error": str(exc)}
    allowed = sorted({verb for verb, pattern, _, _ in _ROUTES if pattern.fullmatch(rest)})
    if known:
        return 405, {"error": f"{method} is not allowed on {path}; use {', '.join(allowed)}"}
    return 404, {"error": f"unknown admin call {method} {path}; GET {PREFIX} lists them"}


# -- the cloud ---------------------------------------------------------------------------------------

@_call("GET", r"", "this list")
def _index(cloud: CloudState, request: Request) -> tuple[int, Any]:
    return 200, {"calls": [{"method": verb, "path": PREFIX + _readable(pattern.pattern), "summary": summary}
                           for verb, pattern, _, summary in _ROUTES]}


def _readable(pattern: str) -> str:
    """``cr/instances/(?P<instance>[^/]+)/acl/?`` -> ``cr/instances/INSTANCE/acl``."""
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: m.group(1).upper(), pattern)
    return text.removesuffix("/?")


@_call("GET", r"requests", "the request log (?product=&action=&since=)")
def _requests(cloud: CloudState, request: Request) -> tuple[int, Any]:
    since = request.args.get("since", "0")
    if not since.isdigit():
        raise AdminError(400, f"since: expected a request number, got {since!r}")
    items = cloud.requests.filter(product=request.args.get("product"), action=request.args.get("action"),
                                  since=int(since))
    return 200, {"requests": [item.to_dict() for item in items]}


@_call("GET", r"faults", "the fault rules with their counters")
def _faults(cloud: CloudState, request: Request) -> tuple[int, Any]:
    return 200, {"faults": [rule.to_dict() for rule in cloud.faults.rules()]}


@_call("POST", r"faults", "add a fault rule")
def _add_fault(cloud: CloudState, request: Request) -> tuple[int, Any]:
    try:
        rule = cloud.faults.add(FaultRule.from_dict(request.obj()))
    except (TypeError, ValueError) as exc:
        raise AdminError(400, str(exc)) from None
    return 200, {"fault": rule.to_dict()}


@_call("DELETE", r"faults", "clear the fault rules")
def _clear_faults(cloud: CloudState, request: Request) -> tuple[int, Any]:
    cloud.faults.clear()
    return 200, {"faults": []}


@_call("POST", r"advance", "move the clock forward {seconds}")
def _advance(cloud: CloudState, request: Request) -> tuple[int, Any]:
    seconds = request.obj().get("seconds", 0)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise AdminError(400, f"body.seconds: expected a number of seconds >= 0, got {seconds!r}")
    cloud.advance(float(seconds))
    return 200, {"now": cloud.clock.iso()}


@_call("POST", r"reset", "reload the world the cloud started with, clear the log")
def _reset(cloud: CloudState, request: Request) -> tuple[int, Any]:
    cloud.load_world(cloud.world)
    cloud.requests.clear()
    return 200, {"reset": True}


@_call("GET", r"credentials-uri", "an STS triple for ALIBABA_CLOUD_CREDENTIALS_URI")
def _credentials_uri(cloud: CloudState, request: Request) -> tuple[int, Any]:
    account_id = next(iter(cloud.accounts), "")
    token = cloud.issue_sts_token(account_id, f"acs:ram::{account_id}:role/acrguard-local", "credentials-uri", 3600)
    return 200, {"Code": "Success", "AccessKeyId": token.access_key_id, "AccessKeySecret": token.secret,
                 "SecurityToken": token.token, "Expiration": cloud.clock.iso(3600)}


@_call("GET", r"events", "ActionTrail events of the API writes so far (?name=)")
def _events(cloud: CloudState, request: Request) -> tuple[int, Any]:
    name = request.args.get("name")
    events = [e for e in list(cloud.trail.events) if name is None or e["data"]["eventName"] == name]
    return 200, {"events": events}


# -- DNS -----------------------------------------------------------------------------------------------

def _mode(request: Request) -> str:
    mode = request.text("mode")
    if mode not in FAILURE_MODES:
        raise AdminError(400, f"body.mode: expected one of {list(FAILURE_MODES)}, got {mode!r}")
    return mode


@_call("GET", r"dns", "DNS records, failing names and the outage")
def _dns(cloud: CloudState, request: Request) -> tuple[int, Any]:
    zone = cloud.dns
    records = {name.rstrip("."): ({"CNAME": entry.cname.rstrip(".")} if entry.cname else {"A": list(entry.addresses)})
               | ({"rotate": True} if entry.rotate else {}) | {"ttl": entry.ttl}
               for name, entry in sorted(zone.entries.items())}
    return 200, {"records": records, "failures": {n.rstrip("."): m for n, m in sorted(zone.failures.items())},
                 "outage": zone.outage}


@_call("PUT", r"dns/records/(?P<name>[^/]+)", "set a name's answers {A: [...]} or {CNAME}")
def _set_record(cloud: CloudState, request: Request) -> tuple[int, Any]:
    body = request.obj()
    name = request.parts["name"]
    addresses = body.get("A", [])
    cname = body.get("CNAME")
    ttl = body.get("ttl", 60)
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise AdminError(400, f"body.A: expected a list of IPv4 addresses, got {addresses!r}")
    for address in addresses:
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            raise AdminError(400, f"body.A: {address!r} is not an IPv4 address") from None
    if cname is not None and (not isinstance(cname, str) or not cname):
        raise AdminError(400, f"body.CNAME: expected a name, got {cname!r}")
    if bool(addresses) == bool(cname):
        raise AdminError(400, "body: give either A (a list of addresses) or CNAME (a name)")
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= 86400:
        raise AdminError(400, f"body.ttl: expected seconds from 0 to 86400, got {ttl!r}")
    cloud.dns.set(name, addresses, cname=cname, rotate=request.flag("rotate"), ttl=ttl)
    return 200, {"name": name, "A": addresses, "CNAME": cname}


@_call("DELETE", r"dns/records/(?P<name>[^/]+)", "remove a name (NXDOMAIN)")
def _remove_record(cloud: CloudState, request: Request) -> tuple[int, Any]:
    name = request.parts["name"]
    if name.lower().rstrip(".") + "." not in cloud.dns.entries:
        raise AdminError(404, f"no DNS record for {name!r}")
    cloud.dns.remove(name)
    return 200, {"removed": name}


@_call("PUT", r"dns/failures/(?P<name>[^/]+)", "make a name fail {mode}")
def _fail_name(cloud: CloudState, request: Request) -> tuple[int, Any]:
    mode = _mode(request)
    cloud.dns.fail(request.parts["name"], mode)
    return 200, {"name": request.parts["name"], "mode": mode}


@_call("DELETE", r"dns/failures/(?P<name>[^/]+)", "restore a failing name")
def _restore_name(cloud: CloudState, request: Request) -> tuple[int, Any]:
    cloud.dns.fail(request.parts["name"], None)
    return 200, {"name": request.parts["name"], "mode": None}


@_call("PUT", r"dns/outage", "make every name fail {mode}")
def _outage(cloud: CloudState, request: Request) -> tuple[int, Any]:
    mode = _mode(request)
    cloud.dns.set_outage(mode)
    return 200, {"outage": mode}


@_call("DELETE", r"dns/outage", "end the outage")
def _end_outage(cloud: CloudState, request: Request) -> tuple[int, Any]:
    cloud.dns.set_outage(None)
    return 200, {"outage": None}


# -- the world: where objects are ---------------------------------------------------------------------

def _default_account(cloud: CloudState) -> str:
    """The first account with a root AccessKey (whose key the demo signs with), else the first account."""
    return cloud.demo_credentials().get("account_id") or next(iter(cloud.accounts), "")


def _places(cloud: CloudState, product: str, request: Request) -> list[tuple[str, str]]:
    """(account, region) pairs to search for an object, narrowed by ``?account=`` and ``?region=``."""
    accounts = [request.args["account"]] if request.args.get("account") else list(cloud.accounts)
    if request.args.get("account") and request.args["account"] not in cloud.accounts:
        raise AdminError(404, f"no account {request.args['account']!r} in the world")
    return [(account, region) for account in accounts
            for region in ([request.args["region"]] if request.args.get("region") else cloud.regions_of(product,
                                                                                                       account))]


def _instance(cloud: CloudState, request: Request) -> tuple[Any, Any]:
    """The ACR backend holding the instance of the path, and the instance."""
    instance_id = request.parts["instance"]
    for account, region in _places(cloud, "cr", request):
        backend = cloud.backend("cr", account, region)
        if instance_id in backend.instances:
            return backend, backend.instances[instance_id]
    raise AdminError(404, f"no ACR instance {instance_id!r} in the world")


def _route_table(cloud: CloudState, request: Request) -> tuple[Any, Any]:
    """The VPC backend holding the route table of the path, and the table."""
    table_id = request.parts["table"]
    for account, region in _places(cloud, "vpc", request):
        backend = cloud.backend("vpc", account, region)
        if table_id in backend.tables:
            return backend, backend.table(table_id)
    raise AdminError(404, f"no route table {table_id!r} in the world")


def _ip(value: str, where: str, *, empty: bool = False) -> str:
    if empty and value == "":
        return value
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise AdminError(400, f"{where}: {value!r} is not an IP address") from None


def _network(value: str, where: str) -> str:
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise AdminError(400, f"{where}: {value!r} is not an IP address or CIDR block") from None


def _linked_body(vpc: Any) -> dict[str, Any]:
    return {"vpc_id": vpc.vpc_id, "vswitch_id": vpc.vswitch_id, "ip": vpc.ip, "status": vpc.status,
            "default_access": vpc.default_access, "issue": vpc.issue}


# -- the world: ACR ------------------------------------------------------------------------------------

@_call("POST", r"cr/instances/(?P<instance>[^/]+)/linked-vpcs", "bind a VPC to the VPC endpoint")
def _link_vpc(cloud: CloudState, request: Request) -> tuple[int, Any]:
    from localcloud.products.cr import LinkedVpc

    vpc_id = request.text("vpc_id")
    linked = LinkedVpc(vpc_id, request.text("vswitch_id"), _ip(request.text("ip"), "body.ip", empty=True),
                       request.text("status", required=False, default="RUNNING"),
                       request.flag("default_access"), request.text("issue", required=False))
    with cloud.lock:
        _, instance = _instance(cloud, request)
        if any(v.vpc_id == vpc_id for v in instance.linked_vpcs):
            raise AdminError(409, f"{vpc_id} is already bound to {instance.id}; "
                                  f"PUT .../linked-vpcs/{vpc_id} changes it")
        instance.linked_vpcs.append(linked)
    return 200, {"linked_vpc": _linked_body(linked)}


@_call("PUT", r"cr/instances/(?P<instance>[^/]+)/linked-vpcs/(?P<vpc>[^/]+)", "change a bound VPC (ip, status, ...)")
def _change_linked_vpc(cloud: CloudState, request: Request) -> tuple[int, Any]:
    body = request.obj()
    allowed = {"ip", "vswitch_id", "status", "default_access", "issue"}
    unknown = sorted(set(body) - allowed)
    if unknown or not body:
        raise AdminError(400, f"body: expected some of {sorted(allowed)}" + (f", not {unknown}" if unknown else ""))
    changes: dict[str, Any] = {}
    for name in ("vswitch_id", "status", "issue"):
        if name in body:
            changes[name] = request.text(name)
    if "ip" in body:
        changes["ip"] = _ip(request.text("ip"), "body.ip", empty=True)
    if "default_access" in body:
        changes["default_access"] = request.flag("default_access")
    with cloud.lock:
        _, instance = _instance(cloud, request)
        linked = next((v for v in instance.linked_vpcs if v.vpc_id == request.parts["vpc"]), None)
        if linked is None:
            raise AdminError(404, f"{request.parts['vpc']} is not bound to {instance.id}")
        for name, value in changes.items():
            setattr(linked, name, value)
    return 200, {"linked_vpc": _linked_body(linked)}


@_call("DELETE", r"cr/instances/(?P<instance>[^/]+)/linked-vpcs/(?P<vpc>[^/]+)", "unbind a VPC")
def _unlink_vpc(cloud: CloudState, request: Request) -> tuple[int, Any]:
    with cloud.lock:
        _, instance = _instance(cloud, request)
        linked = next((v for v in instance.linked_vpcs if v.vpc_id == request.parts["vpc"]), None)
        if linked is None:
            raise AdminError(404, f"{request.parts['vpc']} is not bound to {instance.id}")
        instance.linked_vpcs.remove(linked)
    return 200, {"unbound": _linked_body(linked)}


@_call("POST", r"cr/instances/(?P<instance>[^/]+)/acl", "add a whitelist entry {entry, comment}")
def _add_acl_entry(cloud: CloudState, request: Request) -> tuple[int, Any]:
    from localcloud.products.cr import AclEntry

    entry = request.text("entry")
    network = _network(entry, "body.entry")
    with cloud.lock:
        _, instance = _instance(cloud, request)
        if any(_same_network(e.entry, network) for e in instance.acl):
            raise AdminError(409, f"{entry} is already in the whitelist of {instance.id}")
        instance.acl.append(AclEntry(entry, request.text("comment", required=False)))
        return 200, {"acl": [{"entry": e.entry, "comment": e.comment} for e in instance.acl]}


def _same_network(entry: str, network: str) -> bool:
    try:
        return str(ipaddress.ip_network(entry.strip(), strict=False)) == network
    except ValueError:
        return False


@_call("DELETE", r"cr/instances/(?P<instance>[^/]+)/acl", "empty the internet endpoint's whitelist")
def _empty_acl(cloud: CloudState, request: Request) -> tuple[int, Any]:
    with cloud.lock:
        _, instance = _instance(cloud, request)
        removed = [{"entry": e.entry, "comment": e.comment} for e in instance.acl]
        instance.acl.clear()
        enabled = instance.internet_enable
    return 200, {"removed": removed, "internet_enabled": enabled}


@_call("POST", r"cr/instances/(?P<instance>[^/]+)/images", "push an image {namespace, name, tag, image_size}")
def _push_image(cloud: CloudState, request: Request) -> tuple[int, Any]:
    size = request.obj().get("image_size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise AdminError(400, f"body.image_size: expected a size in bytes, got {size!r}")
    namespace, name, tag = request.text("namespace"), request.text("name"), request.text("tag")
    with cloud.lock:
        backend, instance = _instance(cloud, request)
        event = backend.push_image(instance.id, namespace, name, tag, size)
    return 200, {"event": event}


# -- the world: VPC route tables ------------------------------------------------------------------------

@_call("POST", r"vpc/route-tables/(?P<table>[^/]+)/entries", "add a Custom route entry {destination, next_hop_id}")
def _add_route(cloud: CloudState, request: Request) -> tuple[int, Any]:
    from localcloud.products.vpc import NextHop, RouteEntry

    destination = _network(request.text("destination"), "body.destination")
    hop = NextHop(request.text("next_hop_type", required=False, default="RouterInterface"), request.text("next_hop_id"))
    with cloud.lock:
        backend, table = _route_table(cloud, request)
        if any(e.destination == destination for e, _ in backend.live(table)):
            raise AdminError(409, f"{table.id} already has an entry for {destination}")
        entry = RouteEntry(id="rte-" + secrets.token_hex(10), table_id=table.id, destination=destination,
                           type="Custom", next_hops=[hop], name=request.text("name", required=False),
                           description=request.text("description", required=False), created_at=0.0)
        table.entries[entry.id] = entry
    return 200, {"route_entry": _route_body(entry, "Available")}


@_call("DELETE", r"vpc/route-tables/(?P<table>[^/]+)/entries/(?P<entry>.+)", "delete a route entry (id or CIDR)")
def _delete_route(cloud: CloudState, request: Request) -> tuple[int, Any]:
    wanted = request.parts["entry"]
    with cloud.lock:
        backend, table = _route_table(cloud, request)
        live = [(e, s) for e, s in backend.live(table) if s != "Deleting"]
        found = next((e for e, _ in live if e.id == wanted), None)
        if found is None and not wanted.startswith("rte-"):
            destination = _network(wanted, "entry")
            found = next((e for e, _ in live if e.destination == destination), None)
        if found is None:
            raise AdminError(404, f"no route entry {wanted!r} in {table.id}")
        found.deleted_at = backend.now()
    return 200, {"route_entry": _route_body(found, "Deleting")}


def _route_body(entry: Any, status: str) -> dict[str, Any]:
    return {"id": entry.id, "route_table_id": entry.table_id, "destination": entry.destination, "type": entry.type,
            "next_hops": [{"type": h.type, "id": h.id} for h in entry.next_hops], "name": entry.name,
            "description": entry.description, "status": status}


# -- the world: whole objects ----------------------------------------------------------------------------

@_call("POST", r"seed", "add or replace objects {product, data} (?account=&region=)")
def _seed(cloud: CloudState, request: Request) -> tuple[int, Any]:
    product = request.text("product")
    data = request.obj().get("data")
    if product not in SEEDABLE:
        raise AdminError(400, f"body.product: expected one of {list(SEEDABLE)}, got {product!r}")
    if not isinstance(data, dict):
        raise AdminError(400, "body.data: expected the product's world section (a JSON object)")
    account = request.args.get("account") or _default_account(cloud)
    if account not in cloud.accounts:
        raise AdminError(404, f"no account {account!r} in the world")
    service = cloud.services_by_product[product]
    region = (request.args.get("region") or cloud.default_region(account)) if service.regional else None
    with cloud.lock:
        try:  # a trial run first, so that a bad section changes nothing
            service.backend_cls(cloud=cloud, account_id=account, region=region or "").seed(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise AdminError(400, f"body.data: {exc}") from None
        cloud.backend(product, account, region).seed(data)
    return 200, {"seeded": product, "account": account, "region": region}


# -- front ends ----------------------------------------------------------------------------------------------

@_call("PUT", r"registry/hosts/(?P<host>[^/]+)", "set a host's /v2/ challenge {realm, service}")
def _registry_host(cloud: CloudState, request: Request) -> tuple[int, Any]:
    realm, service = request.text("realm"), request.text("service")
    cloud.registry.set(request.parts["host"], realm, service)
    return 200, {"host": request.parts["host"], "realm": realm, "service": service}


def _robot_body(kind: str, token: str, robot: Any) -> dict[str, Any]:
    return {"kind": kind, "token": token, "secret": robot.secret, "keywords": list(robot.keywords),
            "path": CHAT_PATHS[kind].format(token=token)}


@_call("GET", r"chat/robots", "every chat robot with its token, secret and path")
def _robots(cloud: CloudState, request: Request) -> tuple[int, Any]:
    return 200, {"robots": [_robot_body(kind, token, robot) for kind in KINDS
                            for token, robot in cloud.chat.robots[kind].items()]}


@_call("POST", r"chat/robots", "add a chat robot {kind, token, secret, keywords}")
def _add_robot(cloud: CloudState, request: Request) -> tuple[int, Any]:
    kind, token = request.text("kind"), request.text("token")
    keywords = request.obj().get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
        raise AdminError(400, f"body.keywords: expected a list of words, got {keywords!r}")
    if not token or (kind == "slack" and token.count("/") != 2):
        raise AdminError(400, "body.token: expected a token (Slack: T.../B.../X...)")
    try:
        cloud.chat.add_robot(kind, token, request.text("secret", required=False) or None, keywords,
                             request.text("answer", required=False, default="documented"))
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None
    return 200, {"robot": _robot_body(kind, token, cloud.chat.robots[kind][token])}
