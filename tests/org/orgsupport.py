"""An organisation for the tests: the generated Resource Directory world, the whitelist guard deployed centrally.

The central account runs ``acrguard-whitelist-guard`` from ``functions/whitelist_guard`` (the local
cloud imports its ``index.py`` as FC would) with its deployed policies plus the organisation's
(``deploy/policies/acrguard-organization.json``); every member has ``acrguard-member`` with
``deploy/policies/acrguard-member.json``, trusting the guard's role. A timer firing is what FC's
timer trigger does: an asynchronous invocation (``FunctionRunner.invoke_async``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from localcloud.worlds.generate import (
    ORG_CENTRAL,
    ORG_OFFICE,
    ORG_OTHER,
    ORG_REGIONS,
    org_instance,
    org_member,
    org_world,
)
from support import deploy_policy

REPO = Path(__file__).resolve().parents[2]
GUARD = "acrguard-whitelist-guard"
JOB = "whitelist_guard"
DING = "dingtokenorg000001"
FAILURES = f"acs:mns:cn-hangzhou:{ORG_CENTRAL}:/queues/acrguard-failures/messages"
ORGANIZATION_POLICY = "acrguard-organization"
MEMBER_POLICY = "acrguard-member"


def guard_world(accounts: int, regions: tuple[str, ...] = ORG_REGIONS, *, external_id: str | None = None,
                untrusting: tuple[int, ...] = (), reserved: int = 8, retries: int = 2,
                drift_every: int = 5) -> dict[str, Any]:
    """The generated organisation with the guard deployed in the central account's first region."""
    central = {GUARD: [{"name": name, "document": deploy_policy(name)}
                       for name in (GUARD, f"{GUARD}-state", ORGANIZATION_POLICY)]}
    world = org_world(accounts, regions, central_roles=central, trusted=(GUARD,), external_id=external_id,
                      member_policies=[{"name": MEMBER_POLICY, "document": deploy_policy(MEMBER_POLICY)}],
                      untrusting=untrusting, drift_every=drift_every)
    world["chat"] = {"dingtalk": {DING: {}}}
    world["accounts"][ORG_CENTRAL]["regions"][regions[0]]["fc"] = {"functions": [{
        "name": GUARD, "code_dir": str(REPO / "functions" / "whitelist_guard"), "handler": "index.handler",
        "role": f"acs:ram::{ORG_CENTRAL}:role/{GUARD}", "timeout": 60, "reserved_concurrency": reserved,
        "async": {"maxAsyncRetryAttempts": retries, "destinationConfig": {"onFailure": {"destination": FAILURES}}},
    }]}
    return world


def guard_config(cloud: Any, tmp_path: Path, accounts: int, regions: tuple[str, ...] = ORG_REGIONS, *,
                 organization: dict[str, Any] | None = None, state: dict[str, Any] | None = None) -> Path:
    """The config of the organisation's guard: one instance per member and region, with its account."""
    endpoints = cloud.endpoints()
    instances = []
    for index in range(accounts):
        for region_index, region in enumerate(regions):
            instance_id, name = org_instance(index, region_index)
            instances.append({"name": name, "instance_id": instance_id, "region": region,
                              "account": org_member(index), "whitelist": {
                                  "policy": "enforce", "public_endpoint": "enabled",
                                  "entries": [{"cidr": ORG_OFFICE, "comment": "office"}],
                                  "allowed_unmanaged": [ORG_OTHER]}})
    data = {
        "cloud": {"region": regions[0], "endpoint": endpoints["openapi"], "oss_endpoint": endpoints["oss"],
                  "protocol": "http", "retry": {"max_attempts": 2, "base_delay_ms": 5, "max_delay_ms": 20},
                  "read_timeout_ms": 3000, "connect_timeout_ms": 1000},
        "organization": {"resource_directory": {}, "regions": list(regions), "async_retries": 2,
                         **(organization or {})},
        "instances": instances,
        "safety": {"hold_runs": 1, "hold_hours": 0},
        "alerts": {"group_interval_s": 1, "repeat_interval_s": 3600, "channels": [{
            "name": "ops", "type": "dingtalk",
            "url": f"http://{endpoints['chat']}/dingtalk/robot/send?access_token={DING}"}]},
        "state": state or {"backend": "sqlite", "path": str(tmp_path / "state.db")},
    }
    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    function = cloud.backend("fc", ORG_CENTRAL, regions[0]).function(GUARD)
    function.environment = {"ACRGUARD_CONFIG": str(path), "ACRGUARD_CONFIG_TTL": "0"}
    return path


def runner(cloud: Any, region: str = ORG_REGIONS[0]) -> Any:
    """The guard's runner in the central account (its async queue and invocation records)."""
    return cloud.backend("fc", ORG_CENTRAL, region).runner(GUARD)


def fire_timer(cloud: Any, n: int = 0, region: str = ORG_REGIONS[0], *, drain: bool = True) -> Any:
    """What the guard's timer trigger does at its ``n``-th firing; with ``drain``, wait for every shard."""
    payload = json.dumps({"triggerTime": f"2026-06-01T00:{n:02d}:00Z", "triggerName": "sweep",
                          "payload": json.dumps({"job": JOB})}).encode()
    record = runner(cloud, region).invoke_async(payload)
    if drain:
        assert cloud.backend("fc", ORG_CENTRAL, region).drain(120), "the shards did not finish in time"
    return record


def acl(cloud: Any, index: int, region_index: int, regions: tuple[str, ...] = ORG_REGIONS) -> set[str]:
    """The entries of member ``index``'s instance ACL in its ``region_index``-th region."""
    backend = cloud.backend("cr", org_member(index), regions[region_index])
    instance = backend.instances[org_instance(index, region_index)[0]]
    return {e.entry for e in instance.acl}


def chat_texts(cloud: Any) -> list[str]:
    """Every message the DingTalk robot accepted, oldest first."""
    return [m.text for m in cloud.chat.accepted("dingtalk")]


AUDITOR = "acrguard-pullkey-auditor"


def auditor_world(accounts: int, regions: tuple[str, ...] = ORG_REGIONS) -> dict[str, Any]:
    """The generated organisation with the pull-key auditor deployed centrally (one shard per account)."""
    central = {AUDITOR: [{"name": name, "document": deploy_policy(name)}
                         for name in (AUDITOR, f"{AUDITOR}-state", ORGANIZATION_POLICY)]}
    world = org_world(accounts, regions, central_roles=central, trusted=(AUDITOR,),
                      member_policies=[{"name": MEMBER_POLICY, "document": deploy_policy(MEMBER_POLICY)}])
    world["chat"] = {"dingtalk": {DING: {}}}
    world["accounts"][ORG_CENTRAL]["regions"][regions[0]]["fc"] = {"functions": [{
        "name": AUDITOR, "code_dir": str(REPO / "functions" / "pullkey_auditor"), "timeout": 120,
        "role": f"acs:ram::{ORG_CENTRAL}:role/{AUDITOR}", "reserved_concurrency": 4,
        "async": {"maxAsyncRetryAttempts": 2}}]}
    for index in range(accounts):  # a pull user in each member, whose key can also push
        ram = world["accounts"][org_member(index)]["global"]["ram"]
        ram["users"] = [{"name": "ci-puller", "policies": [{"name": "AliyunContainerRegistryFullAccess",
                                                            "type": "System"}],
                         "access_keys": [{"id": f"LTAI5tOrgPuller{index:07d}", "secret": f"puller-{index}"}]}]
    return world


def auditor_config(cloud: Any, tmp_path: Path, regions: tuple[str, ...] = ORG_REGIONS) -> Path:
    """The auditor's config: the directory's members, pull users named, chat and SQLite state."""
    endpoints = cloud.endpoints()
    data = {
        "cloud": {"region": regions[0], "endpoint": endpoints["openapi"], "oss_endpoint": endpoints["oss"],
                  "protocol": "http", "retry": {"max_attempts": 2, "base_delay_ms": 5, "max_delay_ms": 20},
                  "read_timeout_ms": 3000, "connect_timeout_ms": 1000},
        "organization": {"resource_directory": {}, "regions": list(regions), "async_retries": 2},
        "pull_keys": {"users": ["ci-puller"], "discover": False},
        "alerts": {"group_interval_s": 1, "repeat_interval_s": 3600, "channels": [{
            "name": "ops", "type": "dingtalk",
            "url": f"http://{endpoints['chat']}/dingtalk/robot/send?access_token={DING}"}]},
        "state": {"backend": "sqlite", "path": str(tmp_path / "state.db")},
    }
    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    function = cloud.backend("fc", ORG_CENTRAL, regions[0]).function(AUDITOR)
    function.environment = {"ACRGUARD_CONFIG": str(path), "ACRGUARD_CONFIG_TTL": "0"}
    return path
