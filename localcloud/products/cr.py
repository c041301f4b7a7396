"""Container Registry (cr 2018-12-01): instances, endpoints and the VPC endpoint.

Shapes follow the SDK response models (``alibabacloud_cr20181201.models``) and the API reference
(https://help.aliyun.com/zh/acr/developer-reference/, API version 2018-12-01). ACR answers
``Code``/``IsSuccess`` in every body. Where each behaviour comes from:

* **Not found.** A missing instance answers HTTP 200 with ``IsSuccess: false`` and
  ``Code: INSTANCE_NOT_EXIST``: terraform-provider-alicloud reads that code from the *body* of a
  successful call (``alicloud/service_alicloud_cr_ee.go`` ``DescribeCrEEInstance``: ``if
  !response.GetInstanceIsSuccess { if response.Code == "INSTANCE_NOT_EXIST" ...``;
  ``alicloud/service_alicloud_cr_v2.go`` ``DescribeCrInstance``: ``$.Code``). ``REPO_NOT_EXIST``
  likewise (``DescribeCrEERepo``: ``!GetRepositoryIsSuccess && Code == "REPO_NOT_EXIST"``).
  ``TAG_NOT_EXIST`` in the same form is the emulator's choice (no public client handles it).
* **Instance status.** The internet-endpoint APIs answer ``INSTANCE_STATUS_NOT_SUPPORT`` (HTTP
  200, ``IsSuccess: false``) while the instance is not ``RUNNING``: Terraform sees it from
  ``GetInstanceEndpoint`` once an instance leaves RUNNING on its way to deletion, and from
  ``ListInstanceEndpoint`` for instances without managed endpoints
  (``alicloud/service_alicloud_cr.go`` ``DescribeCrInternetEndpoint``;
  ``alicloud/service_alicloud_cr_ee.go`` ``ListCrEEInstanceEndpoint``). Which statuses, and the
  same answer from the ACL writes, are the emulator's choice.
* **Enabling the internet endpoint is asynchronous.** ``UpdateInstanceEndpointStatus`` with
  ``Enable=true`` turns the endpoint ``CREATING``; it becomes ``RUNNING`` once the cloud clock
  has advanced ``internet.enable_delay_s`` (default ``ENABLE_DELAY_S`` = 30 s) since the call.
  Terraform polls ``GetInstanceEndpoint`` for ``Status=RUNNING`` after the call
  (``alicloud/resource_alicloud_cr_internet_endpoint.go``: first poll after 30 s, every >= 3 s,
  5 min timeout; ``alicloud/data_source_alicloud_cr_endpoint_acl_service.go``: first poll after
  5 s). The transition time is not published: 30 s (Terraform's first-poll delay) is the
  emulator's choice. ACL writes sent while it is ``CREATING`` answer success and change nothing:
  Terraform observed the server "silently" dropping ``CreateInstanceEndpointAclPolicy`` then
  (``alicloud/service_alicloud_cr.go`` ``WaitCrEndpointRunning``, commit 13628531, PR #10170); that
  deletes are dropped too is the emulator's choice. The brief window Terraform mentions in which
  ``Enable`` is still false right after the call is not emulated.
* **The ACL during the switch.** Enabling adds ``127.0.0.1/32`` (documented:
  https://help.aliyun.com/zh/terraform/alicloud-cr-endpoint-acl-service) with the comment
  ``default`` (``alicloud/resource_alicloud_cr_internet_endpoint.go``: "GetInstanceEndpoint always
  returns an auto-added loopback ACL policy (entry 127.0.0.1/32, comment "default") once the
  endpoint is enabled"). The emulator adds it when the endpoint turns ``RUNNING``, so a whitelist
  that was empty reads empty while ``CREATING`` (emulator's choice: the worse case for a client).
  An empty whitelist on a RUNNING endpoint leaves it open to everyone (same Terraform page).
* **A disabled internet endpoint has no ``Status``** in ``GetInstanceEndpoint`` (Terraform,
  ``CrInternetEndpointStateRefreshFunc``: "GetInstanceEndpoint returns no Status field");
  ``ListInstanceEndpoint`` follows it (emulator's choice). Disabling is immediate here and keeps
  the entries (emulator's choice; Terraform waits for the status to clear).
* **VPC endpoint** (``GetInstanceVpcEndpoint``): ``Enable`` is "是否开启访问控制" (whether access
  control is enabled) on the Chinese API page
  (https://help.aliyun.com/zh/acr/developer-reference/api-cr-2018-12-01-getinstancevpcendpoint)
  and "whether the VPC endpoint is enabled" in the SDK docstrings; ``LinkedVpcs[].Issue`` is "关联
  VPC 的访问控制存在的异常信息" (the access-control anomaly of the linked VPC), example
  ``PRIVATE_ZONE_CONFLICT_AT_{private_zone_id}``; ``Status`` is ``CREATING`` or ``RUNNING``. They
  are answered as seeded.
* **Whitelist writes**: an entry that is already there (compared as networks, so ``1.2.3.4``
  equals ``1.2.3.4/32``) answers ``ACL_ENTRY_ALREADY_EXIST``, deleting one that is not there
  ``ACL_ENTRY_NOT_EXIST`` (both HTTP 200 with ``IsSuccess: false``; codes are the emulator's
  choice: the API pages list only ``NoPrivilege`` and ``SystemError``). An entry that is not an IP
  address or CIDR gives ``InvalidParameter`` (400). Entries are stored as sent.
* **Tags** (``GetRepoTag``, ``ListRepoTag``): ``Digest`` is bare hex, as in the API pages'
  examples and the SDK docstrings (``67bfbcc12b67...****``, no ``sha256:``); ``ListRepoTag``
  answers ``ImageCreate``/``ImageUpdate`` and ``TotalCount`` as strings, ``GetRepoTag`` its times
  as numbers, as the models type them. The order of ``ListRepoTag`` (newest ``ImageUpdate``
  first) is the emulator's choice.
* **Artifact build rules**: ``CreateArtifactBuildRule`` is allowed on the editions of the Chinese
  API page (https://help.aliyun.com/document_detail/601109.html, change history 2023-11-03:
  "仅限标准版和高级版实例", Standard and Advanced), not those of the English page
  (https://alibabacloud.com/help/en/acr/developer-reference/api-cr-2018-12-01-createartifactbuildrule,
  updated Dec 16, 2025, machine-translated: "only ... Advanced Edition instances"): the English
  page is a machine translation of the Chinese one, and both exclude Basic. A world may set
  ``acceleration_editions`` on an instance to answer as the English page does. Not offered in
  finance/gov regions (both pages). The refusal codes (``UNSUPPORTED_INSTANCE_SPECIFICATION``,
  ``UNSUPPORTED_REGION``, ``ARTIFACT_BUILD_RULE_ALREADY_EXIST``) and ``GetArtifactBuildRule``'s
  answer when no rule exists (``ARTIFACT_BUILD_RULE_NOT_EXIST``), all HTTP 200 with ``IsSuccess:
  false``, are the emulator's choices: no error table is published.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from localcloud.errors import CloudError, invalid_parameter
from localcloud.service import Call, Service, page_by_number

SPECIFICATIONS = ("Enterprise_Basic", "Enterprise_Standard", "Enterprise_Advanced")
STATUSES = ("PENDING", "INIT_ERROR", "STARTING", "RUNNING", "STOPPING", "STOPPED", "DELETING", "DELETED")
#: seconds (cloud clock) an enabled internet endpoint stays CREATING before RUNNING (emulator's choice)
ENABLE_DELAY_S = 30.0
#: the statuses the internet endpoint reports while enabled (GetInstanceEndpoint's reference)
ENDPOINT_STATUSES = ("CREATING", "RUNNING", "DELETING")
LOOPBACK_ENTRY = "127.0.0.1/32"
#: the comment ACR gives the loopback entry it adds (terraform-provider-alicloud, cr_internet_endpoint)
LOOPBACK_COMMENT = "default"


class AcrFailure(CloudError):
    """A failure ACR answers in the body: HTTP 200 with ``Code`` and ``IsSuccess: false``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, 200, extra={"IsSuccess": False})

    def body(self) -> dict[str, Any]:
        """The response body: ``Code``, ``Message``, ``IsSuccess: false``."""
        return {"Code": self.code, "Message": self.message, "IsSuccess": False}


@dataclass
class AclEntry:
    """One whitelist entry of the internet endpoint."""

    entry: str
    comment: str = ""


@dataclass
class LinkedVpc:
    """A VPC bound to the instance's VPC endpoint (one ENI address).

    ``issue``: the access-control anomaly the API reports for this VPC (the API page's example is
    ``PRIVATE_ZONE_CONFLICT_AT_{private_zone_id}``), empty when there is none.
    """

    vpc_id: str
    vswitch_id: str
    ip: str
    status: str = "RUNNING"
    default_access: bool = False
    issue: str = ""


@dataclass
class RepoTag:
    """One image tag of a repository."""

    tag: str
    digest: str
    image_size: int
    image_id: str = ""
    status: str = "NORMAL"
    image_create: int = 1735689600000
    image_update: int = 1735689600000


@dataclass
class Repository:
    """A repository (``namespace/name``) of an instance, with its tags."""

    id: str
    namespace: str
    name: str
    repo_type: str = "PRIVATE"
    status: str = "NORMAL"
    summary: str = ""
    tag_immutability: bool = False
    create_time: int = 1735689600000
    modified_time: int = 1735689600000
    tags: list[RepoTag] = field(default_factory=list)

    def tag(self, name: str) -> RepoTag | None:
        """The tag called ``name``, if any."""
        return next((t for t in self.tags if t.tag == name), None)


@dataclass
class BuildRule:
    """An artifact build rule (``ACCELERATED_IMAGE`` for a repository: on-demand loading)."""

    id: str
    scope_type: str
    scope_id: str
    artifact_type: str = "ACCELERATED_IMAGE"
    image_index_only: bool = False
    priority_file: str = ""


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
    internet_since: float = 0.0  # cloud-clock time the endpoint was switched on
    enable_delay_s: float = ENABLE_DELAY_S
    acl: list[AclEntry] = field(default_factory=list)
    vpc_enable: bool = True
    linked_vpcs: list[LinkedVpc] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    repositories: list[Repository] = field(default_factory=list)
    build_rules: list[BuildRule] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def internet_domain(self) -> str:
        return f"{self.name}-registry.{self.region}.cr.aliyuncs.com"

    def settle(self, now: float) -> None:
        """Finish an internet-endpoint switch whose time has come: CREATING -> RUNNING, loopback added."""
        if self.internet_enable and self.internet_status == "CREATING" \
                and now >= self.internet_since + self.enable_delay_s:
            self.internet_status = "RUNNING"
            loopback = ipaddress.ip_network(LOOPBACK_ENTRY)
            if all(_stored_network(e.entry) != loopback for e in self.acl):
                self.acl.append(AclEntry(LOOPBACK_ENTRY, LOOPBACK_COMMENT))

    @property
    def switching(self) -> bool:
        """The internet endpoint is enabled but not RUNNING yet: ACL writes are dropped."""
        return self.internet_enable and self.internet_status != "RUNNING"

    @property
    def vpc_domain(self) -> str:
        return f"{self.name}-registry-vpc.{self.region}.cr.aliyuncs.com"

    def repository(self, namespace: str, name: str) -> Repository | None:
        """The repository ``namespace/name``, if any."""
        return next((r for r in self.repositories if r.namespace == namespace and r.name == name), None)

    def repository_by_id(self, repo_id: str) -> Repository | None:
        """The repository with this ``RepoId``, if any."""
        return next((r for r in self.repositories if r.id == repo_id), None)


def _stable_id(prefix: str, *parts: str) -> str:
    """A deterministic resource id such as ``crr-1a2b3c4d5e6f7a8b`` (emulator's choice of format)."""
    return f"{prefix}-" + hashlib.sha256("/".join(parts).encode("utf-8")).hexdigest()[:16]


def _digest(*parts: str) -> str:
    return "sha256:" + hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def _bare_digest(digest: str) -> str:
    """The digest as the tag APIs answer it: bare hex, without the ``sha256:`` algorithm prefix."""
    return digest.split(":", 1)[1] if digest.lower().startswith("sha256:") else digest


def _seed_repositories(instance: Instance, specs: list[dict[str, Any]], where: str) -> None:
    """``repositories: [{namespace, name, id?, accelerated?, tags: [{tag, image_size, digest?}]}]``."""
    for index, spec in enumerate(specs):
        here = f"{where}.repositories[{index}]"
        if not isinstance(spec, dict) or not spec.get("namespace") or not spec.get("name"):
            raise ValueError(f"{here}: needs 'namespace' and 'name'")
        repo_id = str(spec.get("id") or _stable_id("crr", instance.id, spec["namespace"], spec["name"]))
        repo = Repository(id=repo_id, namespace=str(spec["namespace"]), name=str(spec["name"]),
                          repo_type=str(spec.get("repo_type", "PRIVATE")), summary=str(spec.get("summary", "")))
        for tag_index, tag in enumerate(spec.get("tags") or []):
            if not isinstance(tag, dict) or not tag.get("tag") or not isinstance(tag.get("image_size"), int):
                raise ValueError(f"{here}.tags[{tag_index}]: needs 'tag' and an integer 'image_size' (bytes)")
            updated = int(tag.get("image_update", 1735689600000 + tag_index * 1000))
            digest = str(tag.get("digest") or _digest(repo.id, str(tag["tag"])))
            repo.tags.append(RepoTag(tag=str(tag["tag"]), digest=digest, image_size=int(tag["image_size"]),
                                     image_id=digest.split(":", 1)[-1], image_create=updated, image_update=updated))
        instance.repositories.append(repo)
        if spec.get("accelerated"):
            instance.build_rules.append(BuildRule(id=str(spec.get("build_rule_id") or _stable_id("crabr", repo.id)),
                                                  scope_type="REPOSITORY", scope_id=repo.id))


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
            status = internet.get("status", "RUNNING")
            if status not in ENDPOINT_STATUSES:
                raise ValueError(f"{where}.internet.status: expected one of {ENDPOINT_STATUSES}")
            editions = spec.get("acceleration_editions")
            if editions is not None and (not isinstance(editions, list)
                                         or any(e not in SPECIFICATIONS for e in editions)):
                raise ValueError(f"{where}.acceleration_editions: expected a list of {SPECIFICATIONS}")
            delay = internet.get("enable_delay_s", ENABLE_DELAY_S)
            if not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0:
                raise ValueError(f"{where}.internet.enable_delay_s: expected seconds >= 0")
            instance = Instance(
                id=spec["id"], name=spec["name"], region=self.region,
                specification=spec.get("specification", "Enterprise_Standard"),
                status=spec.get("status", "RUNNING"), issue=spec.get("issue", ""),
                internet_enable=bool(internet.get("enable", False)),
                internet_acl_enable=bool(internet.get("acl_enable", True)),
                internet_status=status, internet_since=self.cloud.clock.now(), enable_delay_s=float(delay),
                acl=[AclEntry(e["entry"], e.get("comment", "")) for e in internet.get("entries") or []],
                vpc_enable=bool(vpc.get("enable", True)),
                linked_vpcs=[LinkedVpc(v["vpc_id"], v["vswitch_id"], v["ip"], v.get("status", "RUNNING"),
                                       bool(v.get("default_access", False)), v.get("issue", ""))
                             for v in vpc.get("linked_vpcs") or []],
                tags=dict(spec.get("tags") or {}),
                extra={k: v for k, v in spec.items() if k not in {
                    "id", "name", "specification", "status", "issue", "internet", "vpc", "tags", "repositories"}},
            )
            _seed_repositories(instance, spec.get("repositories") or [], where)
            self.instances[instance.id] = instance

    def push_image(self, instance_id: str, namespace: str, name: str, tag: str, image_size: int,
                   digest: str | None = None) -> dict[str, Any]:
        """Emulate ``docker push``: store the tag (creating the repository if needed) and return the event.

        The event is the ``cr:Artifact:PushCompleted`` CloudEvents envelope EventBridge would deliver;
        no ``data`` sample is published for it, so its keys follow the BuildCompleted sample
        (https://www.alibabacloud.com/help/en/eventbridge/user-guide/container-registry-events) plus
        ``Digest`` (``sha256:<hex>``) and ``ImageSize`` (emulator's choice).
        """
        instance = self.get(instance_id)
        now_ms = int(self.cloud.clock.now() * 1000)
        repo = instance.repository(namespace, name)
        if repo is None:
            repo = Repository(id=_stable_id("crr", instance.id, namespace, name), namespace=namespace, name=name,
                              create_time=now_ms, modified_time=now_ms)
            instance.repositories.append(repo)
        digest = digest or _digest(repo.id, tag, str(now_ms))
        existing = repo.tag(tag)
        if existing is not None:
            repo.tags.remove(existing)
        repo.tags.append(RepoTag(tag=tag, digest=digest, image_size=image_size, image_id=digest.split(":", 1)[-1],
                                 image_create=existing.image_create if existing else now_ms, image_update=now_ms))
        repo.modified_time = now_ms
        return {
            "id": str(uuid.uuid4()), "source": "acs.cr", "specversion": "1.0",
            "subject": f"acs.cr:{self.region}:{self.account_id}:{repo.id}", "time": self.cloud.clock.iso(),
            "type": "cr:Artifact:PushCompleted", "datacontenttype": "application/json;charset=utf-8",
            "aliyunaccountid": self.account_id, "aliyunpublishtime": self.cloud.clock.iso(),
            "aliyuneventbusname": "default", "aliyunregionid": self.region, "aliyunpublishaddr": "127.0.0.1",
            "data": {"InstanceName": instance.name, "InstanceId": instance.id, "RegionId": self.region,
                     "RepoId": repo.id, "RepoNamespaceName": namespace, "RepoName": name, "Tag": tag,
                     "Digest": digest, "ImageSize": image_size,
                     "ImageUpdate": self.cloud.clock.utcnow().strftime("%Y-%m-%d %H:%M:%S")},
        }

    def get(self, instance_id: str) -> Instance:
        """The instance (its endpoint switch settled to now), or ``INSTANCE_NOT_EXIST`` in the body."""
        instance = self.instances.get(instance_id)
        if instance is None:
            raise AcrFailure("INSTANCE_NOT_EXIST", f"The instance {instance_id} does not exist.")
        instance.settle(self.cloud.clock.now())
        return instance


SERVICE = Service("cr", "2018-12-01", CrBackend, regional=True)
OK = {"Code": "success", "IsSuccess": True}
Handler = Callable[[Call, CrBackend], dict[str, Any]]


def _action(name: str) -> Callable[[Handler], Handler]:
    """Register an action whose ``AcrFailure`` becomes ACR's HTTP 200 ``IsSuccess: false`` body."""

    def register(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def answer(call: Call, backend: CrBackend) -> dict[str, Any]:
            try:
                return handler(call, backend)
            except AcrFailure as failure:
                return failure.body()

        SERVICE.action(name)(answer)
        return handler

    return register


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


@_action("ListInstance")
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


@_action("GetInstance")
def get_instance(call: Call, backend: CrBackend) -> dict[str, Any]:
    """One instance (no OSS bucket field: the real API has none)."""
    instance = backend.get(call.require("InstanceId"))
    body = _instance_summary(instance)
    body.pop("RegionId")
    return {**OK, **body}


def _internet_endpoint(instance: Instance, with_comments: bool) -> dict[str, Any]:
    """The internet endpoint's fields; ``Status`` only while it is enabled (none when disabled)."""
    entries = [{"Entry": e.entry, **({"Comment": e.comment} if with_comments else {})} for e in instance.acl]
    status = {"Status": instance.internet_status} if instance.internet_enable else {}
    return {"Enable": instance.internet_enable, "AclEnable": instance.internet_acl_enable, **status,
            "Domains": [{"Domain": instance.internet_domain, "Type": "SYSTEM"}], "AclEntries": entries}


def _endpoint_instance(backend: CrBackend, call: Call) -> Instance:
    """The instance of an internet-endpoint call, refused while it is not RUNNING (``INSTANCE_STATUS_NOT_SUPPORT``)."""
    instance = backend.get(call.require("InstanceId"))
    if instance.status != "RUNNING":
        raise AcrFailure("INSTANCE_STATUS_NOT_SUPPORT",
                         f"The instance {instance.id} is {instance.status}: endpoint operations are not supported.")
    return instance


@_action("GetInstanceEndpoint")
def get_instance_endpoint(call: Call, backend: CrBackend) -> dict[str, Any]:
    """The internet endpoint: ``Enable``, ``AclEnable``, ``Status`` (when enabled), ``Domains``, ``AclEntries``."""
    instance = _endpoint_instance(backend, call)
    endpoint_type = call.require("EndpointType")
    _module(call)
    if endpoint_type.lower() != "internet":
        raise invalid_parameter("EndpointType", endpoint_type, "only internet is supported")
    return {**OK, **_internet_endpoint(instance, with_comments=True)}


@_action("ListInstanceEndpoint")
def list_instance_endpoint(call: Call, backend: CrBackend) -> dict[str, Any]:
    """Both endpoints of an instance in one call (internet with its ACL, VPC with its linked VPCs)."""
    instance = _endpoint_instance(backend, call)
    _module(call)
    internet = {"EndpointType": "internet", **_internet_endpoint(instance, with_comments=False)}
    vpc = {"EndpointType": "vpc", "Enable": instance.vpc_enable, "AclEnable": False,
           "Status": "RUNNING" if instance.vpc_enable else "STOPPED",
           "Domains": [{"Domain": instance.vpc_domain, "Type": "SYSTEM"}], "AclEntries": [],
           "LinkedVpcs": [{"VpcId": v.vpc_id} for v in instance.linked_vpcs]}
    return {**OK, "Endpoints": [internet, vpc]}


@_action("GetInstanceVpcEndpoint")
def get_instance_vpc_endpoint(call: Call, backend: CrBackend) -> dict[str, Any]:
    """The VPC endpoint: ``Enable`` (VPC access control), domains, and each linked VPC's ENI, status and issue."""
    instance = backend.get(call.require("InstanceId"))
    module = _module(call)
    return {**OK, "Enable": instance.vpc_enable, "ModuleName": module, "Domains": [instance.vpc_domain],
            "LinkedVpcs": [{"VpcId": v.vpc_id, "VswitchId": v.vswitch_id, "Ip": v.ip, "Status": v.status,
                            "DefaultAccess": v.default_access, "Issue": v.issue} for v in instance.linked_vpcs]}


# -- whitelist writes -----------------------------------------------------------------------------


def _internet_instance(call: Call, backend: CrBackend) -> Instance:
    """The instance of a whitelist write, after checking ``EndpointType`` and ``ModuleName``."""
    instance = _endpoint_instance(backend, call)
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


@_action("CreateInstanceEndpointAclPolicy")
def create_instance_endpoint_acl_policy(call: Call, backend: CrBackend) -> dict[str, Any]:
    """Add whitelist entries; all-or-nothing. A duplicate answers ``ACL_ENTRY_ALREADY_EXIST`` (emulator's choice).

    While the endpoint is still CREATING the call answers success and nothing is stored (Terraform
    saw the server drop such entries; see the module docstring).
    """
    instance = _internet_instance(call, backend)
    requested = _requested_entries(call)
    if instance.switching:
        return dict(OK)
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


@_action("DeleteInstanceEndpointAclPolicy")
def delete_instance_endpoint_acl_policy(call: Call, backend: CrBackend) -> dict[str, Any]:
    """Remove whitelist entries; all-or-nothing. A missing one answers ``ACL_ENTRY_NOT_EXIST`` (emulator's choice).

    Deleting the last entry is allowed, as on the real cloud: the endpoint is then open to everyone.
    While the endpoint is still CREATING the call answers success and changes nothing (emulator's choice).
    """
    instance = _internet_instance(call, backend)
    targets = {_network(e.entry) for e in _requested_entries(call)}
    if instance.switching:
        return dict(OK)
    present = {_stored_network(e.entry) for e in instance.acl}
    if not targets <= present:
        return _failure("ACL_ENTRY_NOT_EXIST")
    instance.acl = [e for e in instance.acl if _stored_network(e.entry) not in targets]
    instance.modified_time = int(call.cloud.clock.now() * 1000)
    return dict(OK)


@_action("UpdateInstanceEndpointStatus")
def update_instance_endpoint_status(call: Call, backend: CrBackend) -> dict[str, Any]:
    """Enable or disable the internet endpoint.

    Enabling is asynchronous: the endpoint is ``CREATING`` until ``enable_delay_s`` of cloud clock
    have passed, then ``RUNNING`` with ``127.0.0.1/32`` (comment ``default``) added when it is not
    already listed (see the module docstring for the sources). Enabling an enabled endpoint
    changes nothing. Disabling is immediate and keeps the entries (emulator's choice).
    """
    instance = _internet_instance(call, backend)
    enable = call.get_bool("Enable")
    if enable is None:
        raise CloudError("MissingParameter", 'The input parameter "Enable" that is mandatory for processing '
                         "this request is not supplied.", 400)
    now = call.cloud.clock.now()
    if enable and not instance.internet_enable:
        instance.internet_status, instance.internet_since = "CREATING", now
        instance.internet_enable = True
        instance.settle(now)  # a world with enable_delay_s 0 is RUNNING at once
    elif not enable:
        instance.internet_enable = False  # its Status is no longer answered
    instance.modified_time = int(call.cloud.clock.now() * 1000)
    return dict(OK)


# -- repositories, tags and artifact build rules ---------------------------------------------------

ACCELERATED_IMAGE = "ACCELERATED_IMAGE"
SCOPE_REPOSITORY = "REPOSITORY"
#: editions that may create ACCELERATED_IMAGE rules (the Chinese CreateArtifactBuildRule page; a world's
#: ``acceleration_editions`` on an instance overrides it, e.g. with the English page's Advanced only)
ACCELERATION_EDITIONS = ("Enterprise_Standard", "Enterprise_Advanced")


def _repo_not_exist(what: str) -> AcrFailure:
    return AcrFailure("REPO_NOT_EXIST", f"The repository {what} does not exist.")


def _repository_body(instance: Instance, repo: Repository) -> dict[str, Any]:
    return {"InstanceId": instance.id, "RepoId": repo.id, "RepoNamespaceName": repo.namespace,
            "RepoName": repo.name, "RepoType": repo.repo_type, "RepoStatus": repo.status,
            "RepoBuildType": "MANUAL", "Summary": repo.summary, "TagImmutability": repo.tag_immutability,
            "ResourceGroupId": instance.resource_group_id, "CreateTime": repo.create_time,
            "ModifiedTime": repo.modified_time}


def _repository_of(call: Call, instance: Instance) -> Repository:
    """The repository named by ``RepoId``, or by ``RepoNamespaceName`` + ``RepoName``."""
    repo_id = call.get("RepoId")
    if repo_id:
        repo = instance.repository_by_id(repo_id)
        if repo is None:
            raise _repo_not_exist(repo_id)
        return repo
    namespace, name = call.get("RepoNamespaceName"), call.get("RepoName")
    if not namespace or not name:
        raise CloudError("MissingParameter", 'The input parameter "RepoId" (or "RepoNamespaceName" and "RepoName") '
                         "that is mandatory for processing this request is not supplied.", 400)
    repo = instance.repository(namespace, name)
    if repo is None:
        raise _repo_not_exist(f"{namespace}/{name}")
    return repo


@_action("GetRepository")
def get_repository(call: Call, backend: CrBackend) -> dict[str, Any]:
    """One repository, by ``RepoId`` or by ``RepoNamespaceName`` + ``RepoName``."""
    instance = backend.get(call.require("InstanceId"))
    return {**OK, **_repository_body(instance, _repository_of(call, instance))}


@_action("ListRepository")
def list_repository(call: Call, backend: CrBackend) -> dict[str, Any]:
    """Repositories of an instance, paged by ``PageNo``/``PageSize`` (at most 100), filtered by namespace/name."""
    instance = backend.get(call.require("InstanceId"))
    page_no = call.get_int("PageNo", 1, minimum=1)
    page_size = call.get_int("PageSize", 30, minimum=1, maximum=100)
    repos = sorted(instance.repositories, key=lambda r: (r.namespace, r.name))
    if call.get("RepoNamespaceName"):
        repos = [r for r in repos if r.namespace == call.get("RepoNamespaceName")]
    if call.get("RepoName"):
        repos = [r for r in repos if call.get("RepoName", "") in r.name]
    if call.get("RepoStatus"):
        repos = [r for r in repos if r.status == call.get("RepoStatus")]
    page = page_by_number(repos, page_no, page_size)
    return {**OK, "Repositories": [_repository_body(instance, r) for r in page], "PageNo": page_no,
            "PageSize": page_size, "TotalCount": str(len(repos))}


def _tag_body(tag: RepoTag, *, times_as_text: bool) -> dict[str, Any]:
    convert = str if times_as_text else int
    return {"Tag": tag.tag, "Digest": _bare_digest(tag.digest), "ImageId": tag.image_id, "ImageSize": tag.image_size,
            "Status": tag.status, "ImageCreate": convert(tag.image_create), "ImageUpdate": convert(tag.image_update)}


@_action("GetRepoTag")
def get_repo_tag(call: Call, backend: CrBackend) -> dict[str, Any]:
    """One tag of a repository: ``ImageSize`` (bytes), ``Digest`` (bare hex), ``Status``, times (ms, numbers)."""
    instance = backend.get(call.require("InstanceId"))
    repo = instance.repository_by_id(call.require("RepoId"))
    if repo is None:
        raise _repo_not_exist(call.require("RepoId"))
    tag = repo.tag(call.require("Tag"))
    if tag is None:
        raise AcrFailure("TAG_NOT_EXIST", f"The tag {call.require('Tag')} does not exist.")
    return {**OK, **_tag_body(tag, times_as_text=False)}


@_action("ListRepoTag")
def list_repo_tag(call: Call, backend: CrBackend) -> dict[str, Any]:
    """Tags of a repository, newest ``ImageUpdate`` first (emulator's order), paged by ``PageNo``/``PageSize``."""
    instance = backend.get(call.require("InstanceId"))
    repo = instance.repository_by_id(call.require("RepoId"))
    if repo is None:
        raise _repo_not_exist(call.require("RepoId"))
    page_no = call.get_int("PageNo", 1, minimum=1)
    page_size = call.get_int("PageSize", 30, minimum=1, maximum=100)
    tags = sorted(repo.tags, key=lambda t: (-t.image_update, t.tag))
    page = page_by_number(tags, page_no, page_size)
    return {**OK, "Images": [_tag_body(t, times_as_text=True) for t in page], "PageNo": page_no,
            "PageSize": page_size, "TotalCount": str(len(tags))}


def _rule_body(rule: BuildRule) -> dict[str, Any]:
    return {"BuildRuleId": rule.id, "ScopeType": rule.scope_type, "ScopeId": rule.scope_id,
            "ArtifactType": rule.artifact_type,
            "Parameters": {"ImageIndexOnly": rule.image_index_only, "PriorityFile": rule.priority_file}}


def _rule_scope(call: Call) -> tuple[str, str]:
    scope_type = call.require("ScopeType")
    artifact_type = call.require("ArtifactType")
    if scope_type != SCOPE_REPOSITORY:
        raise invalid_parameter("ScopeType", scope_type, "only REPOSITORY is supported")
    if artifact_type != ACCELERATED_IMAGE:
        raise invalid_parameter("ArtifactType", artifact_type, "only ACCELERATED_IMAGE is supported")
    return scope_type, artifact_type


@_action("GetArtifactBuildRule")
def get_artifact_build_rule(call: Call, backend: CrBackend) -> dict[str, Any]:
    """The build rule with ``BuildRuleId``, or the one of ``ScopeType``/``ScopeId``/``ArtifactType``.

    No such rule answers ``ARTIFACT_BUILD_RULE_NOT_EXIST`` with ``IsSuccess: false`` (emulator's choice).
    """
    instance = backend.get(call.require("InstanceId"))
    rule_id = call.get("BuildRuleId")
    if rule_id:
        found = next((r for r in instance.build_rules if r.id == rule_id), None)
    else:
        scope_type, artifact_type = _rule_scope(call)
        scope_id = call.require("ScopeId")
        found = next((r for r in instance.build_rules if (r.scope_type, r.scope_id, r.artifact_type)
                      == (scope_type, scope_id, artifact_type)), None)
    if found is None:
        return _failure("ARTIFACT_BUILD_RULE_NOT_EXIST")
    return {**OK, **_rule_body(found)}


@_action("CreateArtifactBuildRule")
def create_artifact_build_rule(call: Call, backend: CrBackend) -> dict[str, Any]:
    """Create a repository's ``ACCELERATED_IMAGE`` rule (on-demand loading); answers ``BuildRuleId``.

    Refused (``IsSuccess: false``; the codes are the emulator's) on editions the reference excludes
    (``UNSUPPORTED_INSTANCE_SPECIFICATION``: Basic, or what the instance's ``acceleration_editions``
    leaves out), in finance/gov regions (``UNSUPPORTED_REGION``), and when the repository already
    has one (``ARTIFACT_BUILD_RULE_ALREADY_EXIST``).
    """
    instance = backend.get(call.require("InstanceId"))
    scope_type, artifact_type = _rule_scope(call)
    repo = instance.repository_by_id(call.require("ScopeId"))
    if repo is None:
        raise _repo_not_exist(call.require("ScopeId"))
    if instance.specification not in tuple(instance.extra.get("acceleration_editions") or ACCELERATION_EDITIONS):
        return _failure("UNSUPPORTED_INSTANCE_SPECIFICATION")
    if "finance" in instance.region or "gov" in instance.region:
        return _failure("UNSUPPORTED_REGION")
    if any((r.scope_type, r.scope_id, r.artifact_type) == (scope_type, repo.id, artifact_type)
           for r in instance.build_rules):
        return _failure("ARTIFACT_BUILD_RULE_ALREADY_EXIST")
    raw = call.get("Parameters")  # the SDK sends the map as a JSON string
    options: dict[str, Any] = {}
    if raw:
        try:
            decoded = json.loads(raw)
        except ValueError:
            raise invalid_parameter("Parameters", raw, "expected a JSON object") from None
        if not isinstance(decoded, dict):
            raise invalid_parameter("Parameters", raw, "expected a JSON object")
        options = decoded
    rule = BuildRule(id=_stable_id("crabr", instance.id, repo.id, str(len(instance.build_rules))),
                     scope_type=scope_type, scope_id=repo.id, artifact_type=artifact_type,
                     image_index_only=bool(options.get("ImageIndexOnly", False)),
                     priority_file=str(options.get("PriorityFile", "") or ""))
    instance.build_rules.append(rule)
    instance.modified_time = int(call.cloud.clock.now() * 1000)
    return {**OK, "BuildRuleId": rule.id}
