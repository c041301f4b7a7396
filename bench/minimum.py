"""The fewest API calls each job needs, derived from the world the local cloud holds, not from acrguard's code.

The rule (issue 8): **list pages + one fetch per distinct object + one write per change**. Each
function returns per-action counts and the lines that explain them, so the output can show its
working. Facts come from the emulator's state (``cloud.backend(...)``) and the world; which user
can pull is decided by a deliberately simple matcher here (Allow statements whose ``Action``, or
the complement of whose ``NotAction``, matches ``cr:PullRepository`` or ``cr:GetAuthorizationToken``,
conditions counted as granting), a cross-check independent of acrguard's policy engine.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from bench import worlds

PULL_ACTIONS = ("cr:pullrepository", "cr:getauthorizationtoken")
#: ListUsers / ListPolicies / ListGroups MaxItems upper bound (alibabacloud_ram20150501/models/_list_users_request.py)
RAM_PAGE = 1000


@dataclass
class Minimum:
    """Per-action minimum call counts and how they were derived."""

    calls: Counter[str] = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    depth: int = 0  # calls that must follow one another whatever the concurrency (figure 2's bound)

    @property
    def total(self) -> int:
        """Every call the job needs."""
        return sum(self.calls.values())

    def need(self, action: str, count: int, why: str) -> None:
        """Add ``count`` calls of ``action`` with the reason."""
        if count:
            self.calls[action] += count
        self.lines.append(f"{action} {count:,}: {why}")


# -- pull-key audit ------------------------------------------------------------------------------

def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _matches(patterns: list[str], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action, p.lower()) for p in patterns)


def grants_pull(document: str) -> bool:
    """Whether a policy document allows a pull action for some resource (conditions count as allowing)."""
    try:
        data = json.loads(document)
    except ValueError:
        return False
    statements = data.get("Statement") or []
    for statement in statements if isinstance(statements, list) else [statements]:
        if str(statement.get("Effect", "")).lower() != "allow":
            continue
        if "Action" in statement:
            if any(_matches(_as_list(statement["Action"]), a) for a in PULL_ACTIONS):
                return True
        elif "NotAction" in statement and any(not _matches(_as_list(statement["NotAction"]), a)
                                              for a in PULL_ACTIONS):
            return True
    return False


@dataclass(frozen=True)
class RamFacts:
    """The RAM population as the emulator holds it."""

    users: int
    holders: tuple[str, ...]  # users with at least one active AccessKey
    pull_users: tuple[str, ...]  # holders whose policies grant pull
    active_keys_of_pull_users: int
    groups_of_holders: int
    groups: int
    policies_of_holders: int  # distinct (name, type) attached to holders, directly or through groups
    custom_policies: int
    system_policies: int
    # what a per-policy reader meets
    attached_policies: int = 0  # policies held by some user, group or role (AttachmentCount > 0)
    pull_policies: int = 0  # attached policies whose default version grants pull (this module's matcher)
    pull_group_pages: int = 0  # ListUsersForGroup pages of the groups holding a pull policy
    candidates: int = 0  # users holding a pull policy directly or through a group
    candidate_holders: int = 0  # of those, users with an active AccessKey
    groups_of_candidate_holders: int = 0


def ram_facts(cloud: Any, only: Iterable[str] | None = None) -> RamFacts:
    """Count what a discovery audit must read (of the users ``only``, or every user), from the emulator's RAM state."""
    ram = cloud.backend("ram", worlds.ACCOUNT, None)
    policies = {(p.type, p.name): p for p in ram.policies.values()}
    holders, pull_users, active_pull_keys = [], [], 0
    groups_seen: set[str] = set()
    policies_seen: set[tuple[str, str]] = set()
    chosen = [ram.users[name] for name in only if name in ram.users] if only is not None else list(ram.users.values())

    def active(user: Any) -> list[str]:
        return [k for k in user.access_key_ids if cloud.access_keys[k].status == "Active"]

    for user in chosen:
        if not active(user):
            continue
        holders.append(user.name)
        refs = [(r.type, r.name) for r in user.policies]
        for group in user.groups:
            groups_seen.add(group)
            refs += [(r.type, r.name) for r in ram.groups[group].policies]
        policies_seen.update(refs)
        if any(grants_pull(policies[ref].default_version.document) for ref in refs):
            pull_users.append(user.name)
            active_pull_keys += len(active(user))
    attached = [ref for ref, holders_of in ram.attachments.items() if holders_of and ref in policies]
    pulling = {ref for ref in attached if grants_pull(policies[ref].default_version.document)}
    pull_groups = {name for ref in pulling for kind, name in ram.attachments[ref] if kind == "Group"}
    candidates = {name for ref in pulling for kind, name in ram.attachments[ref] if kind == "User"}
    for group in pull_groups:
        candidates.update(ram.groups[group].members)
    candidate_holders = [ram.users[name] for name in candidates if name in ram.users and active(ram.users[name])]
    return RamFacts(users=len(chosen), holders=tuple(holders), pull_users=tuple(pull_users),
                    active_keys_of_pull_users=active_pull_keys, groups_of_holders=len(groups_seen),
                    groups=len(ram.groups), policies_of_holders=len(policies_seen),
                    custom_policies=sum(1 for t, _ in policies if t == "Custom"),
                    system_policies=sum(1 for t, _ in policies if t == "System"),
                    attached_policies=len(attached), pull_policies=len(pulling),
                    pull_group_pages=sum(max(1, math.ceil(len(ram.groups[g].members) / RAM_PAGE)) for g in pull_groups),
                    candidates=len(candidates), candidate_holders=len(candidate_holders),
                    groups_of_candidate_holders=len({g for u in candidate_holders for g in u.groups}))


#: IMS credential report limits (the RAM user guide's credential-report page and the GetCredentialReport API page)
REPORT_MAX_USERS = 3500
REPORT_PAGE = 3501


def _hygiene(m: Minimum, facts: RamFacts) -> None:
    """Key hygiene of the pull users: per user, or the credential report where it is fewer calls and allowed."""
    direct = facts.active_keys_of_pull_users + len(facts.pull_users)
    pages = math.ceil((facts.users + 1) / REPORT_PAGE)
    if facts.pull_users and facts.users <= REPORT_MAX_USERS and 1 + pages < direct:
        m.need("GenerateCredentialReport", 1, f"the credential report (its {direct} per-user reads cost more; "
               f"{facts.users:,} users are within its {REPORT_MAX_USERS:,}-user limit)")
        m.need("GetCredentialReport", pages, f"{facts.users + 1:,} rows / {REPORT_PAGE} per page")
        return
    why = f"{facts.users:,} users: no credential report above {REPORT_MAX_USERS:,}" \
        if facts.users > REPORT_MAX_USERS else "fewer calls than the credential report"
    m.need("GetAccessKeyLastUsed", facts.active_keys_of_pull_users, f"one per active key of a pull user ({why})")
    m.need("GetLoginProfile", len(facts.pull_users), "one per pull user")


def audit_minimum_per_user(facts: RamFacts) -> Minimum:
    """Design A: per-user attachment lists (RAM 2015-05-01 lists attachments per identity)."""
    m = Minimum(facts={"design": "per user", "users": facts.users, "key holders": len(facts.holders),
                       "pull users": len(facts.pull_users)})
    m.need("ListUsers", math.ceil(facts.users / RAM_PAGE), f"{facts.users:,} users / {RAM_PAGE} per page")
    m.need("ListAccessKeys", facts.users, "one per user: no call lists every key of an account")
    m.need("ListPoliciesForUser", len(facts.holders), "one per user with an active key")
    m.need("ListGroupsForUser", len(facts.holders), "one per user with an active key")
    m.need("ListPoliciesForGroup", facts.groups_of_holders, "one per group of those users")
    m.need("GetPolicyVersion", facts.policies_of_holders, "one per distinct policy in force for those users "
           "(its default version)")
    _hygiene(m, facts)
    m.lines.append("writes 0: the auditor only reads")
    m.depth = math.ceil(facts.users / RAM_PAGE) + 4
    return m


def reaudit_minimum(facts: RamFacts, *, entities: int = 0, group_lists: int = 0) -> Minimum:
    """What a re-audit of some touched users needs: who they are (``entities``/``group_lists``), then design A.

    An event re-audit reads its few users directly (no credential report: it must see the change itself).
    """
    m = Minimum(facts={"touched users": facts.users, "key holders": len(facts.holders),
                       "pull users": len(facts.pull_users)})
    m.need("ListEntitiesForPolicy", entities, "who holds the policy the event changed")
    m.need("ListUsersForGroup", group_lists, "members of each group the event (or the policy) concerns")
    m.need("ListAccessKeys", facts.users, "one per touched user (does it hold an active key?)")
    m.need("ListPoliciesForUser", len(facts.holders), "one per touched user with an active key")
    m.need("ListGroupsForUser", len(facts.holders), "one per touched user with an active key")
    m.need("ListPoliciesForGroup", facts.groups_of_holders, "one per group of those users")
    m.need("GetPolicyVersion", facts.policies_of_holders, "one per distinct policy in force for them (no cache "
           "survives between invocations)")
    m.need("GetAccessKeyLastUsed", facts.active_keys_of_pull_users, "one per active key of a pull user")
    m.need("GetLoginProfile", len(facts.pull_users), "one per pull user")
    return m


def audit_minimum_per_policy(facts: RamFacts) -> Minimum:
    """Design B: read attachments per policy, and only for the policies that can grant pulling.

    ``ListPolicies`` pages carry ``DefaultVersion`` and ``AttachmentCount``, so an unattached policy
    costs nothing but its share of a page; each attached policy's default version is read once;
    ``ListEntitiesForPolicy`` runs only for those that grant pull, ``ListUsersForGroup`` for the
    groups holding them; ``ListAccessKeys`` only for those holders, and their own attachment lists
    (other policies may Deny) only for the ones with an active key.
    """
    listed = facts.custom_policies + facts.system_policies
    m = Minimum(facts={"design": "per policy", "policies listed": listed, "attached": facts.attached_policies,
                       "pull-granting": facts.pull_policies, "candidates": facts.candidates,
                       "pull users": len(facts.pull_users)})
    m.need("ListPolicies", math.ceil(listed / RAM_PAGE), f"{listed:,} policies (System and Custom) / {RAM_PAGE} "
           "per page, with DefaultVersion and AttachmentCount")
    m.need("GetPolicyVersion", facts.attached_policies, "one per attached policy (its default version)")
    m.need("ListEntitiesForPolicy", facts.pull_policies, "one per attached policy that grants pull")
    m.need("ListUsersForGroup", facts.pull_group_pages, "the member pages of each group holding one")
    m.need("ListAccessKeys", facts.candidates, "one per user holding one, directly or through a group")
    m.need("ListPoliciesForUser", facts.candidate_holders, "one per such user with an active key")
    m.need("ListGroupsForUser", facts.candidate_holders, "one per such user with an active key")
    m.need("ListPoliciesForGroup", facts.groups_of_candidate_holders, "one per group of those users")
    _hygiene(m, facts)
    m.lines.append("writes 0: the auditor only reads")
    m.depth = math.ceil(listed / RAM_PAGE) + 7
    return m


def audit_minimum(facts: RamFacts) -> Minimum:
    """The cheaper of the two designs for this world (a tie goes to the per-user design)."""
    per_user, per_policy = audit_minimum_per_user(facts), audit_minimum_per_policy(facts)
    chosen = per_policy if per_policy.total < per_user.total else per_user
    chosen.facts["other design's minimum"] = (per_user if chosen is per_policy else per_policy).total
    return chosen


# -- whitelist guard -----------------------------------------------------------------------------

def whitelist_minimum(cloud: Any, config: Any) -> Minimum:
    """Per instance: one ``GetInstanceEndpoint``, one write per entry to add or remove, and the reads removals need.

    The ACL may have another writer (a person in the console, Terraform, a second acrguard run: the
    guard is triggered by exactly such writes, ActionTrail's ``DeleteInstanceEndpointAclPolicy``), and an
    empty whitelist on an enabled endpoint is open to everyone (https://help.aliyun.com/zh/terraform/
    alicloud-cr-endpoint-acl-service). So a removal is safe only when a read made after the previous
    write shows another wanted entry still there, and the last removal's effect must be read back (an
    emptied whitelist is restored at once): one read before each removal and one after the last.
    Those reads come from the world the guard serves, not from its code; a world without removals
    needs none of them. Adds need no read: they close doors, and Terraform's own
    ``alicloud_cr_endpoint_acl_policy`` sends them side by side.

    ``depth`` (figure 2): the first read, the adds side by side (one round trip), then per removal its
    read and its write, then the read after the last removal, on the busiest instance.
    """
    from acrguard.config.whitelist import WhitelistEntry  # config model only: what was declared

    backend = cloud.backend("cr", worlds.ACCOUNT, worlds.REGION)
    m = Minimum()
    adds = removes = safety = 0
    depth = 0
    for instance in config.instances:
        section = instance.whitelist
        live = backend.instances[instance.instance_id].acl
        declared = {_cidr(e.cidr) for e in section.entries if isinstance(e, WhitelistEntry) and e.cidr}
        present = {_cidr(e.entry) for e in live}
        ours = {_cidr(e.entry) for e in live if e.comment.startswith(f"acrguard:{instance.name}:")}
        added, removed = len(declared - present), len(ours - declared)
        adds += added
        removes += removed
        safety += removed + 1 if removed else 0
        depth = max(depth, 1 + (1 if added else 0) + (2 * removed + 1 if removed else 0))
    count = len(config.instances)
    m.facts = {"instances": count, "adds": adds, "removals": removes,
               "writes per instance": (adds + removes) // count if count else 0}
    m.need("GetInstanceEndpoint", count, "one per instance (entries with comments, endpoint and ACL switches)")
    m.need("GetInstanceEndpoint", safety, "one before each removal and one after the last, on instances that "
           "remove (another writer may change the ACL; an emptied whitelist is open)")
    m.need("CreateInstanceEndpointAclPolicy", adds, "one per declared entry missing from the live ACL")
    m.need("DeleteInstanceEndpointAclPolicy", removes, "one per acrguard entry no longer declared")
    m.depth = depth
    return m


def _cidr(value: str) -> str:
    return str(ipaddress.ip_network(value.strip(), strict=False))


# -- endpoint keeper -----------------------------------------------------------------------------

def _oss_ranges(region: str) -> list[str]:
    data = json.loads(resources.files("acrguard").joinpath("data", "oss_vip_ranges.json").read_text("utf-8"))
    return list((data["regions"].get(region) or {}).get("ranges") or [])


def keeper_minimum(cloud: Any, config: Any, *, status_checks: bool = False) -> Minimum:
    """Per instance: its record and VPC endpoint, one page per target, one write per missing prefix.

    Desired prefixes come from the world: the ENI addresses the emulator's instance lists, the auth
    host's DNS answers, the region's OSS VIP ranges (shipped data). Prefixes inside 100.64.0.0/10
    are the only ones CEN cloud-service access takes; an IPsec connection takes every prefix in one
    ``ModifyVpnConnectionAttribute``.

    ``status_checks``: also the reads the documented behaviour of each write requires (``STATUS_CHECKS``):
    a VPC/VBR table refuses a write while another entry is changing, so each write is read back before
    the next; transit router and cloud-service writes settle asynchronously but the API takes the next
    write meanwhile, so one read per target written; an IPsec connection's ``LocalSubnet`` is replaced
    whole, so it is read right before the write and read back after it. ``depth`` (figure 2) is then the
    read round plus the longest such chain.
    """
    cr = cloud.backend("cr", worlds.ACCOUNT, worlds.REGION)
    vpc = cloud.backend("vpc", worlds.ACCOUNT, worlds.REGION)
    entry = cloud.dns.entries.get(worlds.AUTH_HOST.lower().rstrip(".") + ".")
    auth = list(entry.addresses) if entry is not None else []
    service_space = ipaddress.ip_network("100.64.0.0/10")
    m = Minimum()
    writes: Counter[str] = Counter()
    pages: Counter[str] = Counter()
    checks: Counter[str] = Counter()
    longest = 0  # most writes one target needs: they go one after another (a table refuses concurrent writes)
    chain = 0  # the longest dependent sequence of writes and status reads on one target
    prefixes: set[str] = set()
    for instance in config.instances:
        record = cr.instances[instance.instance_id]
        enis = [f"{v.ip}/32" for v in record.linked_vpcs if v.status == "RUNNING"]  # an Issue is an ACL anomaly
        prefixes = set(enis) | {f"{a}/32" for a in auth} | set(_oss_ranges(worlds.REGION))
        for target in instance.routes.targets:
            if target.type == "vbr_route_table":
                table = vpc.tables[target.route_table_id]
                pages["DescribeRouteEntryList"] += max(1, math.ceil(len(table.entries) / 100))
                have = {e.destination for e in table.entries.values()}
                count = len(prefixes - have)
                writes["CreateRouteEntry"] += count
                checks["DescribeRouteEntryList"] += count
                longest, chain = max(longest, count), max(chain, 2 * count)
            elif target.type == "cen_service":
                pages["DescribeRouteServicesInCen"] += 1
                count = len({p for p in prefixes if ipaddress.ip_network(p).subnet_of(service_space)})
                writes["ResolveAndRouteServiceInCen"] += count
                checks["DescribeRouteServicesInCen"] += 1 if count else 0
                chain = max(chain, count + 1 if count else 0)
            elif target.type == "cen_transit_router":
                pages["ListTransitRouterRouteEntries"] += 1
                writes["CreateTransitRouterRouteEntry"] += len(prefixes)
                checks["ListTransitRouterRouteEntries"] += 1 if prefixes else 0
                longest, chain = max(longest, len(prefixes)), max(chain, len(prefixes) + 1)
            elif target.type == "vpn_connection":
                pages["DescribeVpnConnection"] += 1
                writes["ModifyVpnConnectionAttribute"] += 1
                checks["DescribeVpnConnection"] += 2
                chain = max(chain, 3)
    count = len(config.instances)
    m.need("GetInstance", count, "one per instance (status)")
    m.need("GetInstanceVpcEndpoint", count, "one per instance (ENI addresses of linked VPCs)")
    for action, number in sorted(pages.items()):
        m.need(action, number, "one page per target (100 entries a page; each target holds fewer)")
    for action, number in sorted(writes.items()):
        m.need(action, number, "one per prefix missing on the target" if action != "ModifyVpnConnectionAttribute"
               else "one per connection: LocalSubnet is replaced whole")
    if status_checks:
        for action, number in sorted(checks.items()):
            m.need(action, number, STATUS_CHECKS[action])
    else:
        m.lines.append("status reads after asynchronous writes: not counted (see STATUS_CHECKS)")
    m.facts = {"instances": count, "targets": 4 * count, "prefixes per instance": len(prefixes),
               "writes on the busiest target": longest, "status checks counted": status_checks}
    m.depth = 1 + (chain if status_checks else longest)
    return m


#: Why each status read is needed, from each write's documented behaviour (not from acrguard's code).
STATUS_CHECKS = {
    "DescribeRouteEntryList": "one per VBR write: CreateRouteEntry is asynchronous (Pending until Available) and a "
                              "table refuses a write while another entry is changing (IncorrectRouteEntryStatus, "
                              "https://www.alibabacloud.com/help/en/vpc/api-createrouteentry; Terraform waits for "
                              "every entry of the table to be Available before each write, "
                              "alicloud/resource_alicloud_route_entry.go), so each write is read back before the "
                              "next, the last one to confirm it",
    "ListTransitRouterRouteEntries": "one per transit router table written: CreateTransitRouterRouteEntry is "
                                     "asynchronous (Creating until Active) and only the route being created is "
                                     "locked (https://www.alibabacloud.com/help/en/cloud-enterprise-network/latest/"
                                     "createtransitrouterrouteentry), so the writes go one after another and one "
                                     "read at the end confirms them all",
    "DescribeRouteServicesInCen": "one per cloud-service target written: ResolveAndRouteServiceInCen is asynchronous "
                                  "(Creating until Active); Terraform's alicloud_cen_route_service sends each without "
                                  "a lock (alicloud/resource_alicloud_cen_route_service.go), so one read at the end "
                                  "confirms them all",
    "DescribeVpnConnection": "two per connection written: LocalSubnet is replaced whole, so it is read right before "
                             "the write (another writer's items stay) and read back after it",
}
