"""Container Registry (cr 2018-12-01): instances, endpoints and the VPC endpoint.

Shapes follow the SDK response models (``alibabacloud_cr20181201.models``) and the API reference
(see ``../shared/reference/acr-network.md`` §2). ACR answers ``Code``/``IsSuccess`` in every
body. The code and status for an unknown instance (``INSTANCE_NOT_EXIST``, 404) were chosen by
the emulator, not checked against the real cloud.

Whitelist writes (``CreateInstanceEndpointAclPolicy``, ``DeleteInstanceEndpointAclPolicy``,
``UpdateInstanceEndpointStatus``): documented behaviour is that enabling the internet endpoint
adds ``127.0.0.1/32`` and that an empty whitelist leaves the endpoint open to everyone
(``acr-network.md`` §2 "Whitelist semantics"). The per-API error tables were not retrievable, so
these are the emulator's own choices, answered ACR-style as HTTP 200 with ``IsSuccess: false``:
adding an entry that is already there (compared as networks, so ``1.2.3.4`` equals
``1.2.3.4/32``) gives ``ACL_ENTRY_ALREADY_EXIST``; deleting one that is not there gives
``ACL_ENTRY_NOT_EXIST``. An entry that is not an IP address or CIDR gives the gateway's
``InvalidParameter`` (400). Entries are stored as sent.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from localcloud.errors import CloudError, invalid_parameter
from localcloud.service import Call, Service, page_by_number

SPECIFICATIONS = ("Enterprise_Basic", "Enterprise_Standard", "Enterprise_Advanced")
STATUSES = ("PENDING", "INIT_ERROR", "STARTING", "RUNNING", "STOPPING", "STOPPED", "DELETING", "DELETED")


@dataclass
class AclEntry:
    """One whitelist entry of the internet endpoint."""

    entry: str
    comment: str = ""


@dataclass
class LinkedVpc:
    """A VPC bound to the instance's VPC endpoint (one ENI address)."""

    vpc_id: str
    vswitch_id: str
    ip: str
    status: str = "RUNNING"
    default_access: bool = False
    issue: str = ""


@dataclass
class Instance:
    """An ACR Enterprise Edition instance."""

    id: str
    name: str
    region: str
    specification: str = "Enterprise_Standard"
    status: str = "RUNNING"
    issue: str = ""
    resource_group_id: str = "rg-acfmdemo000000"
    create_time: int = 1735689600000
    modified_time: int = 1735689600000
    internet_enable: bool = False
    internet_acl_enable: bool = True
    internet_status: str = "RUNNING"
    acl: list[AclEntry] = field(default_factory=list)
    vpc_enable: bool = True
    linked_vpcs: list[LinkedVpc] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def internet_domain(self) -> str:
        return f"{self.name}-registry.{self.region}.cr.aliyuncs.com"

    @property
    def vpc_domain(self) -> str:
        return f"{self.name}-registry-vpc.{self.region}.cr.aliyuncs.com"


class CrBackend:
    """ACR state of one account in one region."""

    def __init__(self, cloud: Any, account_id: str, region: str) -> None:
        self.cloud = cloud
        self.account_id = account_id
        self.region = region
        self.instances: dict[str, Instance] = {}

    def seed(self, data: dict[str, Any]) -> None:
        """Load ``instances:`` from a world file."""
        for index, spec in enumerate(data.get("instances") or []):
            where = f"instances[{index}]"
            if "id" not in spec or "name" not in spec:
                raise ValueError(f"{where}: needs 'id' and 'name'")
            if spec.get("specification", "Enterprise_Standard") not in SPECIFICATIONS:
                raise ValueError(f"{where}.specification: expected one of {SPECIFICATIONS}")
            internet = spec.get("internet") or {}
            vpc = spec.get("vpc") or {}
            instance = Instance(
                id=spec["id"], name=spec["name"], region=self.region,
                specification=spec.get("specification", "Enterprise_Standard"),
                status=spec.get("status", "RUNNING"), issue=spec.get("issue", ""),
                internet_enable=bool(internet.get("enable", False)),
                internet_acl_enable=bool(internet.get("acl_enable", True)),
                internet_status=internet.get("status", "RUNNING"),
                acl=[AclEntry(e["entry"], e.get("comment", "")) for e in internet.get("entries") or []],
                vpc_enable=bool(vpc.get("enable", True)),
                linked_vpcs=[LinkedVpc(v["vpc_id"], v["vswitch_id"], v["ip"], v.get("status", "RUNNING"),
                                       bool(v.get("default_access", False)), v.get("issue", ""))
                             for v in vpc.get("linked_vpcs") or []],
                tags=dict(spec.get("tags") or {}),
                extra={k: v for k, v in spec.items() if k not in {
                    "id", "name", "specification", "status", "issue", "internet", "vpc", "tags"}},
            )
            self.instances[instance.id] = instance

    def get(self, instance_id: str) -> Instance:
        """The instance, or the ACR not-found error."""
        instance = self.instances.get(instance_id)
        if instance is None:
            raise CloudError("INSTANCE_NOT_EXIST", f"The instance {instance_id} does not exist.", 404)
        return instance


SERVICE = Service("cr", "2018-12-01", CrBackend, regional=True)
OK = {"Code": "success", "IsSuccess": True}


def _instance_summary(instance: Instance) -> dict[str, Any]:
    return {
        "InstanceId": instance.id, "InstanceName": instance.name,
        "InstanceSpecification": instance.specification, "InstanceStatus": instance.status,
        "InstanceIssue": instance.issue, "RegionId": instance.region,
        "ResourceGroupId": instance.resource_group_id,
        "CreateTime": str(instance.create_time), "ModifiedTime": str(instance.modified_time),
        "Tags": [{"TagKey": k, "TagValue": v} for k, v in instance.tags.items()],
    }


def _module(call: Call) -> str:
    module = call.get("ModuleName", "Registry")
    if module not in ("Registry", "Chart"):
        raise invalid_parameter("ModuleName", module, "expected Registry or Chart")
    return module


@SERVICE.action("ListInstance")
def list_instance(call: Call, backend: CrBackend) -> dict[str, Any]:
    """Instances of the region, paged by ``PageNo``/``PageSize`` (default 30)."""
    page_no = call.get_int("PageNo", 1, minimum=1)
    page_size = call.get_int("PageSize", 30, minimum=1, maximum=100)
    instances = sorted(backend.instances.values(), key=lambda i: i.id)
    if call.get("InstanceStatus"):
        instances = [i for i in instances if i.status == call.get("InstanceStatus")]
    if call.get("InstanceName"):
        instances = [i for i in instances if call.get("InstanceName", "") in i.name]
    page = page_by_number(instances, page_no, page_size)
    return {**OK, "Instances": [_instance_summary(i) for i in page], "PageNo": page_no, "PageSize": page_size,
            "TotalCount": len(instances)}


@SERVICE.action("GetInstance")
def get_instance(call: Call, backend: CrBackend) -> dict[str, Any]:
    """One instance (no OSS bucket field: the real API has none)."""
    instance = backend.get(call.require("InstanceId"))
    body = _instance_summary(instance)
    body.pop("RegionId")
    return {**OK, **body}


def _internet_endpoint(instance: Instance, with_comments: bool) -> dict[str, Any]:
    entries = [{"Entry": e.entry, **({"Comment": e.comment} if with_comments else {})} for e in instance.acl]
    return {"Enable": instance.internet_enable, "AclEnable": instance.internet_acl_enable,
            "Status": instance.internet_status if instance.internet_enable else "STOPPED",
            "Domains": [{"Domain": instance.internet_domain, "Type": "SYSTEM"}], "AclEntries": entries}


@SERVICE.action("GetInstanceEndpoint")
def get_instance_endpoint(call: Call, backend: CrBackend) -> dict[str, Any]:
    """The internet endpoint: ``Enable``, ``AclEnable``, ``Status``, ``Domains``, ``AclEntries``."""
    instance = backend.get(call.require("InstanceId"))
    endpoint_type = call.require("EndpointType")
    _module(call)
    if endpoint_type.lower() != "internet":
        raise invalid_parameter("EndpointType", endpoint_type, "only internet is supported")
    return {**OK, **_internet_endpoint(instance, with_comments=True)}


@SERVICE.action("ListInstanceEndpoint")
def list_instance_endpoint(call: Call, backend: CrBackend) -> dict[str, Any]:
    """Both endpoints of an instance in one call (internet with its ACL, VPC with its linked VPCs)."""
    instance = backend.get(call.require("InstanceId"))
    _module(call)
    internet = {"EndpointType": "internet", **_internet_endpoint(instance, with_comments=False)}
    vpc = {"EndpointType": "vpc", "Enable": instance.vpc_enable, "AclEnable": False,
           "Status": "RUNNING" if instance.vpc_enable else "STOPPED",
           "Domains": [{"Domain": instance.vpc_domain, "Type": "SYSTEM"}], "AclEntries": [],
           "LinkedVpcs": [{"VpcId": v.vpc_id} for v in instance.linked_vpcs]}
    return {**OK, "Endpoints": [internet, vpc]}


@SERVICE.action("GetInstanceVpcEndpoint")
def get_instance_vpc_endpoint(call: Call, backend: CrBackend) -> dict[str, Any]:
    """The VPC endpoint: its domains and each linked VPC's ENI address, status and issue."""
    instance = backend.get(call.require("InstanceId"))
    module = _module(call)
    return {**OK, "Enable": instance.vpc_enable, "ModuleName": module, "Domains": [instance.vpc_domain],
            "LinkedVpcs": [{"VpcId": v.vpc_id, "VswitchId": v.vswitch_id, "Ip": v.ip, "Status": v.status,
                            "DefaultAccess": v.default_access, "Issue": v.issue} for v in instance.linked_vpcs]}


# -- whitelist writes -----------------------------------------------------------------------------

LOOPBACK_ENTRY = "127.0.0.1/32"


def _internet_instance(call: Call, backend: CrBackend) -> Instance:
    """The instance of a whitelist write, after checking ``EndpointType`` and ``ModuleName``."""
    instance = backend.get(call.require("InstanceId"))
    endpoint_type = call.require("EndpointType")
    _module(call)
    if endpoint_type.lower() != "internet":
        raise invalid_parameter("EndpointType", endpoint_type, "only Internet is supported")
    return instance


def _network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        raise invalid_parameter("Entry", entry, "expected an IP address or CIDR block") from None


def _stored_network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | str:
    """A stored entry as a network, or its text when a seeded world holds something unparseable."""
    try:
        return ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return entry


def _requested_entries(call: Call) -> list[AclEntry]:
    """``Entry`` (+ ``Comment``) and/or ``Entries`` (JSON array of ``{Entry, Comment}``, the SDK's shrink form)."""
    entries: list[AclEntry] = []
    if call.get("Entry"):
        entries.append(AclEntry(call.require("Entry").strip(), call.get("Comment", "") or ""))
    for index, item in enumerate(call.get_objects("Entries")):
        if not item.get("Entry"):
            raise invalid_parameter(f"Entries[{index}].Entry", item, "an entry is required")
        entries.append(AclEntry(str(item["Entry"]).strip(), str(item.get("Comment") or "")))
    if not entries:
        raise CloudError("MissingParameter", 'The input parameter "Entry" that is mandatory for processing '
                         "this request is not supplied.", 400)
    for entry in entries:
        _network(entry.entry)
    return entries


def _failure(code: str) -> dict[str, Any]:
    return {"Code": code, "IsSuccess": False}


@SERVICE.action("CreateInstanceEndpointAclPolicy")
def create_instance_endpoint_acl_policy(call: Call, backend: CrBackend) -> dict[str, Any]:
    """Add whitelist entries; all-or-nothing. A duplicate answers ``ACL_ENTRY_ALREADY_EXIST`` (emulator's choice)."""
    instance = _internet_instance(call, backend)
    requested = _requested_entries(call)
    present = {_stored_network(e.entry) for e in instance.acl}
    seen: set[Any] = set()
    for entry in requested:
        network = _network(entry.entry)
        if network in present or network in seen:
            return _failure("ACL_ENTRY_ALREADY_EXIST")
        seen.add(network)
    instance.acl.extend(requested)
    instance.modified_time = int(call.cloud.clock.now() * 1000)
    return dict(OK)


@SERVICE.action("DeleteInstanceEndpointAclPolicy")
def delete_instance_endpoint_acl_policy(call: Call, backend: CrBackend) -> dict[str, Any]:
    """Remove whitelist entries; all-or-nothing. A missing one answers ``ACL_ENTRY_NOT_EXIST`` (emulator's choice).

    Deleting the last entry is allowed, as on the real cloud: the endpoint is then open to everyone.
    """
    instance = _internet_instance(call, backend)
    targets = {_network(e.entry) for e in _requested_entries(call)}
    present = {_stored_network(e.entry) for e in instance.acl}
    if not targets <= present:
        return _failure("ACL_ENTRY_NOT_EXIST")
    instance.acl = [e for e in instance.acl if _stored_network(e.entry) not in targets]
    instance.modified_time = int(call.cloud.clock.now() * 1000)
    return dict(OK)


@SERVICE.action("UpdateInstanceEndpointStatus")
def update_instance_endpoint_status(call: Call, backend: CrBackend) -> dict[str, Any]:
    """Enable or disable the internet endpoint.

    Enabling adds ``127.0.0.1/32`` when it is not already listed (documented); the change is
    immediate here (the emulator's choice: no ``CREATING`` phase). Disabling keeps the entries.
    """
    instance = _internet_instance(call, backend)
    enable = call.get_bool("Enable")
    if enable is None:
        raise CloudError("MissingParameter", 'The input parameter "Enable" that is mandatory for processing '
                         "this request is not supplied.", 400)
    if enable and not instance.internet_enable:
        loopback = ipaddress.ip_network(LOOPBACK_ENTRY)
        if all(_stored_network(e.entry) != loopback for e in instance.acl):
            instance.acl.append(AclEntry(LOOPBACK_ENTRY, ""))
        instance.internet_status = "RUNNING"
    instance.internet_enable = enable
    instance.modified_time = int(call.cloud.clock.now() * 1000)
    return dict(OK)
