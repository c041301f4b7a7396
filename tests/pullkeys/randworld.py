"""Seeded random RAM worlds for checking that every read plan of the audit reaches the same findings.

Each world mixes what makes the plans differ in what they read: groups (several per user, some
holding pull policies), Deny statements (some conditional, so not credited), NotAction, conditions,
policies with several versions (the default not always the last), System policies (attached to
users, groups and a role only), unattached pull policies, users without keys, inactive keys, two
keys created the same second (the credential report cannot tell them apart), console logins, and a
ConfigMap naming owned, inactive and unknown keys.
"""

from __future__ import annotations

import random
from typing import Any

from support import ACCOUNT, INSTANCE_ID, base_world

SYSTEM = ("AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "AliyunContainerRegistryFullAccess",
          "AliyunContainerRegistryReadOnlyAccess", "AliyunCSManagedAcrRolePolicy", "AliyunSTSAssumeRoleAccess")
PULL = ["cr:GetAuthorizationToken", "cr:ListInstanceEndpoint", "cr:PullRepository"]
REPO = f"acs:cr:*:*:repository/{INSTANCE_ID}/*"


def _allow(actions: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def _deny(actions: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": actions, "Resource": resource, **extra}


DOCUMENTS: dict[str, list[dict[str, Any]]] = {
    "pull-only": [_allow(PULL[:2]), _allow("cr:PullRepository", REPO)],
    "acr-read": [_allow(["cr:Get*", "cr:List*", "cr:PullRepository"])],
    "acr-all": [_allow("cr:*")],
    "deny-pull": [_deny(["cr:PullRepository", "cr:GetAuthorizationToken"])],
    "deny-cr-if": [_deny("cr:*", Condition={"Bool": {"acs:SecureTransport": "false"}})],
    "not-action": [{"Effect": "Allow", "NotAction": ["ram:*", "ims:*"], "Resource": "*"}],
    "not-action-cr": [{"Effect": "Allow", "NotAction": ["cr:*"], "Resource": "*"}],
    "conditional-pull": [_allow(PULL, Condition={"IpAddress": {"acs:SourceIp": ["203.0.113.0/24"]}})],
    "allow-all-deny-cr": [_allow("*"), _deny("cr:*")],
    "push-deny-repo": [_allow(["cr:PullRepository", "cr:PushRepository"], REPO), _deny("cr:PushRepository", REPO)],
    "oss": [_allow(["oss:GetObject", "oss:ListObjects"], "acs:oss:*:*:bucket/*")],
    "ecs": [_allow("ecs:Describe*")],
}


def _document(kind: str) -> dict[str, Any]:
    return {"Version": "1", "Statement": DOCUMENTS[kind]}


def _date(rng: random.Random) -> str:
    return f"2026-{rng.randint(1, 5):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"


def random_world(seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A world and the audit settings (configured users, ConfigMap keys) for ``seed``; the same seed, the same world."""
    rng = random.Random(seed)
    data = base_world()
    ram = data["accounts"][ACCOUNT]["global"]["ram"]
    kinds = list(DOCUMENTS)
    policies = []
    for index in range(rng.randint(8, 14)):
        versions = [{"id": f"v{n}", "document": _document(rng.choice(kinds))} for n in range(1, rng.randint(1, 3) + 1)]
        rng.choice(versions)["default"] = True
        policies.append({"name": f"p{index:02d}", "versions": versions})
    ram["policies"] += policies
    names = [p["name"] for p in policies]

    def refs(count: int) -> list[dict[str, str]]:
        picked: dict[tuple[str, str], None] = {}
        for _ in range(count):
            if rng.random() < 0.25:
                picked[(rng.choice(SYSTEM), "System")] = None
            else:
                picked[(rng.choice(names), "Custom")] = None
        return [{"name": n, "type": t} for n, t in picked]

    groups = [{"name": f"g{index}", "policies": refs(rng.randint(0, 2))} for index in range(rng.randint(1, 4))]
    ram["groups"] = groups
    ram["roles"].append({"name": "only-a-role", "policies": [{"name": "PowerUserAccess", "type": "System"},
                                                             {"name": rng.choice(names), "type": "Custom"}]})
    keys: list[tuple[str, str, str]] = []  # (user, key id, status)
    for index in range(rng.randint(20, 32)):
        name = f"u{index:02d}"
        spec: dict[str, Any] = {"name": name, "policies": refs(rng.choice((0, 1, 1, 2, 3)))}
        spec["groups"] = rng.sample([g["name"] for g in groups], k=rng.randint(0, min(2, len(groups))))
        created = _date(rng)
        user_keys = []
        for number in range(rng.choice((0, 1, 1, 1, 2))):
            status = "Active" if rng.random() < 0.85 else "Inactive"
            key_id = f"LTAI5tRand{seed:03d}{index:02d}K{number}"
            date = created if number and rng.random() < 0.5 else _date(rng)  # same second: slots ambiguous
            spec_key = {"id": key_id, "secret": f"s-{key_id}", "status": status, "create_date": date}
            if rng.random() < 0.7:
                spec_key["last_used"] = _date(rng)
            user_keys.append(spec_key)
            keys.append((name, key_id, status))
            created = date
        spec["access_keys"] = user_keys
        if rng.random() < 0.2:
            spec["login_profile"] = True
        ram["users"].append(spec)
    picked = rng.sample(keys, k=min(3, len(keys)))
    settings = {"configmap_keys": [k for _, k, _ in picked] + ["LTAI5tNobodyOwnsThis01"],
                "users": [rng.choice(ram["users"])["name"], "ghost"]}
    return data, settings
