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
    return org_config(cloud, tmp_path, AUDITOR, [], regions, pull_keys={"users": ["ci-puller"], "discover": False})


# -- any central function: the endpoint keeper and the image advisor ----------------------------------

KEEPER = "acrguard-endpoint-keeper"
ADVISOR = "acrguard-image-advisor"
#: each function's code directory under ``functions/``, and the job its timer payload names
JOBS = {KEEPER: "endpoint_keeper", ADVISOR: "image_advisor", GUARD: JOB, AUDITOR: "pullkey_auditor"}


def central_world(function: str, accounts: int, regions: tuple[str, ...] = ORG_REGIONS, *,
                  untrusting: tuple[int, ...] = (), reserved: int = 4, retries: int = 2) -> dict[str, Any]:
    """The generated organisation with ``function`` deployed in the central account's first region.

    As ``guard_world``: the function's role carries its deployed policies and the organisation's; every
    member's ``acrguard-member`` role carries ``deploy/policies/acrguard-member.json`` and trusts it
    (except the members in ``untrusting``). No whitelist drift: the ACLs are not this function's business.
    """
    central = {function: [{"name": name, "document": deploy_policy(name)}
                          for name in (function, f"{function}-state", ORGANIZATION_POLICY)]}
    world = org_world(accounts, regions, central_roles=central, trusted=(function,), untrusting=untrusting,
                      member_policies=[{"name": MEMBER_POLICY, "document": deploy_policy(MEMBER_POLICY)}],
                      drift_every=0)
    world["chat"] = {"dingtalk": {DING: {}}}
    world["accounts"][ORG_CENTRAL]["regions"][regions[0]]["fc"] = {"functions": [{
        "name": function, "code_dir": str(REPO / "functions" / JOBS[function]), "handler": "index.handler",
        "role": f"acs:ram::{ORG_CENTRAL}:role/{function}", "timeout": 60, "reserved_concurrency": reserved,
        "async": {"maxAsyncRetryAttempts": retries, "destinationConfig": {"onFailure": {"destination": FAILURES}}},
    }]}
    return world


def member_instance(world: dict[str, Any], index: int, region_index: int,
                    regions: tuple[str, ...] = ORG_REGIONS) -> dict[str, Any]:
    """The world's spec of member ``index``'s ACR instance in its ``region_index``-th region."""
    region = world["accounts"][org_member(index)]["regions"][regions[region_index]]
    return region["cr"]["instances"][0]


def org_config(cloud: Any, tmp_path: Path, function: str, instances: list[dict[str, Any]],
               regions: tuple[str, ...] = ORG_REGIONS, **sections: Any) -> Path:
    """Write the central function's config (the directory's members, chat, SQLite state) and point it there."""
    endpoints = cloud.endpoints()
    data = {
        "cloud": {"region": regions[0], "endpoint": endpoints["openapi"], "oss_endpoint": endpoints["oss"],
                  "protocol": "http", "retry": {"max_attempts": 2, "base_delay_ms": 5, "max_delay_ms": 20},
                  "read_timeout_ms": 3000, "connect_timeout_ms": 1000},
        "organization": {"resource_directory": {}, "regions": list(regions), "async_retries": 2},
        "instances": instances,
        "alerts": {"group_interval_s": 1, "repeat_interval_s": 3600, "channels": [{
            "name": "ops", "type": "dingtalk",
            "url": f"http://{endpoints['chat']}/dingtalk/robot/send?access_token={DING}"}]},
        "state": {"backend": "sqlite", "path": str(tmp_path / "state.db")},
        **sections,
    }
    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    cloud.backend("fc", ORG_CENTRAL, regions[0]).function(function).environment = {
        "ACRGUARD_CONFIG": str(path), "ACRGUARD_CONFIG_TTL": "0"}
    return path


def fire(cloud: Any, function: str, n: int = 0, region: str = ORG_REGIONS[0]) -> Any:
    """What ``function``'s timer trigger does at its ``n``-th firing; waits until every shard has finished."""
    payload = json.dumps({"triggerTime": f"2026-06-01T01:{n:02d}:00Z", "triggerName": "sweep",
                          "payload": json.dumps({"job": JOBS[function]})}).encode()
    backend = cloud.backend("fc", ORG_CENTRAL, region)
    record = backend.runner(function).invoke_async(payload)
    assert backend.drain(120), "the shards did not finish in time"
    return record


def shard_runs(cloud: Any, function: str, region: str = ORG_REGIONS[0]) -> list[Any]:
    """The invocation records of ``function``'s shards (payloads naming ``acrguardShard``), oldest first."""
    return [r for r in cloud.backend("fc", ORG_CENTRAL, region).runner(function).records
            if b"acrguardShard" in r.payload]


def sweep_summaries(cloud: Any) -> list[str]:
    """The first lines of the run summaries the robot accepted."""
    return [t.splitlines()[0] for t in chat_texts(cloud) if "shard(s) done" in t.splitlines()[0]]


def session_of(cloud: Any, request: Any) -> Any:
    """The STS session that signed a recorded request (None: a long-term key signed it)."""
    return cloud.sts_tokens.get(request.access_key_id or "")


# -- the endpoint keeper's organisation: a VPC endpoint and a VBR route table per member instance ------

KEEPER_AUTH = "dockerauth-ee-vpc.{region}.aliyuncs.com"
#: the auth service's address in each region, and one OSS internal VIP inside the region's published ranges
KEEPER_AUTH_IPS = {"cn-hangzhou": "100.103.7.181", "cn-shanghai": "100.103.8.17"}
KEEPER_OSS_IPS = {"cn-hangzhou": "100.118.28.7", "cn-shanghai": "100.98.35.7"}
#: the shipped OSS VIP ranges of each region (``acrguard/data/oss_vip_ranges.json``)
KEEPER_OSS_RANGES = {"cn-hangzhou": {"100.118.28.0/24", "100.114.102.0/24", "100.98.170.0/24", "100.118.31.0/24"},
                     "cn-shanghai": {"100.98.35.0/24", "100.98.110.0/24", "100.98.169.0/24", "100.118.102.0/24"}}


def keeper_eni(index: int, region_index: int) -> str:
    """The VPC endpoint (ENI) address of member ``index``'s instance in its ``region_index``-th region."""
    return f"192.168.{10 + index}.{21 + region_index}"


def keeper_table(index: int, region_index: int) -> str:
    """The VBR route table the member's IDC learns the instance's prefixes from."""
    return f"vtb-vbr{index:04d}r{region_index}"


def keeper_prefixes(index: int, region_index: int, regions: tuple[str, ...] = ORG_REGIONS) -> set[str]:
    """Everything the member's IDC needs routed for its instance: the ENI, the auth service, the OSS ranges."""
    region = regions[region_index]
    return {f"{keeper_eni(index, region_index)}/32", f"{KEEPER_AUTH_IPS[region]}/32", *KEEPER_OSS_RANGES[region]}


#: the central account's bucket the IDC exports go to (the keeper's policy writes ``acrguard-*/exports/*``)
EXPORTS_BUCKET = "acrguard-exports"


def keeper_world(accounts: int, regions: tuple[str, ...] = ORG_REGIONS, *,
                 untrusting: tuple[int, ...] = ()) -> dict[str, Any]:
    """The organisation with the endpoint keeper deployed centrally; each member instance has a VPC endpoint.

    Each member instance is linked to a VPC of its account (its own ENI address, ``keeper_eni``) and its
    IDC learns routes from a VBR route table of the member (``keeper_table``, holding the IDC's own
    uplink and taking destinations inside 100.64.0.0/10, as ``tests/routes/keeperworld.py``'s); the DNS
    answers the VPC domain, the region's auth service and the OSS internal domain; the registry answers
    each VPC domain's ``/v2/`` with its instance's challenge. Route writes settle at once. The central
    account has the bucket ``EXPORTS_BUCKET`` in the first region.
    """
    world = central_world(KEEPER, accounts, regions, untrusting=untrusting)
    records: dict[str, Any] = {}
    hosts: dict[str, Any] = {}
    for region in regions:
        records[KEEPER_AUTH.format(region=region)] = {"A": [KEEPER_AUTH_IPS[region]]}
    for index in range(accounts):
        for region_index, region in enumerate(regions):
            instance_id, name = org_instance(index, region_index)
            spec = member_instance(world, index, region_index, regions)
            spec["vpc"] = {"linked_vpcs": [{"vpc_id": f"vpc-m{index:04d}r{region_index}",
                                            "vswitch_id": f"vsw-m{index:04d}r{region_index}",
                                            "ip": keeper_eni(index, region_index), "default_access": True}]}
            world["accounts"][org_member(index)]["regions"][region]["vpc"] = {
                "route_entry_delay_s": 0, "route_tables": [{
                    "id": keeper_table(index, region_index), "type": "VBR", "vbr_id": f"vbr-m{index:04d}",
                    "service_range": "more_specific", "entries": [{
                        "id": f"rte-idc{index:04d}r{region_index}", "destination": "10.0.0.0/8",
                        "next_hop_type": "RouterInterface", "next_hop_id": "ri-idc", "name": "idc-uplink"}]}]}
            domain = f"{name}-registry-vpc.{region}.cr.aliyuncs.com"
            records[domain] = {"A": [keeper_eni(index, region_index)]}
            records[f"{instance_id}-registry.oss-{region}-internal.aliyuncs.com"] = {"A": [KEEPER_OSS_IPS[region]]}
            hosts[domain] = {"realm": f"https://{KEEPER_AUTH.format(region=region)}/auth",
                             "service": f"registry.aliyuncs.com:{region}:26842:{instance_id}"}
    world["dns"] = {"records": records}
    world["registry"] = {"hosts": hosts}
    world["oss"] = {"buckets": [{"name": EXPORTS_BUCKET, "account": ORG_CENTRAL, "region": regions[0]}]}
    return world


def keeper_export(index: int, region_index: int) -> str:
    """The key of the hosts file exported for member ``index``'s instance (``keeper_config(exports=True)``)."""
    return f"exports/{org_instance(index, region_index)[1]}.hosts"


def keeper_config(cloud: Any, tmp_path: Path, accounts: int, regions: tuple[str, ...] = ORG_REGIONS, *,
                  exports: bool = False) -> Path:
    """The keeper's config: one instance per member and region, routed on the member's VBR table.

    With ``exports``, each instance also exports an IDC hosts file to the central ``EXPORTS_BUCKET``.
    """
    endpoints = cloud.endpoints()
    host, port = endpoints["dns"].split(":")
    instances = []
    for index in range(accounts):
        for region_index, region in enumerate(regions):
            instance_id, name = org_instance(index, region_index)
            instances.append({"name": name, "instance_id": instance_id, "region": region,
                              "account": org_member(index), "routes": {
                                  "nameservers": [host], "dns_port": int(port), "queries_per_name": 2,
                                  "dns_timeout_s": 0.3, "registry_probe_address": endpoints["registry"],
                                  "registry_probe_scheme": "http", "registry_probe_timeout_s": 2,
                                  "targets": [{"type": "vbr_route_table", "name": "idc-vbr",
                                               "route_table_id": keeper_table(index, region_index),
                                               "next_hop_id": f"ri-vbr{index:04d}"}]}})
            if exports:
                instances[-1]["routes"]["exports"] = [{
                    "format": "hosts", "region": regions[0],
                    "destination": f"oss://{EXPORTS_BUCKET}/{keeper_export(index, region_index)}"}]
    return org_config(cloud, tmp_path, KEEPER, instances, regions, safety={"hold_runs": 1, "hold_hours": 0})


def routed(cloud: Any, index: int, region_index: int, regions: tuple[str, ...] = ORG_REGIONS) -> dict[str, str]:
    """Destination -> name of every custom entry of member ``index``'s VBR table in its ``region_index``-th region."""
    backend = cloud.backend("vpc", org_member(index), regions[region_index])
    table = backend.tables[keeper_table(index, region_index)]
    return {e.destination: e.name for e in table.entries.values() if e.type == "Custom" and e.deleted_at is None}


# -- the image advisor's organisation: a heavy image in every member instance -------------------------

GIB = 1024 ** 3
#: the heavy tag of every member's ``apps/web`` (1.5 GiB, over the default 1 GiB threshold) and a light one
HEAVY, LIGHT = 3 * GIB // 2, 200 * 1024 ** 2


def advisor_world(accounts: int, regions: tuple[str, ...] = ORG_REGIONS, *,
                  untrusting: tuple[int, ...] = ()) -> dict[str, Any]:
    """The organisation with the image advisor deployed centrally; every member instance (Advanced edition)
    holds ``apps/web`` with a light ``v1`` and a heavy ``v2`` of its own digest, and a light ``apps/tiny``."""
    world = central_world(ADVISOR, accounts, regions, untrusting=untrusting)
    for index in range(accounts):
        for region_index in range(len(regions)):
            spec = member_instance(world, index, region_index, regions)
            spec["specification"] = "Enterprise_Advanced"
            suffix = f"{index:04d}r{region_index}"
            digest = "sha256:" + f"{index:02x}{region_index:02x}" * 16
            spec["repositories"] = [
                {"namespace": "apps", "name": "web", "id": f"crr-web{suffix}",
                 "tags": [{"tag": "v1", "image_size": LIGHT}, {"tag": "v2", "image_size": HEAVY, "digest": digest}]},
                {"namespace": "apps", "name": "tiny", "id": f"crr-tiny{suffix}",
                 "tags": [{"tag": "v1", "image_size": LIGHT}]}]
    return world


def advisor_config(cloud: Any, tmp_path: Path, accounts: int, regions: tuple[str, ...] = ORG_REGIONS, *,
                   policy: str = "report") -> Path:
    """The advisor's config: every member instance's ``apps/*`` swept under ``policy``."""
    instances = []
    for index in range(accounts):
        for region_index, region in enumerate(regions):
            instance_id, name = org_instance(index, region_index)
            instances.append({"name": name, "instance_id": instance_id, "region": region,
                              "account": org_member(index),
                              "image_advisor": {"policy": policy, "repositories": ["apps/*"]}})
    return org_config(cloud, tmp_path, ADVISOR, instances, regions)


def sweep_views(tmp_path: Path) -> list[Any]:
    """Every sweep record of the central SQLite state (``org_config``'s), oldest first."""
    from acrguard.org import sweeps
    from acrguard.state.sqlite import SqliteStateStore

    store = SqliteStateStore(tmp_path / "state.db", read_only=True)
    try:
        found = [sweeps.view(key[len(sweeps.PREFIX):], value) for key, value in store.values(sweeps.PREFIX).items()]
    finally:
        store.close()
    return sorted(found, key=lambda s: s.sweep)


def routed_to_central(event: dict[str, Any], index: int) -> bytes:
    """Member ``index``'s event as its rule routes it to the central account's organisation bus."""
    from acrguard.events.subscriptions import ORGANIZATION_BUS

    event.update(aliyuneventbusname=ORGANIZATION_BUS, aliyunaccountid=ORG_CENTRAL,
                 aliyunoriginalaccountid=org_member(index))
    return json.dumps(event).encode()
