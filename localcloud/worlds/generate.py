"""Deterministic generated worlds for benchmarks and scale tests.

``ram_world(users=10_000, custom_policies=2_000, group_share=0.05, seed=0)`` builds one account
whose RAM holds many users, custom policies (several with more than one version), groups and
AccessKeys, in the world format ``localcloud/products/ram.py`` documents. The same arguments give
the same world, byte for byte, so API-call counts can be compared between runs.

Shape (all choices are the generator's own, meant to look like a busy account):

* Custom policies ``pol-00000``..: a mix of pull-only, read-only ACR, ACR admin, other services
  (OSS, ECS, Log), RAM admin, NotAction and Deny documents; every document names its policy so
  no two are identical; about one in five has 2–3 versions, the last or a middle one default.
* Groups ``grp-000``..: ``max(1, round(users * group_share / 10))`` groups of about ten members,
  each with one or two policies; ``group_share`` of the users belong to one group.
* Users ``u-00000``..: 0–3 direct policies drawn with a skew (popular policies are shared by many
  users, so a per-run document cache matters), a System policy now and then, 0–2 AccessKeys
  (mostly one active), a console login for some. About one user in ten can pull.
* Dates are fixed (relative to ``BASE_DATE``), never the wall clock.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

ACCOUNT = "1234567890123456"
ROOT_KEY = "LTAI5tGeneratedRoot0001"
ROOT_SECRET = "generated-root-secret-0001"
REGION = "cn-hangzhou"
INSTANCE_ID = "cri-gen0000000000001"
BASE_DATE = datetime(2026, 6, 1, tzinfo=timezone.utc)

SYSTEM_POLICIES = ("AliyunContainerRegistryReadOnlyAccess", "AliyunContainerRegistryFullAccess", "AdministratorAccess")


def _statement(effect: str, actions: Any, resource: Any = "*", *, not_action: bool = False,
               condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect, "NotAction" if not_action else "Action": actions,
                                 "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def _document(kind: str, index: int, rng: random.Random) -> dict[str, Any]:
    """A policy document of one ``kind``; ``index`` makes it unique."""
    ns = f"repository/{INSTANCE_ID}/team{index:05d}/*"
    repo = f"acs:cr:*:*:{ns}"
    pull = ["cr:GetAuthorizationToken", "cr:ListInstanceEndpoint"]
    statements: list[dict[str, Any]]
    if kind == "pull":
        statements = [_statement("Allow", pull), _statement("Allow", "cr:PullRepository", repo)]
    elif kind == "acr-read":
        statements = [_statement("Allow", ["cr:Get*", "cr:List*", "cr:PullRepository"], ["*", repo])]
    elif kind == "acr-admin":
        statements = [_statement("Allow", "cr:*", repo), _statement("Allow", pull)]
    elif kind == "oss":
        statements = [_statement("Allow", ["oss:GetObject", "oss:ListObjects"],
                                 f"acs:oss:*:*:bucket-{index:05d}/*")]
    elif kind == "ecs":
        statements = [_statement("Allow", rng.choice(["ecs:Describe*", "ecs:*"]),
                                 f"acs:ecs:*:*:instance/i-{index:05d}")]
    elif kind == "log":
        statements = [_statement("Allow", ["log:GetLogStore*", "log:PostLogStoreLogs"],
                                 f"acs:log:*:*:project/p{index}/*")]
    elif kind == "ram-admin":
        statements = [_statement("Allow", "ram:*", "*"),
                      _statement("Allow", "sts:AssumeRole", f"acs:ram::*:role/r{index}")]
    elif kind == "not-action":
        statements = [_statement("Allow", ["ram:*", "ims:*", f"resourcemanager:Tag{index}*"], not_action=True)]
    elif kind == "deny":
        statements = [_statement("Allow", ["cr:*"]), _statement("Deny", ["cr:Delete*", "cr:Push*"], repo)]
    else:  # conditional pull
        statements = [_statement("Allow", [*pull, "cr:PullRepository"], "*",
                                 condition={"IpAddress": {"acs:SourceIp": [f"203.0.113.{index % 250}/32"]}})]
    return {"Version": "1", "Statement": statements}


#: Kinds of custom policy and their weights; "pull", "acr-read", "deny" and "conditional" grant pull actions.
KINDS = (("pull", 8), ("acr-read", 4), ("acr-admin", 2), ("oss", 22), ("ecs", 22), ("log", 22), ("ram-admin", 2),
         ("not-action", 1), ("deny", 2), ("conditional", 1))
PULL_KINDS = frozenset({"pull", "acr-read", "acr-admin", "deny", "conditional", "not-action"})


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _policies(count: int, rng: random.Random) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    names, weights = zip(*KINDS, strict=True)
    specs, pulling, other = [], [], []
    for index in range(count):
        kind = rng.choices(names, weights)[0]
        name = f"pol-{index:05d}"
        (pulling if kind in PULL_KINDS else other).append(name)
        first = _document(kind, index, rng)
        versions = [{"id": "v1", "document": first}]
        if rng.random() < 0.2:  # an older broader version, or a newer narrower one
            versions.insert(0, {"id": "v0", "document": _document("acr-admin", index, rng)})
            if rng.random() < 0.5:
                versions.append({"id": "v2", "document": _document(kind, index + count, rng)})
            for version_no, version in enumerate(versions, 1):
                version["id"] = f"v{version_no}"
        default = rng.randrange(len(versions)) if len(versions) > 1 else 0
        versions[default]["default"] = True
        specs.append({"name": name, "description": f"generated {kind} policy", "versions": versions})
    return specs, pulling, other


def _skewed(pool: list[str], rng: random.Random) -> str:
    """A pick from ``pool`` where low indexes are much more likely (shared, popular policies)."""
    return pool[min(int(rng.paretovariate(1.2)) - 1, len(pool) - 1)] if rng.random() < 0.7 else rng.choice(pool)


def ram_world(users: int = 10_000, custom_policies: int = 2_000, group_share: float = 0.05, seed: int = 0, *,
              account: str = ACCOUNT, root_key: str = ROOT_KEY, root_secret: str = ROOT_SECRET) -> dict[str, Any]:
    """A world with one account and a generated RAM population (deterministic for the same arguments)."""
    if users < 0 or custom_policies < 1 or not 0 <= group_share <= 1:
        raise ValueError("need users >= 0, custom_policies >= 1 and 0 <= group_share <= 1")
    rng = random.Random(seed)
    policies, pulling, other = _policies(custom_policies, rng)
    pulling = pulling or other
    other = other or pulling
    group_count = max(1, round(users * group_share / 10))
    groups = []
    for index in range(group_count):
        pool = pulling if index % 3 == 0 else other
        chosen = sorted({_skewed(pool, rng) for _ in range(rng.choice((1, 1, 2)))})
        groups.append({"name": f"grp-{index:03d}", "policies": [{"name": n, "type": "Custom"} for n in chosen]})
    user_specs = []
    for index in range(users):
        name = f"u-{index:05d}"
        spec: dict[str, Any] = {"name": name, "create_date": _iso(BASE_DATE - timedelta(days=rng.randrange(30, 900)))}
        refs: dict[tuple[str, str], None] = {}
        puller = rng.random() < 0.1
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            refs[(_skewed(pulling if puller else other, rng), "Custom")] = None
        if rng.random() < 0.03:
            refs[(rng.choice(SYSTEM_POLICIES), "System")] = None
        spec["policies"] = [{"name": n, "type": t} for n, t in refs]
        if rng.random() < group_share:
            spec["groups"] = [groups[rng.randrange(group_count)]["name"]]
        keys = []
        for key_no in range(rng.choices((0, 1, 2), (15, 75, 10))[0]):
            created = BASE_DATE - timedelta(days=rng.randrange(1, 500))
            key: dict[str, Any] = {"id": f"LTAI5tGen{index:06d}K{key_no}", "secret": f"gen-secret-{index}-{key_no}",
                                   "status": "Active" if rng.random() < 0.9 else "Inactive",
                                   "create_date": _iso(created)}
            if rng.random() < 0.8:
                key["last_used"] = _iso(created + timedelta(days=rng.randrange(0, 120)))
            keys.append(key)
        spec["access_keys"] = keys
        if rng.random() < 0.05:
            spec["login_profile"] = True
        user_specs.append(spec)
    return {
        "accounts": {account: {
            "default_region": REGION,
            "access_keys": [{"id": root_key, "secret": root_secret}],
            "global": {"ram": {"policies": policies, "groups": groups, "users": user_specs}},
        }},
    }


# -- organisations: many accounts in a Resource Directory ----------------------------------------------

ORG_CENTRAL = "1900000000000001"
ORG_CENTRAL_KEY = "LTAI5tOrgCentralRoot01"
ORG_CENTRAL_SECRET = "org-central-root-secret-01"
ORG_MEMBER_BASE = 2900000000000000
ORG_DIRECTORY = "rd-orgtest01"
ORG_ROOT_FOLDER = "r-orgroot01"
ORG_FOLDERS = ("fd-orgprod", "fd-orgdev")
ORG_REGIONS = ("cn-hangzhou", "cn-shanghai")
#: the entry every member instance's ACL should hold, and the one the generator leaves out of every ``drift_every``-th
ORG_OFFICE = "198.51.100.0/24"
ORG_OTHER = "203.0.113.0/24"


def org_member(index: int) -> str:
    """The account id of member ``index``."""
    return str(ORG_MEMBER_BASE + index)


def org_instance(index: int, region_index: int) -> tuple[str, str]:
    """The id and name of member ``index``'s ACR instance in its ``region_index``-th region."""
    return f"cri-org{index:04d}r{region_index}", f"m{index:04d}-r{region_index}"


def org_world(accounts: int = 50, regions: tuple[str, ...] = ORG_REGIONS, *,
              central_roles: dict[str, list[dict[str, Any]]] | None = None, member_role: str = "acrguard-member",
              member_policies: list[dict[str, Any]] | None = None, trusted: tuple[str, ...] = (),
              external_id: str | None = None, drift_every: int = 5, untrusting: tuple[int, ...] = ()
              ) -> dict[str, Any]:
    """A Resource Directory of ``accounts`` members and its central account (deterministic).

    * The central account (``ORG_CENTRAL``) manages the directory: members alternate between the
      folders ``ORG_FOLDERS``. ``central_roles`` maps each central role's name to its policies
      (``[{"name", "document"}]``); every central role trusts Function Compute and the account.
    * Each member has the role ``member_role`` with ``member_policies``, trusting the central roles
      named in ``trusted`` (with the ``sts:ExternalId`` condition when ``external_id`` is set); the
      members whose index is in ``untrusting`` trust nobody (their shard cannot enter them).
    * Each member has one ACR EE instance per region (``org_instance``), public endpoint enabled; its
      ACL holds ``ORG_OTHER`` and, except every ``drift_every``-th member, ``ORG_OFFICE``.
    """
    policies = [p for specs in (central_roles or {}).values() for p in specs]
    central_trust = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
        "RAM": [f"acs:ram::{ORG_CENTRAL}:root"], "Service": ["fc.aliyuncs.com"]}}]}
    roles = [{"name": name, "trust_policy": central_trust,
              "policies": [{"name": p["name"], "type": "Custom"} for p in specs]}
             for name, specs in (central_roles or {}).items()]
    unique = {p["name"]: {"name": p["name"], "document": p["document"]} for p in policies}
    members = [{"id": org_member(i), "name": f"member-{i:04d}", "folder": ORG_FOLDERS[i % len(ORG_FOLDERS)]}
               for i in range(accounts)]
    world: dict[str, Any] = {"accounts": {ORG_CENTRAL: {
        "default_region": regions[0],
        "access_keys": [{"id": ORG_CENTRAL_KEY, "secret": ORG_CENTRAL_SECRET}],
        "global": {"ram": {"policies": list(unique.values()), "roles": roles},
                   "resourcemanager": {"directory_id": ORG_DIRECTORY, "root_folder_id": ORG_ROOT_FOLDER,
                                       "folders": [{"id": f, "name": f[3:]} for f in ORG_FOLDERS],
                                       "accounts": members}},
        "regions": {region: {} for region in regions},
    }}}
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "sts:AssumeRole",
                                 "Principal": {"RAM": [f"acs:ram::{ORG_CENTRAL}:role/{name}" for name in trusted]}}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    for index in range(accounts):
        trust = {"Version": "1", "Statement": [] if index in untrusting else [statement]}
        instances = {}
        for region_index, region in enumerate(regions):
            instance_id, name = org_instance(index, region_index)
            entries = [{"entry": ORG_OTHER, "comment": "partner"}]
            if drift_every <= 0 or index % drift_every:
                entries.insert(0, {"entry": ORG_OFFICE, "comment": "office"})
            instances[region] = {"cr": {"instances": [{"id": instance_id, "name": name,
                                                       "specification": "Enterprise_Basic",
                                                       "internet": {"enable": True, "entries": entries}}]}}
        world["accounts"][org_member(index)] = {
            "default_region": regions[0],
            "access_keys": [{"id": f"LTAI5tOrgMember{index:07d}", "secret": f"org-member-secret-{index:07d}"}],
            "global": {"ram": {"policies": [{"name": p["name"], "document": p["document"]}
                                            for p in member_policies or []],
                               "roles": [{"name": member_role, "trust_policy": trust,
                                          "policies": [{"name": p["name"], "type": "Custom"}
                                                       for p in member_policies or []]}]}},
            "regions": instances,
        }
    return world
