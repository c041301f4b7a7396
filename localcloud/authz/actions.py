"""Every emulated API's RAM action and resource ARNs: one row per (product, API), each with its source.

The gateway (``localcloud.servers.openapi``) and the OSS server authorize each request by its row:
the caller's policies must allow ``action`` on every ARN the row's templates produce. An API with
no row is refused for every caller but an account's root, with ``LocalCloud.AuthorizationRowMissing``
naming the row to add: whoever emulates a new API adds its row here, from the API page's
authorization table ("授权信息" / "Authorization information" / "RAM authorization").

Templates are ``str.format`` strings over the request: ``{region}`` (the request's region),
``{account}`` (the caller's account, which owns the resources of OpenAPI products), any request
parameter by its name (``{InstanceId}``), any ROA path parameter (``{functionName}``), and the
derived names in ``DERIVED`` (computed from the request and, where an API names a resource only by
id, from the product's state). A name the request does not carry is empty. Where a page gives no
resource form the row says ``*`` and its note says so; resource forms taken from a sibling API's
page are marked "by analogy".

How to add a row (for example ActionTrail's ``GetGlobalEventsStorageRegion``)::

    ActionRow("actiontrail", "GetGlobalEventsStorageRegion", "actiontrail:GetGlobalEventsStorageRegion",
              ("*",), source="<the API page URL>", note="no resource-level authorization"),

``product`` is the local product (``Service.product``), ``api`` the action it dispatches (for OSS,
the operation name the OSS server gives the request), ``action`` the RAM action (``None``: the API
needs no permission).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from localcloud.core.identity import Principal
    from localcloud.core.state import CloudState


@dataclass(frozen=True)
class ActionRow:
    """One emulated API: its RAM action (None: no permission needed) and resource ARN templates."""

    product: str
    api: str
    action: str | None
    resources: tuple[str, ...] = ("*",)
    source: str = ""
    note: str = ""


@dataclass
class RequestFacts:
    """What a template can name about a request."""

    cloud: CloudState
    principal: Principal
    product: str
    api: str
    region: str
    params: Mapping[str, str] = field(default_factory=dict)
    path_params: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        """A parameter or path parameter, or ``""``."""
        return str(self.params.get(name) or self.path_params.get(name) or "")


# -- sources ------------------------------------------------------------------------------------

ACR_RAM = "https://help.aliyun.com/en/acr/user-guide/ram-authorization-information"
ACR_API = "https://www.alibabacloud.com/help/en/acr/developer-reference/api-cr-2018-12-01-{}"
VPC_RAM = ("AlibabaCloudDocs/vpc 'RAM authentication' (VPC APIs table: CreateRouteEntry, DeleteRouteEntry -> "
           "routetable; DescribeVpnConnection, ModifyVpnConnectionAttribute -> vpnconnection)")
VPC_API = "https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-{}"
CEN_API = "https://www.alibabacloud.com/help/en/cen/developer-reference/api-cbn-2017-09-12-{}"
RAM_API = "https://www.alibabacloud.com/help/en/ram/developer-reference/api-ram-2015-05-01-{}"
IMS_API = "https://www.alibabacloud.com/help/en/ram/developer-reference/api-ims-2019-08-15-{}"
STS_ASSUME = ("https://www.alibabacloud.com/help/doc-detail/28763.html (AssumeRole) and "
              "https://help.aliyun.com/en/ram/support/faq-about-ram-roles-and-sts-tokens (policy example)")
FC_ARN = ("FC 3.0 ROA authorization form acs:fc:{#regionId}:{#accountId}:functions/{#functionName} "
          "(Alibaba Cloud OpenAPI TeaDSL notes on ROA RAM actions)")
OSS_RAM = "https://www.alibabacloud.com/help/en/oss/user-guide/how-oss-works-with-ram"
CS_API = "https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/developer-reference/{}"

_CR_INSTANCE = ("acs:cr:{region}:{account}:instance/{InstanceId}",)
_CR_REPOSITORY = ("acs:cr:{region}:{account}:repository/{InstanceId}/{CrRepository}",)
_VPC_TABLE = ("acs:vpc:{region}:{account}:routetable/{VpcRouteTableId}",)
_VPC_VPN = ("acs:vpc:{region}:{account}:vpnconnection/{VpnConnectionId}",)
_CEN = ("acs:cen:*:{account}:ceninstance/{CenId}",)
_CEN_TR_TABLE = ("acs:cen:*:{account}:centransitrouterroutetable/{TransitRouterRouteTableId}",)
_RAM_USER = ("acs:ram:*:{account}:user/{UserName}",)
_RAM_TARGET_USER = ("acs:ram:*:{account}:user/{TargetUser}",)
_RAM_GROUP = ("acs:ram:*:{account}:group/{GroupName}",)
_RAM_POLICY = ("acs:ram:*:{PolicyOwner}:policy/{PolicyName}",)
_RAM_CUSTOM_POLICY = ("acs:ram:*:{account}:policy/{PolicyName}",)
_FC_FUNCTION = ("acs:fc:{region}:{account}:functions/{functionName}",)
_OSS_OBJECT = ("acs:oss:{BucketRegion}:{BucketOwner}:{Bucket}/{Key}",)


def _cr(api: str, action: str, resources: tuple[str, ...], note: str = "") -> ActionRow:
    page = ACR_API.format(api.lower())
    return ActionRow("cr", api, action, resources, f"{page}; ARN forms: {ACR_RAM}", note)


def _ram(api: str, resources: tuple[str, ...], note: str = "") -> ActionRow:
    return ActionRow("ram", api, f"ram:{api}", resources, RAM_API.format(api.lower()), note)


ROWS: tuple[ActionRow, ...] = (
    # -- Container Registry (cr 2018-12-01) ------------------------------------------------------
    _cr("ListInstance", "cr:ListInstance", ("*",), "the page lists no resource type (All Resources)"),
    _cr("GetInstance", "cr:GetInstance", _CR_INSTANCE),
    _cr("GetInstanceEndpoint", "cr:GetInstanceEndpoint", _CR_INSTANCE),
    _cr("ListInstanceEndpoint", "cr:ListInstanceEndpoint", _CR_INSTANCE, "instance ARN by analogy with GetInstance"),
    _cr("GetInstanceVpcEndpoint", "cr:GetInstanceVpcEndpoint", _CR_INSTANCE,
        "instance ARN by analogy with GetInstance"),
    _cr("CreateInstanceEndpointAclPolicy", "cr:CreateInstanceEndpointAclPolicy", _CR_INSTANCE,
        "instance ARN by analogy with GetInstanceEndpoint"),
    _cr("DeleteInstanceEndpointAclPolicy", "cr:DeleteInstanceEndpointAclPolicy", _CR_INSTANCE,
        "instance ARN by analogy with GetInstanceEndpoint"),
    _cr("UpdateInstanceEndpointStatus", "cr:UpdateInstanceEndpointStatus", _CR_INSTANCE,
        "instance ARN by analogy with GetInstanceEndpoint"),
    _cr("GetRepository", "cr:GetRepository", _CR_REPOSITORY),
    _cr("ListRepository", "cr:ListRepository", ("acs:cr:{region}:{account}:repository/{InstanceId}/*",),
        "emulator's choice: every repository of the instance (the ACR ARN table's 'all in instance' form)"),
    ActionRow("cr", "GetRepoTag", "cr:ListRepositoryTag", _CR_REPOSITORY,
              f"https://www.alibabacloud.com/help/doc-detail/371968.htm (GetRepoTag, authorization table); {ACR_RAM}",
              "authorized as cr:ListRepositoryTag, not cr:GetRepoTag; repository ARN by analogy with GetRepository"),
    _cr("ListRepoTag", "cr:ListRepositoryTag", _CR_REPOSITORY,
        "the ACR mapping authorizes ListRepoTag as cr:ListRepositoryTag; repository ARN by analogy"),
    _cr("GetArtifactBuildRule", "cr:GetArtifactBuildRule", _CR_INSTANCE, "emulator's choice: the instance ARN"),
    _cr("CreateArtifactBuildRule", "cr:CreateArtifactBuildRule", _CR_INSTANCE, "emulator's choice: the instance ARN"),
    # -- VPC (vpc 2016-04-28) ----------------------------------------------------------------------
    ActionRow("vpc", "DescribeRouteEntryList", "vpc:DescribeRouteEntryList", _VPC_TABLE,
              VPC_API.format("describerouteentrylist")),
    ActionRow("vpc", "CreateRouteEntry", "vpc:CreateRouteEntry", _VPC_TABLE,
              f"{VPC_API.format('createrouteentry')}; {VPC_RAM}"),
    ActionRow("vpc", "DeleteRouteEntry", "vpc:DeleteRouteEntry", _VPC_TABLE,
              f"{VPC_API.format('deleterouteentry')}; {VPC_RAM}",
              "a request naming only RouteEntryId is authorized on the entry's table"),
    ActionRow("vpc", "DescribeVpnConnection", "vpc:DescribeVpnConnection", _VPC_VPN, VPC_RAM),
    ActionRow("vpc", "ModifyVpnConnectionAttribute", "vpc:ModifyVpnConnectionAttribute", _VPC_VPN, VPC_RAM),
    # -- CEN (cbn 2017-09-12; RAM service code "cen") ----------------------------------------------
    ActionRow("cbn", "DeleteRouteServiceInCen", "cen:DeleteRouteServiceInCen", _CEN,
              CEN_API.format("deleterouteserviceincen")),
    ActionRow("cbn", "ResolveAndRouteServiceInCen", "cen:ResolveAndRouteServiceInCen", _CEN,
              CEN_API.format("resolveandrouteserviceincen"), "ceninstance ARN by analogy with DeleteRouteServiceInCen"),
    ActionRow("cbn", "DescribeRouteServicesInCen", "cen:DescribeRouteServicesInCen", _CEN,
              CEN_API.format("describerouteservicesincen"), "ceninstance ARN by analogy with DeleteRouteServiceInCen"),
    ActionRow("cbn", "CreateTransitRouterRouteEntry", "cen:CreateTransitRouterRouteEntry", _CEN_TR_TABLE,
              CEN_API.format("createtransitrouterrouteentry")),
    ActionRow("cbn", "ListTransitRouterRouteEntries", "cen:ListTransitRouterRouteEntries", _CEN_TR_TABLE,
              CEN_API.format("listtransitrouterrouteentries"),
              "route-table ARN by analogy with CreateTransitRouterRouteEntry"),
    ActionRow("cbn", "DeleteTransitRouterRouteEntry", "cen:DeleteTransitRouterRouteEntry", ("{CenRouteEntryArn}",),
              CEN_API.format("deletetransitrouterrouteentry"),
              "the entry (centransitrouterroutentry/<id>, the page's spelling) when RouteEntryId is sent, else "
              "the route table"),
    # -- Function Compute 3.0 (fc 2023-03-30, ROA) -------------------------------------------------
    ActionRow("fc", "GetFunction", "fc:GetFunction", _FC_FUNCTION, FC_ARN),
    ActionRow("fc", "ListTriggers", "fc:ListTriggers", _FC_FUNCTION, FC_ARN, "emulator's choice: the function ARN"),
    ActionRow("fc", "GetTrigger", "fc:GetTrigger", _FC_FUNCTION, FC_ARN, "emulator's choice: the function ARN"),
    ActionRow("fc", "GetAsyncInvokeConfig", "fc:GetAsyncInvokeConfig", _FC_FUNCTION, FC_ARN,
              "emulator's choice: the function ARN"),
    ActionRow("fc", "GetConcurrencyConfig", "fc:GetConcurrencyConfig", _FC_FUNCTION, FC_ARN,
              "emulator's choice: the function ARN"),
    ActionRow("fc", "InvokeFunction", "fc:InvokeFunction", _FC_FUNCTION,
              "https://www.alibabacloud.com/help/en/functioncompute/api-fc-2023-03-30-invokefunction; " + FC_ARN,
              "the function ARN; the form as in the table of its sibling EnableFunctionInvocation "
              "(https://help.aliyun.com/zh/functioncompute/fc/developer-reference/"
              "api-fc-2023-03-30-enablefunctioninvocation: *Function acs:fc:{#regionId}:{#accountId}:functions/"
              "{#FunctionName})"),
    # -- Resource Management (resourcemanager 2020-03-31): the Resource Directory's members ----------
    ActionRow("resourcemanager", "ListAccounts", "resourcemanager:ListAccounts", ("*",),
              "https://www.alibabacloud.com/help/en/doc-detail/160016.htm",
              "no resource-level authorization (one revision of the page discloses no table; All Resources)"),
    ActionRow("resourcemanager", "ListFoldersForParent", "resourcemanager:ListFoldersForParent", ("*",),
              "https://www.alibabacloud.com/help/en/resource-management/resource-directory/developer-reference/"
              "api-resourcedirectorymaster-2022-04-19-listfoldersforparent",
              "emulator's choice: All Resources, as ListAccounts"),
    # -- Container Service for Kubernetes (cs 2015-12-15, ROA) ---------------------------------------
    ActionRow("cs", "DescribeClustersV1", "cs:GetClusters", ("acs:cs:*:{account}:cluster/*",),
              CS_API.format("api-query-information-about-all-clusters") + " (Nov 04, 2025)",
              "the page's table: authorized as cs:GetClusters (not cs:DescribeClustersV1), access level get, "
              "*Cluster acs:cs:*:{#accountId}:cluster/*"),
    ActionRow("cs", "DescribeClusterUserKubeconfig", "cs:DescribeClusterUserKubeconfig",
              ("acs:cs:{CsClusterRegion}:{account}:cluster/{ClusterId}",),
              CS_API.format("api-cs-2015-12-15-describeclusteruserkubeconfig"),
              "the page's table: cs:DescribeClusterUserKubeconfig, access level get; the copies read lose its "
              "resource column, so the cluster ARN acs:cs:{#regionId}:{#accountId}:cluster/{#ClusterId} is by "
              "analogy with DescribeSubaccountK8sClusterUserConfig, in the cluster's own region"),
    # -- RAM (ram 2015-05-01) ----------------------------------------------------------------------
    _ram("ListUsers", ("acs:ram:*:{account}:user/*",), "user/* by analogy with ListRoles (role/*)"),
    _ram("GetUser", _RAM_USER),
    _ram("CreateUser", _RAM_USER, "user ARN by analogy with GetUser"),
    _ram("ListGroups", ("acs:ram:*:{account}:group/*",), "group/* by analogy with ListRoles (role/*)"),
    _ram("CreateGroup", _RAM_GROUP, "group ARN by analogy with CreatePolicy/CreateRole"),
    _ram("ListGroupsForUser", _RAM_USER, "user ARN by analogy with GetUser"),
    _ram("ListUsersForGroup", _RAM_GROUP, "group ARN by analogy"),
    _ram("AddUserToGroup", _RAM_GROUP + _RAM_USER, "emulator's choice: both the group and the user"),
    _ram("RemoveUserFromGroup", _RAM_GROUP + _RAM_USER, "emulator's choice: both the group and the user"),
    _ram("ListPolicies", ("acs:ram:*:{account}:policy/*", "acs:ram:*:system:policy/*"),
         "emulator's choice: every custom and system policy"),
    _ram("GetPolicy", _RAM_POLICY, "system policies are acs:ram:*:system:policy/<name> (ListPolicyVersions page)"),
    _ram("GetPolicyVersion", _RAM_POLICY, "as ListPolicyVersions"),
    _ram("ListPolicyVersions", _RAM_POLICY),
    _ram("ListEntitiesForPolicy", _RAM_POLICY, "as ListPolicyVersions"),
    _ram("CreatePolicy", _RAM_CUSTOM_POLICY),
    _ram("CreatePolicyVersion", _RAM_CUSTOM_POLICY),
    _ram("SetDefaultPolicyVersion", _RAM_CUSTOM_POLICY, "policy ARN by analogy with CreatePolicyVersion"),
    _ram("DeletePolicyVersion", _RAM_CUSTOM_POLICY),
    _ram("ListPoliciesForUser", _RAM_USER, "user ARN by analogy with GetUser"),
    _ram("ListPoliciesForGroup", _RAM_GROUP, "group ARN by analogy"),
    ActionRow("ram", "ListPoliciesForRole", "ram:ListPoliciesForRole", ("acs:ram:*:{account}:role/{RamRoleName}",),
              "https://www.alibabacloud.com/help/ja/ram/developer-reference/api-ram-2015-05-01-listpoliciesforrole",
              "the page's table: access level get, resource *Role acs:ram:*:{#accountId}:role/{#RoleName}; the name "
              "lower-cased as in the role ARNs AssumeRole is authorized on (emulator's choice)"),
    _ram("AttachPolicyToUser", _RAM_POLICY + _RAM_USER, "emulator's choice: both the policy and the user"),
    _ram("DetachPolicyFromUser", _RAM_POLICY + _RAM_USER, "emulator's choice: both the policy and the user"),
    _ram("AttachPolicyToGroup", _RAM_POLICY + _RAM_GROUP, "emulator's choice: both the policy and the group"),
    _ram("DetachPolicyFromGroup", _RAM_POLICY + _RAM_GROUP, "emulator's choice: both the policy and the group"),
    _ram("ListAccessKeys", _RAM_TARGET_USER, "the named user, else the caller (user ARN by analogy)"),
    _ram("CreateAccessKey", _RAM_TARGET_USER, "the named user, else the caller (user ARN by analogy)"),
    _ram("UpdateAccessKey", _RAM_TARGET_USER, "the named user, else the caller (user ARN by analogy)"),
    _ram("DeleteAccessKey", _RAM_TARGET_USER, "the named user, else the caller (user ARN by analogy)"),
    _ram("GetAccessKeyLastUsed", _RAM_USER, "user ARN by analogy with GetUser"),
    _ram("GetLoginProfile", _RAM_USER, "user ARN by analogy with GetUser"),
    _ram("CreateLoginProfile", _RAM_USER, "user ARN by analogy with GetUser"),
    _ram("DeleteLoginProfile", _RAM_USER, "user ARN by analogy with GetUser"),
    # -- IMS (ims 2019-08-15): RAM's identity API, authorized as ram: actions -----------------------
    ActionRow("ims", "GetUser", "ram:GetUser", ("acs:ram::{account}:user/{ImsUserName}",), IMS_API.format("getuser"),
              "the page's table: ram:GetUser on *User acs:ram::{#accountId}:user/{#UserName}; the user is the one "
              "UserAccessKeyId, UserId or UserPrincipalName names"),
    ActionRow("ims", "GetCredentialReport", "ram:GetCredentialReport", ("*",), IMS_API.format("getcredentialreport"),
              "the page's table: ram:GetCredentialReport, All Resources"),
    ActionRow("ims", "GenerateCredentialReport", "ram:GenerateCredentialReport", ("*",),
              IMS_API.format("generatecredentialreport"),
              "the copies of the page read show no authorization table: the action name and All Resources are by "
              "analogy with GetCredentialReport"),
    # -- STS (sts 2015-04-01) ----------------------------------------------------------------------
    ActionRow("sts", "AssumeRole", "sts:AssumeRole", ("acs:ram:*:{RoleAccount}:role/{RoleName}",), STS_ASSUME,
              "the role's own trust policy is checked as well (localcloud.products.sts)"),
    ActionRow("sts", "GetCallerIdentity", None, (), "emulator's choice",
              "no permission needed: it only tells callers who they are"),
    # -- OSS (operations of the OSS server) --------------------------------------------------------
    ActionRow("oss", "PutObject", "oss:PutObject", _OSS_OBJECT, OSS_RAM),
    ActionRow("oss", "GetObject", "oss:GetObject", _OSS_OBJECT, OSS_RAM),
    ActionRow("oss", "HeadObject", "oss:GetObject", _OSS_OBJECT, OSS_RAM, "HeadObject is authorized as oss:GetObject"),
    ActionRow("oss", "DeleteObject", "oss:DeleteObject", _OSS_OBJECT, OSS_RAM),
    ActionRow("oss", "ListObjectsV2", "oss:ListObjects", ("acs:oss:{BucketRegion}:{BucketOwner}:{Bucket}",),
              f"{OSS_RAM}; https://www.alibabacloud.com/help/en/oss/developer-reference/listobjectsv2",
              "listing needs oss:ListObjects on the bucket"),
    # -- ActionTrail (actiontrail 2020-07-06): add the rows of the emulated APIs here --------------
    ActionRow("actiontrail", "GetGlobalEventsStorageRegion", "actiontrail:GetGlobalEventsStorageRegion",
              ("acs:actiontrail:*:{account}:actiontrailvirtual/*",),
              "https://www.alibabacloud.com/help/tc/actiontrail/developer-reference/"
              "api-actiontrail-2020-07-06-getglobaleventsstorageregion",
              "the page's resource type is ActionTrailVirtual, acs:actiontrail:*:{#accountId}:actiontrailvirtual/"
              "{#ActionTrailVirtualId}; the request names no id, so every one (emulator's choice)"),
)


# -- derived template names -----------------------------------------------------------------------

def _cr_repository(facts: RequestFacts) -> str:
    """``<namespace>/<repository>`` of a CR request, from its names or its repository id (``*`` if unknown)."""
    namespace, name = facts.get("RepoNamespaceName"), facts.get("RepoName")
    if namespace and name:
        return f"{namespace}/{name}"
    repo_id = facts.get("RepoId") or (facts.get("ScopeId") if facts.get("ScopeType") == "REPOSITORY" else "")
    backend = facts.cloud.backend("cr", facts.principal.account_id, facts.region)
    instance = getattr(backend, "instances", {}).get(facts.get("InstanceId"))
    finder = getattr(instance, "repository_by_id", None)
    repo = finder(repo_id) if finder is not None and repo_id else None
    return f"{repo.namespace}/{repo.name}" if repo is not None else "*"


def _vpc_route_table_id(facts: RequestFacts) -> str:
    """The request's ``RouteTableId``, else the table holding its ``RouteEntryId``."""
    if facts.get("RouteTableId"):
        return facts.get("RouteTableId")
    entry_id = facts.get("RouteEntryId")
    backend = facts.cloud.backend("vpc", facts.principal.account_id, facts.region)
    for table_id, table in getattr(backend, "tables", {}).items():
        if entry_id and entry_id in getattr(table, "entries", {}):
            return str(table_id)
    return ""


def _cen_route_entry_arn(facts: RequestFacts) -> str:
    account = facts.principal.account_id
    entry_id = facts.get("TransitRouterRouteEntryId")
    if entry_id:
        return f"acs:cen:*:{account}:centransitrouterroutentry/{entry_id}"
    return f"acs:cen:*:{account}:centransitrouterroutetable/{facts.get('TransitRouterRouteTableId')}"


def _role_arn_part(index: int) -> Callable[[RequestFacts], str]:
    def part(facts: RequestFacts) -> str:
        arn = facts.get("RoleArn")
        head, _, name = arn.partition(":role/")
        return (head.rsplit(":", 1)[-1] if index == 0 else name.lower()) if name else ""
    return part


def _target_user(facts: RequestFacts) -> str:
    return facts.get("UserName") or (facts.principal.user_name if facts.principal.kind == "ram-user" else "") or ""


def _ram_role_name(facts: RequestFacts) -> str:
    """The ``RoleName`` parameter of a RAM role API, lower-cased as in role ARNs."""
    return facts.get("RoleName").lower()


def _ims_user_name(facts: RequestFacts) -> str:
    """The RAM user an IMS request names by ``UserAccessKeyId``, ``UserId`` or ``UserPrincipalName`` (``""``: none)."""
    backend = facts.cloud.backend("ims", facts.principal.account_id, None)
    for name, finder in (("UserAccessKeyId", "user_by_key"), ("UserId", "user_by_id"),
                         ("UserPrincipalName", "user_by_principal_name")):
        if facts.get(name):
            user = getattr(backend, finder)(facts.get(name))
            return user.name if user is not None else ""
    return ""


def _cs_cluster_region(facts: RequestFacts) -> str:
    """The region of the cluster a cs request names (``ClusterId``), else the request's region."""
    account, cluster_id = facts.principal.account_id, facts.get("ClusterId")
    for region in facts.cloud.regions_of("cs", account):
        if cluster_id in getattr(facts.cloud.backend("cs", account, region), "clusters", {}):
            return region
    return facts.region


def _policy_owner(facts: RequestFacts) -> str:
    return "system" if facts.get("PolicyType") == "System" else facts.principal.account_id


#: Template names computed from the request (and the product state where an API names a resource by id).
DERIVED: dict[str, Callable[[RequestFacts], str]] = {
    "CrRepository": _cr_repository,
    "VpcRouteTableId": _vpc_route_table_id,
    "CenRouteEntryArn": _cen_route_entry_arn,
    "RoleAccount": _role_arn_part(0),
    "RoleName": _role_arn_part(1),
    "TargetUser": _target_user,
    "PolicyOwner": _policy_owner,
    "RamRoleName": _ram_role_name,
    "ImsUserName": _ims_user_name,
    "CsClusterRegion": _cs_cluster_region,
}

TABLE: dict[tuple[str, str], ActionRow] = {(row.product, row.api): row for row in ROWS}


def row_for(product: str, api: str) -> ActionRow | None:
    """The row of an API, or None when nobody has added it."""
    return TABLE.get((product, api))


def resources_for(row: ActionRow, facts: RequestFacts) -> tuple[str, ...]:
    """The ARNs a request asks for, from its row's templates."""
    values: dict[str, str] = {"region": facts.region, "account": facts.principal.account_id}
    formatter = string.Formatter()
    arns = []
    for template in row.resources:
        for _, name, _, _ in formatter.parse(template):
            if name and name not in values:
                derive = DERIVED.get(name)
                values[name] = derive(facts) if derive is not None else facts.get(name)
        arns.append(template.format_map(values))
    return tuple(arns)

