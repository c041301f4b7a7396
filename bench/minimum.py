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
RAM_PAGE = 1000  # ListUsers / ListPolicies / ListGroups MaxItems upper bound (ram-audit.md §4)


@dataclass
class Minimum:
    """Per-action minimum call counts and how they were derived."""

    calls: Counter[str] = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

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


def ram_facts(cloud: Any, only: Iterable[str] | None = None) -> RamFacts:
    """Count what a discovery audit must read (of the users ``only``, or every user), from the emulator's RAM state."""
    ram = cloud.backend("ram", worlds.ACCOUNT, None)
    policies = {(p.type, p.name): p for p in ram.policies.values()}
    holders, pull_users, active_pull_keys = [], [], 0
    groups_seen: set[str] = set()
    policies_seen: set[tuple[str, str]] = set()
    chosen = [ram.users[name] for name in only if name in ram.users] if only is not None else list(ram.users.values())
    for user in chosen:
        active = [k for k in user.access_key_ids if cloud.access_keys[k].status == "Active"]
        if not active:
            continue
        holders.append(user.name)
        refs = [(r.type, r.name) for r in user.policies]
        for group in user.groups:
            groups_seen.add(group)
            refs += [(r.type, r.name) for r in ram.groups[group].policies]
        policies_seen.update(refs)
        if any(grants_pull(policies[ref].default_version.document) for ref in refs):
            pull_users.append(user.name)
            active_pull_keys += len(active)
    return RamFacts(users=len(chosen), holders=tuple(holders), pull_users=tuple(pull_users),
                    active_keys_of_pull_users=active_pull_keys, groups_of_holders=len(groups_seen),
                    groups=len(ram.groups), policies_of_holders=len(policies_seen),
                    custom_policies=sum(1 for t, _ in policies if t == "Custom"),
                    system_policies=sum(1 for t, _ in policies if t == "System"))


def audit_minimum_per_user(facts: RamFacts) -> Minimum:
    """Design A, the auditor's: per-user attachment lists (RAM 2015-05-01 has no bulk attachment read)."""
    m = Minimum(facts={"users": facts.users, "key holders": len(facts.holders), "pull users": len(facts.pull_users)})
    m.need("ListUsers", math.ceil(facts.users / RAM_PAGE), f"{facts.users:,} users / {RAM_PAGE} per page")
    m.need("ListAccessKeys", facts.users, "one per user: no call lists every key of an account")
    m.need("ListPoliciesForUser", len(facts.holders), "one per user with an active key")
    m.need("ListGroupsForUser", len(facts.holders), "one per user with an active key")
    m.need("ListPoliciesForGroup", facts.groups_of_holders, "one per group of those users")
    m.need("GetPolicyVersion", facts.policies_of_holders, "one per distinct policy in force for those users "
           "(its default version)")
    m.need("GetAccessKeyLastUsed", facts.active_keys_of_pull_users, "one per active key of a pull user")
    m.need("GetLoginProfile", len(facts.pull_users), "one per pull user")
    m.lines.append("writes 0: the auditor only reads")
    return m


def reaudit_minimum(facts: RamFacts, *, entities: int = 0, group_lists: int = 0) -> Minimum:
    """What a re-audit of some touched users needs: who they are (``entities``/``group_lists``), then design A."""
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
    """Design B: attachments read per policy (``ListEntitiesForPolicy``) and per group, not per user."""
    m = Minimum(facts={"custom policies": facts.custom_policies, "system policies listed": facts.system_policies})
    listed = facts.custom_policies + facts.system_policies
    m.need("ListUsers", math.ceil(facts.users / RAM_PAGE), "user names")
    m.need("ListAccessKeys", facts.users, "one per user (unavoidable in either design)")
    m.need("ListPolicies", math.ceil(listed / RAM_PAGE), f"{listed:,} policies (with their DefaultVersion)")
    m.need("ListEntitiesForPolicy", listed, "who holds each policy (users and groups); every System policy the "
           "account lists counts, and a real account lists Alibaba's whole System catalog, not the "
           f"{facts.system_policies} the local cloud ships")
    m.need("ListGroups", math.ceil(facts.groups / RAM_PAGE), "group names")
    m.need("ListUsersForGroup", facts.groups, "members of each group")
    m.need("GetPolicyVersion", facts.policies_of_holders, "one per distinct policy in force for key holders")
    m.need("GetAccessKeyLastUsed", facts.active_keys_of_pull_users, "one per active key of a pull user")
    m.need("GetLoginProfile", len(facts.pull_users), "one per pull user")
    return m


# -- whitelist guard -----------------------------------------------------------------------------

def whitelist_minimum(cloud: Any, config: Any) -> Minimum:
    """One ``GetInstanceEndpoint`` per instance, plus one write per entry to add or remove."""
    from acrguard.config.whitelist import WhitelistEntry  # config model only: what was declared

    backend = cloud.backend("cr", worlds.ACCOUNT, worlds.REGION)
    m = Minimum()
    adds = removes = 0
    for instance in config.instances:
        section = instance.whitelist
        live = backend.instances[instance.instance_id].acl
        declared = {_cidr(e.cidr) for e in section.entries if isinstance(e, WhitelistEntry) and e.cidr}
        present = {_cidr(e.entry) for e in live}
        ours = {_cidr(e.entry) for e in live if e.comment.startswith(f"acrguard:{instance.name}:")}
        adds += len(declared - present)
        removes += len(ours - declared)
    count = len(config.instances)
    m.facts = {"instances": count, "writes per instance": (adds + removes) // count if count else 0}
    m.need("GetInstanceEndpoint", count, "one per instance (entries with comments, endpoint and ACL switches)")
    m.need("CreateInstanceEndpointAclPolicy", adds, "one per declared entry missing from the live ACL")
    m.need("DeleteInstanceEndpointAclPolicy", removes, "one per acrguard entry no longer declared")
    return m


def _cidr(value: str) -> str:
    return str(ipaddress.ip_network(value.strip(), strict=False))


# -- endpoint keeper -----------------------------------------------------------------------------

def _oss_ranges(region: str) -> list[str]:
    data = json.loads(resources.files("acrguard").joinpath("data", "oss_vip_ranges.json").read_text("utf-8"))
    return list((data["regions"].get(region) or {}).get("ranges") or [])


def keeper_minimum(cloud: Any, config: Any) -> Minimum:
    """Per instance: its record and VPC endpoint, one page per target, one write per missing prefix.

    Desired prefixes come from the world: the ENI addresses the emulator's instance lists, the auth
    host's DNS answers, the region's OSS VIP ranges (shipped data). Prefixes inside 100.64.0.0/10
    are the only ones CEN cloud-service access takes; an IPsec connection takes every prefix in one
    ``ModifyVpnConnectionAttribute``. Polls of asynchronous write states are not in this minimum.
    """
    cr = cloud.backend("cr", worlds.ACCOUNT, worlds.REGION)
    vpc = cloud.backend("vpc", worlds.ACCOUNT, worlds.REGION)
    entry = cloud.dns.entries.get(worlds.AUTH_HOST.lower().rstrip(".") + ".")
    auth = list(entry.addresses) if entry is not None else []
    service_space = ipaddress.ip_network("100.64.0.0/10")
    m = Minimum()
    writes: Counter[str] = Counter()
    pages: Counter[str] = Counter()
    longest = 0  # most writes one target needs: they go one after another (a table refuses concurrent writes)
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
                writes["CreateRouteEntry"] += len(prefixes - have)
                longest = max(longest, len(prefixes - have))
            elif target.type == "cen_service":
                pages["DescribeRouteServicesInCen"] += 1
                wanted = {p for p in prefixes if ipaddress.ip_network(p).subnet_of(service_space)}
                writes["ResolveAndRouteServiceInCen"] += len(wanted)
            elif target.type == "cen_transit_router":
                pages["ListTransitRouterRouteEntries"] += 1
                writes["CreateTransitRouterRouteEntry"] += len(prefixes)
                longest = max(longest, len(prefixes))
            elif target.type == "vpn_connection":
                pages["DescribeVpnConnection"] += 1
                writes["ModifyVpnConnectionAttribute"] += 1
    count = len(config.instances)
    m.need("GetInstance", count, "one per instance (status)")
    m.need("GetInstanceVpcEndpoint", count, "one per instance (ENI addresses of linked VPCs)")
    for action, number in sorted(pages.items()):
        m.need(action, number, "one page per target (100 entries a page; each target holds fewer)")
    for action, number in sorted(writes.items()):
        m.need(action, number, "one per prefix missing on the target" if action != "ModifyVpnConnectionAttribute"
               else "one per connection: LocalSubnet is replaced whole")
    m.facts = {"instances": count, "targets": 4 * count, "prefixes per instance": len(prefixes),
               "writes on the busiest target": longest}
    return m
