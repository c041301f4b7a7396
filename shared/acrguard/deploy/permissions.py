"""What each deployed function may call in the cloud: one declared table per function.

Each ``Permission`` row names an API as acrguard calls it (``call(product, api, …)`` /
``call_oss(api, …)``), the RAM actions that API needs, and the kind of resource it acts on (with
the ARN form, for a renderer of resource-scoped policies). ``tests/deploy/test_permissions.py``
holds the tables to the code and to the shipped policies:

* every API a function can reach (``acrguard.deploy.callsites``) is in its table, and every row
  is reached (no stale grants);
* the function's policies (``POLICY_FILES``: its own document in ``deploy/policies/`` plus its
  state document ``<function>-state.json``), evaluated by acrguard's own policy engine, allow every
  action of every row on an example resource of the row's kind, and grant no action outside the table.

RAM actions are ``<service>:<API>`` except where the API page's authorization table says
otherwise (cited on the row). CEN's APIs (SDK product ``cbn``) are authorized as ``cen:``.
ARN forms: ACR's are the ones acrguard's policy engine matches (``acrguard.policy``); OSS's is
``acs:oss:{region}:{bucket_owner}:{bucket}/{object}`` (OSS's RAM policy pages); those marked
``verified=False`` are placeholders a scoped renderer must confirm against the API page first (the
shipped policies grant ``*`` for them). ``Permission.also`` names the other resource forms RAM may
authorize a call on, where the API page gives two or none that is sure: a scoped policy grants both.
``acrguard.deploy.render`` renders the tables as policies scoped to a config's resources.

Each function's state is an OSS folder of its own (``state/<function>/``, ``StateConfig.job_key``):
its state document lets it write that folder only, and read the config object and the one state
document all functions shared before (``state/acrguard.json``, read once to carry its part over).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResourceKind:
    """The kind of resource an action is authorized on, with its ARN form."""

    name: str
    arn: str  # a template over {account}, {region} and the kind's ids; "*" = no resource-level authorization
    verified: bool = True

    def render(self, **values: str) -> str:
        """The ARN of one resource of this kind (``KeyError`` names a missing value)."""
        return self.arn.format(**values)


@dataclass(frozen=True)
class Permission:
    """One API a function calls, the RAM actions it needs and what it acts on."""

    product: str  # acrguard.clients product ("cr", "vpc", "cbn", "ram", "sts") or "oss"
    api: str  # the API name as passed to call()/call_oss()
    actions: tuple[str, ...]  # RAM actions; () when the API publishes no authorization (none needed)
    resource: ResourceKind
    modules: tuple[str, ...] = ()  # only the call sites in these modules (empty: any module)
    source: str = ""  # where the action or resource comes from, when it is not <service>:<API>
    also: tuple[ResourceKind, ...] = ()  # other resource forms RAM may authorize the call on (see the docstring)


ANY = ResourceKind("*", "*")
NO_RESOURCE = ResourceKind("none", "")
CR_INSTANCE = ResourceKind("cr:instance", "acs:cr:{region}:{account}:instance/{instance_id}")
CR_REPOSITORY = ResourceKind("cr:repository",
                             "acs:cr:{region}:{account}:repository/{instance_id}/{namespace}/{repository}")
#: every repository of an instance (the ACR ARN table's "all repositories in an instance" form)
CR_REPOSITORIES = ResourceKind("cr:repositories", "acs:cr:{region}:{account}:repository/{instance_id}/*")
#: the CreateRouteEntry and DeleteRouteEntry pages' authorization tables (*RouteTable
#: acs:vpc:{#regionId}:{#accountId}:routetable/{#RouteTableId}), e.g.
#: https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createrouteentry
VPC_ROUTE_TABLE = ResourceKind("vpc:routetable", "acs:vpc:{region}:{account}:routetable/{route_table_id}")
#: VPC's "RAM authentication" table (AlibabaCloudDocs/vpc): DescribeVpnConnection and
#: ModifyVpnConnectionAttribute on acs:vpc:$regionid:$accountid:vpnconnection/$vpnconnectionid
VPC_VPN_CONNECTION = ResourceKind("vpc:vpnconnection", "acs:vpc:{region}:{account}:vpnconnection/{vpn_connection_id}")
#: DeleteRouteServiceInCen's page (*CenInstance acs:cen:*:{#accountId}:ceninstance/{#ceninstanceId})
CEN_INSTANCE = ResourceKind("cen:ceninstance", "acs:cen:*:{account}:ceninstance/{cen_id}")
#: CreateTransitRouterRouteEntry's page (*TransitRouterRouteTable
#: acs:cen:*:{#accountId}:centransitrouterroutetable/{#centransitrouterroutetableId})
CEN_TRANSIT_ROUTER_ROUTE_TABLE = ResourceKind("cen:centransitrouterroutetable",
                                              "acs:cen:*:{account}:centransitrouterroutetable/{route_table_id}")
#: a transit router route entry, spelled as the ListTransitRouterRouteEntries and DeleteTransitRouterRouteEntry
#: pages spell it (acs:cen:*:{#accountId}:centransitrouterroutentry/{#centransitrouterroutentryId}); entry ids are
#: made at run time, so a scoped policy names them all (``entry_id`` ``*``)
CEN_TRANSIT_ROUTER_ROUTE_ENTRY = ResourceKind("cen:centransitrouterroutentry",
                                              "acs:cen:*:{account}:centransitrouterroutentry/{entry_id}")
RAM_USER = ResourceKind("ram:user", "acs:ram:*:{account}:user/{user}", verified=False)
RAM_GROUP = ResourceKind("ram:group", "acs:ram:*:{account}:group/{group}", verified=False)
RAM_POLICY = ResourceKind("ram:policy", "acs:ram:*:{account}:policy/{policy}", verified=False)
#: DescribeClustersV1's page: authorized as cs:GetClusters on *Cluster acs:cs:*:{#accountId}:cluster/*
#: (https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/developer-reference/
#: api-query-information-about-all-clusters)
CS_CLUSTERS = ResourceKind("cs:clusters", "acs:cs:*:{account}:cluster/*")
#: one ACK cluster, in its own region (DescribeSubaccountK8sClusterUserConfig's page:
#: acs:cs:{#regionId}:{#accountId}:cluster/{#ClusterId}; DescribeClusterUserKubeconfig's copies lose the column)
CS_CLUSTER = ResourceKind("cs:cluster", "acs:cs:{region}:{account}:cluster/{cluster_id}", verified=False)
#: the OSS objects of the documented layout (docs/deploying.md, step 2): one bucket acrguard-*;
#: a function's state folder is named after the function (``{function}``: ``acrguard-endpoint-keeper``)
OSS_STATE = ResourceKind("oss:object/state", "acs:oss:*:{account}:{bucket}/state/{function}/{key}")
#: the state document every function shared before each had its own (``state.key``; read once, to carry over)
OSS_SHARED_STATE = ResourceKind("oss:object/shared-state", "acs:oss:*:{account}:{bucket}/state/acrguard.json")
#: the bucket itself: listing a prefix of the state records (ListObjectsV2) is authorized on the bucket
OSS_STATE_BUCKET = ResourceKind("oss:bucket/state", "acs:oss:*:{account}:{bucket}")
OSS_CONFIG = ResourceKind("oss:object/config", "acs:oss:*:{account}:{bucket}/acrguard.yaml")
OSS_EXPORTS = ResourceKind("oss:object/exports", "acs:oss:*:{account}:{bucket}/exports/{key}")
OSS_CONFIGMAPS = ResourceKind("oss:object/configmaps", "acs:oss:*:{account}:{bucket}/configmaps/{key}")

_HEAD = ("reading an object's metadata (HeadObject) needs oss:GetObject "
         "(https://www.alibabacloud.com/help/zh/doc-detail/118942.htm)")
_REPO_TAG = ("the API page's authorization table: cr:ListRepositoryTag "
             "(GetRepoTag: https://www.alibabacloud.com/help/doc-detail/371968.htm)")

_SHARED = ("a function whose own state document does not exist yet reads its part of the one all functions "
           "shared before (acrguard.state.perjob); never written")

#: the state store (the function's own folder) and the config object: every function (``<function>-state.json``)
STATE: tuple[Permission, ...] = (
    Permission("oss", "GetObject", ("oss:GetObject",), OSS_STATE, ("acrguard.state.oss",)),
    Permission("oss", "HeadObject", ("oss:GetObject",), OSS_STATE, ("acrguard.state.oss",), _HEAD),
    Permission("oss", "PutObject", ("oss:PutObject",), OSS_STATE, ("acrguard.state.oss",)),
    Permission("oss", "DeleteObject", ("oss:DeleteObject",), OSS_STATE, ("acrguard.state.oss",)),
    Permission("oss", "ListObjectsV2", ("oss:ListObjects",), OSS_STATE_BUCKET, ("acrguard.state.oss",),
               source="listing the records under a prefix of the function's folder needs oss:ListObjects on the "
                      "bucket (https://www.alibabacloud.com/help/en/oss/developer-reference/listobjectsv2)"),
    Permission("oss", "GetObject", ("oss:GetObject",), OSS_SHARED_STATE, ("acrguard.state.oss",), _SHARED),
    Permission("oss", "GetObject", ("oss:GetObject",), OSS_CONFIG, ("acrguard.runtime.settings",)),
)

ENDPOINT_KEEPER: tuple[Permission, ...] = (
    Permission("cr", "GetInstance", ("cr:GetInstance",), CR_INSTANCE),
    Permission("cr", "GetInstanceVpcEndpoint", ("cr:GetInstanceVpcEndpoint",), CR_INSTANCE),
    Permission("vpc", "DescribeRouteEntryList", ("vpc:DescribeRouteEntryList",), VPC_ROUTE_TABLE),
    Permission("vpc", "CreateRouteEntry", ("vpc:CreateRouteEntry",), VPC_ROUTE_TABLE),
    Permission("vpc", "DeleteRouteEntry", ("vpc:DeleteRouteEntry",), VPC_ROUTE_TABLE),
    Permission("vpc", "DescribeVpnConnection", ("vpc:DescribeVpnConnection",), VPC_VPN_CONNECTION),
    Permission("vpc", "ModifyVpnConnectionAttribute", ("vpc:ModifyVpnConnectionAttribute",), VPC_VPN_CONNECTION),
    Permission("cbn", "DescribeRouteServicesInCen", ("cen:DescribeRouteServicesInCen",), CEN_INSTANCE),
    Permission("cbn", "ResolveAndRouteServiceInCen", ("cen:ResolveAndRouteServiceInCen",), CEN_INSTANCE),
    Permission("cbn", "DeleteRouteServiceInCen", ("cen:DeleteRouteServiceInCen",), CEN_INSTANCE),
    # the page lists the table and the entries as resources (none required)
    Permission("cbn", "ListTransitRouterRouteEntries", ("cen:ListTransitRouterRouteEntries",),
               CEN_TRANSIT_ROUTER_ROUTE_TABLE, also=(CEN_TRANSIT_ROUTER_ROUTE_ENTRY,),
               source="https://www.alibabacloud.com/help/en/cen/developer-reference/"
                      "api-cbn-2017-09-12-listtransitrouterrouteentries (authorization table)"),
    Permission("cbn", "CreateTransitRouterRouteEntry", ("cen:CreateTransitRouterRouteEntry",),
               CEN_TRANSIT_ROUTER_ROUTE_TABLE),
    # deleted by entry id: the page lists the entry and the table as resources (neither required)
    Permission("cbn", "DeleteTransitRouterRouteEntry", ("cen:DeleteTransitRouterRouteEntry",),
               CEN_TRANSIT_ROUTER_ROUTE_TABLE, also=(CEN_TRANSIT_ROUTER_ROUTE_ENTRY,),
               source="https://www.alibabacloud.com/help/en/cen/developer-reference/"
                      "api-cbn-2017-09-12-deletetransitrouterrouteentry (authorization table)"),
    Permission("oss", "GetObject", ("oss:GetObject",), OSS_EXPORTS, ("acrguard.routes.exports.write",)),
    Permission("oss", "PutObject", ("oss:PutObject",), OSS_EXPORTS, ("acrguard.routes.exports.write",)),
)

WHITELIST_GUARD: tuple[Permission, ...] = (
    Permission("cr", "GetInstanceEndpoint", ("cr:GetInstanceEndpoint",), CR_INSTANCE),
    Permission("cr", "CreateInstanceEndpointAclPolicy", ("cr:CreateInstanceEndpointAclPolicy",), CR_INSTANCE),
    Permission("cr", "DeleteInstanceEndpointAclPolicy", ("cr:DeleteInstanceEndpointAclPolicy",), CR_INSTANCE),
    # the endpoint switch, when the whitelist says manage_endpoint_status
    Permission("cr", "UpdateInstanceEndpointStatus", ("cr:UpdateInstanceEndpointStatus",), CR_INSTANCE),
    Permission("sts", "GetCallerIdentity", (), NO_RESOURCE,
               source="the API page publishes no authorization (https://help.aliyun.com/document_detail/371868.htm)"),
)

PULLKEY_AUDITOR: tuple[Permission, ...] = (
    Permission("ram", "ListUsers", ("ram:ListUsers",), RAM_USER),
    Permission("ram", "ListGroupsForUser", ("ram:ListGroupsForUser",), RAM_USER),
    Permission("ram", "ListUsersForGroup", ("ram:ListUsersForGroup",), RAM_GROUP),
    Permission("ram", "ListPoliciesForUser", ("ram:ListPoliciesForUser",), RAM_USER),
    Permission("ram", "ListPoliciesForGroup", ("ram:ListPoliciesForGroup",), RAM_GROUP),
    # who holds a policy whose version changed (policy-version events)
    Permission("ram", "ListEntitiesForPolicy", ("ram:ListEntitiesForPolicy",), RAM_POLICY),
    Permission("ram", "GetPolicy", ("ram:GetPolicy",), RAM_POLICY),
    Permission("ram", "GetPolicyVersion", ("ram:GetPolicyVersion",), RAM_POLICY),
    Permission("ram", "ListAccessKeys", ("ram:ListAccessKeys",), RAM_USER),
    Permission("ram", "GetAccessKeyLastUsed", ("ram:GetAccessKeyLastUsed",), RAM_USER),
    Permission("ram", "GetLoginProfile", ("ram:GetLoginProfile",), RAM_USER),
    # the per-policy read plan (acrguard.pullkeys.plan): DefaultVersion and AttachmentCount of every policy
    Permission("ram", "ListPolicies", ("ram:ListPolicies",), RAM_POLICY),
    # IMS (ims 2019-08-15) is authorized with ram: actions
    Permission("ims", "GetUser", ("ram:GetUser",), RAM_USER,
               source="https://www.alibabacloud.com/help/en/ram/developer-reference/api-ims-2019-08-15-getuser"),
    Permission("ims", "GenerateCredentialReport", ("ram:GenerateCredentialReport",), ANY,
               source="by analogy with GetCredentialReport (no authorization table in the copies of "
                      "https://www.alibabacloud.com/help/en/resource-access-management/latest/generatecredentialreport)"),
    Permission("ims", "GetCredentialReport", ("ram:GetCredentialReport",), ANY,
               source="https://www.alibabacloud.com/help/en/ram/developer-reference/api-ims-2019-08-15-getcredentialreport"),
    Permission("oss", "GetObject", ("oss:GetObject",), OSS_CONFIGMAPS, ("acrguard.pullkeys.sources",)),
    # ACK clusters (pull_keys.clusters): list them, then a 15-minute kubeconfig each (acrguard.pullkeys.clusters)
    Permission("cs", "DescribeClustersV1", ("cs:GetClusters",), CS_CLUSTERS,
               source="https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/developer-reference/"
                      "api-query-information-about-all-clusters (authorization table)"),
    Permission("cs", "DescribeClusterUserKubeconfig", ("cs:DescribeClusterUserKubeconfig",), CS_CLUSTER,
               source="https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/developer-reference/"
                      "api-cs-2015-12-15-describeclusteruserkubeconfig (authorization table)"),
)

IMAGE_ADVISOR: tuple[Permission, ...] = (
    Permission("cr", "GetInstance", ("cr:GetInstance",), CR_INSTANCE),
    Permission("cr", "ListRepository", ("cr:ListRepository",), CR_INSTANCE, also=(CR_REPOSITORIES,),
               source="no authorization table found: the instance, or every repository of it (ACR's ARN table, "
                      "https://help.aliyun.com/en/acr/user-guide/ram-authorization-information)"),
    Permission("cr", "GetRepository", ("cr:GetRepository",), CR_REPOSITORY),
    Permission("cr", "ListRepoTag", ("cr:ListRepositoryTag",), CR_REPOSITORY, source=_REPO_TAG),
    Permission("cr", "GetRepoTag", ("cr:ListRepositoryTag",), CR_REPOSITORY, source=_REPO_TAG),
    Permission("cr", "GetArtifactBuildRule", ("cr:GetArtifactBuildRule",), CR_INSTANCE),
    Permission("cr", "CreateArtifactBuildRule", ("cr:CreateArtifactBuildRule",), CR_INSTANCE),
)

#: a member account's role, assumed by a function of an organisation (``organization.role_name``: ``acrguard-member``,
#: or ``acrguard-<function>`` with ``{function}``)
RAM_ROLE = ResourceKind("ram:role", "acs:ram:*:{account}:role/{role}")
#: an acrguard function (the coordinator invokes its own function once per shard)
FC_FUNCTION = ResourceKind("fc:function", "acs:fc:{region}:{account}:functions/{function}")

#: what every function needs in an organisation (``acrguard.org``), beyond its own table: enumerate the Resource
#: Directory, enter member accounts, invoke itself per shard. Granted by ``ORGANIZATION_POLICY_FILE``, attached to the
#: function roles of an organisation's deployment only, so a function in one account holds none of it.
ORGANIZATION: tuple[Permission, ...] = (
    Permission("resourcemanager", "ListAccounts", ("resourcemanager:ListAccounts",), ANY, ("acrguard.org.accounts",),
               source="https://www.alibabacloud.com/help/en/doc-detail/160016.htm (All Resources)"),
    Permission("resourcemanager", "ListFoldersForParent", ("resourcemanager:ListFoldersForParent",), ANY,
               ("acrguard.org.accounts",), source="All Resources, as ListAccounts"),
    Permission("sts", "AssumeRole", ("sts:AssumeRole",), RAM_ROLE, ("acrguard.org.assume",),
               source="https://www.alibabacloud.com/help/doc-detail/28763.html (AssumeRole on the role's ARN)"),
    Permission("sts", "GetCallerIdentity", (), NO_RESOURCE, ("acrguard.org.runtime",),
               source="the API page publishes no authorization (https://help.aliyun.com/document_detail/371868.htm)"),
    Permission("fc", "InvokeFunction", ("fc:InvokeFunction",), FC_FUNCTION, ("acrguard.org.fanout",),
               source="https://www.alibabacloud.com/help/en/functioncompute/api-fc-2023-03-30-invokefunction"),
)
#: the policy an organisation's function roles get besides their own two (deploy/policies/)
ORGANIZATION_POLICY_FILE = "acrguard-organization.json"

#: job -> every API its function may call (its own rows, then the state store's)
PERMISSIONS: dict[str, tuple[Permission, ...]] = {
    "endpoint_keeper": ENDPOINT_KEEPER + STATE,
    "whitelist_guard": WHITELIST_GUARD + STATE,
    "pullkey_auditor": PULLKEY_AUDITOR + STATE,
    "image_advisor": IMAGE_ADVISOR + STATE,
}

#: the policy documents in deploy/policies/ that each function's role gets (docs/deploying.md, step 1):
#: its own, then its state document (its own state folder, the config object)
POLICY_FILES: dict[str, tuple[str, str]] = {
    job: (f"acrguard-{job.replace('_', '-')}.json", f"acrguard-{job.replace('_', '-')}-state.json")
    for job in PERMISSIONS
}

#: modules whose cloud calls run outside Function Compute: the CLI, the demo, ``deploy check``, ``doctor``
NOT_DEPLOYED: tuple[str, ...] = ("acrguard.cli", "acrguard.demo", "acrguard.deploy", "acrguard.doctor")


def actions(job: str) -> frozenset[str]:
    """Every RAM action the job's table needs."""
    return frozenset(action for row in PERMISSIONS[job] for action in row.actions)


def state_folder(job: str) -> str:
    """The name of ``job``'s state folder (``{function}`` of ``OSS_STATE``): its function's name."""
    from acrguard.functions import function

    return function(job).fc_name
