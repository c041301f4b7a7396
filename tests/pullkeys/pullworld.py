"""A RAM world of pull users for the pull-key auditor's tests, and helpers to read the request log.

Users and what the auditor should make of them:

=============  ==========================================================  =======================
user           permissions                                                 expected
=============  ==========================================================  =======================
ack-puller     group ``pullers`` (acr-pull-only, scoped to the instance)   PASS
wide-puller    AliyunContainerRegistryFullAccess (System)                  FAIL (registry write)
reader         AliyunContainerRegistryReadOnlyAccess (System)              WARN (extra ACR reads)
group-admin    group ``ops`` (AliyunContainerRegistryFullAccess)           FAIL, via the group
stale          acr-pull-only; two active keys, old and unused; console     PASS policy, WARN keys
alice          oss-read; a key and a console login                         not a pull user
nokey          acr-pull-only, no AccessKey                                 not discovered
=============  ==========================================================  =======================
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from alibabacloud_ram20150501 import models as ram

from acrguard.clients import call
from support import ACCOUNT, INSTANCE_ID, base_world

PULL_ONLY = {"Version": "1", "Statement": [
    {"Effect": "Allow", "Action": ["cr:GetAuthorizationToken", "cr:ListInstanceEndpoint"], "Resource": "*"},
    {"Effect": "Allow", "Action": "cr:PullRepository", "Resource": f"acs:cr:*:*:repository/{INSTANCE_ID}/*"},
]}
CR_ALL = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "cr:*", "Resource": "*"}]}
OSS_READ = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:GetObject", "Resource": "*"}]}

KEYS = {
    "ack-puller": "LTAI5tAckPuller0000001",
    "wide-puller": "LTAI5tWidePuller000001",
    "reader": "LTAI5tReader0000000001",
    "group-admin": "LTAI5tGroupAdmin000001",
    "stale": "LTAI5tStale00000000001",
    "stale-2": "LTAI5tStale00000000002",
    "alice": "LTAI5tAlice00000000001",
}
PULL_USERS = {"ack-puller", "wide-puller", "reader", "group-admin", "stale"}


def days_ago(days: float) -> str:
    """An ISO date ``days`` before now (the local cloud's clock starts at the wall clock)."""
    return (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def key(name: str, *, created: float = 10, used: float | None = 1, status: str = "Active") -> dict[str, Any]:
    """A world AccessKey for ``name`` (see ``KEYS``)."""
    spec: dict[str, Any] = {"id": KEYS[name], "secret": f"secret-of-{name}", "status": status,
                            "create_date": days_ago(created)}
    if used is not None:
        spec["last_used"] = days_ago(used)
    return spec


def pull_world() -> dict[str, Any]:
    """The base test world plus the pull users of the module docstring."""
    data = base_world()
    ram = data["accounts"][ACCOUNT]["global"]["ram"]
    ram["policies"] += [
        {"name": "acr-pull-only", "document": PULL_ONLY},
        {"name": "oss-read", "document": OSS_READ},
    ]
    ram["groups"] = [
        {"name": "pullers", "policies": [{"name": "acr-pull-only", "type": "Custom"}]},
        {"name": "ops", "policies": [{"name": "AliyunContainerRegistryFullAccess", "type": "System"}]},
    ]
    ram["users"] += [
        {"name": "ack-puller", "groups": ["pullers"], "access_keys": [key("ack-puller")]},
        {"name": "wide-puller", "policies": [{"name": "AliyunContainerRegistryFullAccess", "type": "System"}],
         "access_keys": [key("wide-puller")]},
        {"name": "reader", "policies": [{"name": "AliyunContainerRegistryReadOnlyAccess", "type": "System"}],
         "access_keys": [key("reader")]},
        {"name": "group-admin", "groups": ["ops"], "access_keys": [key("group-admin")]},
        {"name": "stale", "policies": [{"name": "acr-pull-only", "type": "Custom"}], "login_profile": True,
         "access_keys": [key("stale", created=400, used=200), key("stale-2", created=30, used=None)]},
        {"name": "alice", "policies": [{"name": "oss-read", "type": "Custom"}], "login_profile": True,
         "access_keys": [key("alice")]},
        {"name": "nokey", "policies": [{"name": "acr-pull-only", "type": "Custom"}]},
    ]
    return data


def ram_actions(cloud: Any, since: int = 0) -> list[tuple[str, dict[str, Any]]]:
    """``(action, params)`` of every RAM request after ``since``."""
    return [(r.action, r.params) for r in cloud.requests.filter(product="ram", since=since)]


def ram_call(factory: Any, api: str, **params: Any) -> Any:
    """Call a RAM API by name with snake_case parameters, through ``acrguard.clients.call`` (the real SDK)."""
    method = "".join("_" + c.lower() if c.isupper() else c for c in api).lstrip("_")
    return call("ram", api, getattr(factory.ram(), method), getattr(ram, f"{api}Request")(**params))
