"""The benchmark worlds and the configs that point each job at them (deterministic for the same arguments).

* ``audit_world``: ``localcloud.worlds.generate.ram_world`` (users, custom policies, groups, keys).
* ``sparse_pull_world``: the same population with every permission that grants pulling taken away
  from all but ``pull_users`` key holders (a big account where few users pull).
* ``keeper_world``: ``n`` ACR instances, each with a healthy VPC endpoint and four route targets of its
  own (a VBR route table, CEN cloud-service access, a transit router table, an IPsec connection),
  empty of acrguard's routes, so a first sweep must write every desired prefix on every target.
* ``whitelist_world``: ``n`` instances with an enabled internet endpoint holding an allowed
  unmanaged entry and ``stale`` acrguard entries that are no longer declared; the config declares
  ``entries`` CIDRs (two by default), so a sweep must add them and remove the stale ones per instance
  (``whitelist_world(1, entries=100)``: a hundred entries on one instance).

Every asynchronous state settles at once (delay 0) so polls are not stretched by the cloud clock.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from localcloud.worlds.generate import ram_world

ACCOUNT = "1234567890123456"
ROOT_KEY = "LTAI5tBenchRootKey0001"
ROOT_SECRET = "bench-root-secret-0001"
REGION = "cn-hangzhou"
AUTH_HOST = f"dockerauth-ee-vpc.{REGION}.aliyuncs.com"
AUTH_IPS = ("100.103.7.181", "100.103.9.188")
OSS_IP = "100.118.28.7"
OFFICE = "203.0.113.0/24"


def instance_id(index: int) -> str:
    """The id of bench instance ``index`` (``cri-bench000000000001``...)."""
    return f"cri-bench{index + 1:012d}"


def instance_name(index: int) -> str:
    """The short name of bench instance ``index``."""
    return f"reg{index + 1:02d}"


def eni(index: int) -> str:
    """The VPC endpoint ENI address of instance ``index``."""
    return f"192.168.{index // 200}.{10 + index % 200}"


def vpc_domain(index: int) -> str:
    """The VPC registry domain of instance ``index``."""
    return f"{instance_name(index)}-registry-vpc.{REGION}.cr.aliyuncs.com"


def oss_domain(index: int) -> str:
    """The OSS internal domain of instance ``index``'s default bucket."""
    return f"{instance_id(index)}-registry.oss-{REGION}-internal.aliyuncs.com"


def _account(regions: dict[str, Any] | None = None, global_: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"accounts": {ACCOUNT: {"default_region": REGION,
                                   "access_keys": [{"id": ROOT_KEY, "secret": ROOT_SECRET}],
                                   "global": global_ or {"ram": {"users": []}},
                                   "regions": {REGION: regions or {}}}}}


def cloud_section(cloud: Any) -> dict[str, Any]:
    """The ``cloud:`` config section for the local cloud, signed with the bench root key (default retries)."""
    endpoints = cloud.endpoints()
    return {"region": REGION, "endpoint": endpoints["openapi"], "oss_endpoint": endpoints["oss"], "protocol": "http",
            "credentials": {"access_key_id": ROOT_KEY, "access_key_secret": ROOT_SECRET}}


# -- pull-key audit ------------------------------------------------------------------------------

def audit_world(users: int, custom_policies: int, group_share: float = 0.05, seed: int = 0) -> dict[str, Any]:
    """The generated RAM population, signed with the bench root key."""
    return ram_world(users=users, custom_policies=custom_policies, group_share=group_share, seed=seed,
                     account=ACCOUNT, root_key=ROOT_KEY, root_secret=ROOT_SECRET)


def sparse_pull_world(users: int, custom_policies: int, pull_users: int, group_share: float = 0.05,
                      seed: int = 0) -> dict[str, Any]:
    """``audit_world``, but only ``pull_users`` holders of an active key keep a policy that grants pulling.

    The others lose their pull-granting attachments (direct ones, and memberships of groups that
    hold one); the kept users are drawn with ``seed`` among those that could pull. Which policies
    grant pulling is ``bench.minimum.grants_pull``'s answer, independent of acrguard.
    """
    import random

    from bench.minimum import grants_pull

    world = audit_world(users, custom_policies, group_share, seed)
    ram = world["accounts"][ACCOUNT]["global"]["ram"]
    from localcloud.products.ram import load_system_policies

    documents = {("System", spec["name"]): next(v for v in spec["versions"] if v.get("default"))["document"]
                 for spec in load_system_policies()}
    documents.update({("Custom", spec["name"]): next(v for v in spec["versions"] if v.get("default"))["document"]
                      for spec in ram["policies"]})
    pulling = {ref for ref, doc in documents.items()
               if grants_pull(doc if isinstance(doc, str) else json.dumps(doc))}
    pull_groups = {g["name"] for g in ram["groups"]
                   if any((p.get("type", "Custom"), p["name"]) in pulling for p in g["policies"])}

    def can_pull(spec: dict[str, Any]) -> bool:
        direct = any((p.get("type", "Custom"), p["name"]) in pulling for p in spec.get("policies", []))
        active = any(k.get("status", "Active") == "Active" for k in spec.get("access_keys", []))
        return active and (direct or bool(set(spec.get("groups", [])) & pull_groups))

    able = [spec["name"] for spec in ram["users"] if can_pull(spec)]
    if len(able) < pull_users:
        raise ValueError(f"only {len(able)} users of the generated world can pull; {pull_users} asked")
    kept = set(random.Random(seed).sample(able, pull_users))
    for spec in ram["users"]:
        if spec["name"] in kept:
            continue
        spec["policies"] = [p for p in spec.get("policies", []) if (p.get("type", "Custom"), p["name"]) not in pulling]
        spec["groups"] = [g for g in spec.get("groups", []) if g not in pull_groups]
    return world


def audit_config(cloud: Any, state_path: str) -> dict[str, Any]:
    """A config that audits the whole account with discovery (no ConfigMaps, no configured users)."""
    return {"cloud": cloud_section(cloud), "state": {"backend": "sqlite", "path": state_path},
            "pull_keys": {"discover": True}}


# -- endpoint keeper -----------------------------------------------------------------------------

def keeper_world(instances: int) -> dict[str, Any]:
    """``instances`` ACR instances, each with a VBR table, CEN service access, a TR table and an IPsec connection."""
    cr_instances, tables, vpns, cens, tr_tables = [], [], [], [], []
    records: dict[str, Any] = {AUTH_HOST: {"A": list(AUTH_IPS), "rotate": True}}
    hosts = {}
    for i in range(instances):
        n = i + 1
        cr_instances.append({"id": instance_id(i), "name": instance_name(i), "specification": "Enterprise_Advanced",
                             "vpc": {"linked_vpcs": [{"vpc_id": f"vpc-b{n}", "vswitch_id": f"vsw-b{n}", "ip": eni(i),
                                                      "default_access": True}]}})
        # the VBR table takes prefixes inside 100.64.0.0/10 (one documented CreateRouteEntry revision)
        tables.append({"id": f"vtb-vbr{n}", "type": "VBR", "vbr_id": f"vbr-{n}", "service_range": "more_specific",
                       "entries": [
            {"id": f"rte-idc{n}", "destination": "10.0.0.0/8", "next_hop_type": "RouterInterface",
             "next_hop_id": f"ri-idc{n}", "name": "idc-uplink"}]})
        vpns.append({"id": f"vco-{n}", "vpn_gateway_id": f"vpn-{n}", "local_subnet": "192.168.0.0/16",
                     "remote_subnet": "10.0.0.0/8"})
        cens.append({"id": f"cen-{n}", "attached_vpcs": {REGION: [f"vpc-b{n}"]}})
        tr_tables.append({"id": f"vtb-tr{n}", "transit_router_id": f"tr-{n}",
                          "attachments": [f"tr-attach-vpc{n}", f"tr-attach-vbr{n}"],
                          "entries": [{"id": f"rte-tr-idc{n}", "destination": "10.0.0.0/8",
                                       "next_hop_id": f"tr-attach-vbr{n}", "name": "idc"}]})
        records[vpc_domain(i)] = {"A": [eni(i)]}
        records[oss_domain(i).lower()] = {"A": [OSS_IP]}
        hosts[vpc_domain(i)] = {"realm": f"https://{AUTH_HOST}/auth",
                                "service": f"registry.aliyuncs.com:{REGION}:26842:{instance_id(i)}"}
    world = _account(regions={"cr": {"instances": cr_instances},
                              "vpc": {"route_entry_delay_s": 0, "vpn_configuring_s": 0, "route_tables": tables,
                                      "vpn_connections": vpns}},
                     global_={"ram": {"users": []},
                              "cbn": {"async_delay_s": 0, "cen_instances": cens,
                                      "transit_router_route_tables": tr_tables}})
    world["dns"] = {"records": records}
    world["registry"] = {"hosts": hosts}
    return world


def keeper_targets(index: int) -> list[dict[str, Any]]:
    """The four route targets of instance ``index``, in config form."""
    n = index + 1
    return [
        {"type": "vbr_route_table", "name": f"vbr{n}", "route_table_id": f"vtb-vbr{n}", "next_hop_id": f"ri-vbr{n}"},
        {"type": "cen_service", "name": f"cen{n}", "cen_id": f"cen-{n}", "host_region_id": REGION,
         "host_vpc_id": f"vpc-b{n}", "access_region_ids": [REGION], "families": ["auth", "oss"]},
        {"type": "cen_transit_router", "name": f"tr{n}", "route_table_id": f"vtb-tr{n}",
         "attachment_id": f"tr-attach-vpc{n}"},
        {"type": "vpn_connection", "name": f"vpn{n}", "vpn_connection_id": f"vco-{n}"},
    ]


def keeper_config(cloud: Any, state_path: str, instances: int) -> dict[str, Any]:
    """A config routing every bench instance on its four targets, resolving and probing through the local cloud."""
    endpoints = cloud.endpoints()
    host, port = endpoints["dns"].split(":")
    config = []
    for i in range(instances):
        routes = {"nameservers": [host], "dns_port": int(port), "queries_per_name": 4, "dns_timeout_s": 0.5,
                  "registry_probe_address": endpoints["registry"], "registry_probe_scheme": "http",
                  "registry_probe_timeout_s": 2, "targets": keeper_targets(i)}
        config.append({"name": instance_name(i), "instance_id": instance_id(i), "routes": routes})
    return {"cloud": cloud_section(cloud), "instances": config, "state": {"backend": "sqlite", "path": state_path},
            "safety": {"hold_runs": 1, "hold_hours": 0}}


# -- whitelist guard -----------------------------------------------------------------------------

def declared_entries(index: int, count: int = 2) -> list[str]:
    """The ``count`` CIDRs the config declares for instance ``index`` (all absent from the live ACL)."""
    first = [f"198.51.100.{index % 250 + 1}/32", f"192.0.2.{(index % 32) * 8}/29"]
    more = [f"198.19.{index % 250}.{k}/32" for k in range(max(0, count - len(first)))]
    if count > len(first) + 250:
        raise ValueError(f"at most {len(first) + 250} declared entries per instance, got {count}")
    return (first + more)[:count]


def stale_entry(index: int, k: int = 0) -> str:
    """The ``k``-th acrguard entry of instance ``index`` that is no longer declared."""
    if not 0 <= k < 250:
        raise ValueError(f"at most 250 stale entries per instance, got index {k}")
    return f"198.18.{index % 250}.0/24" if k == 0 else f"198.18.{250 + index % 6}.{k}/32"


def whitelist_world(instances: int, stale: int = 1) -> dict[str, Any]:
    """``instances`` instances with an enabled internet endpoint: an allowed office range, ``stale`` stale entries."""
    cr_instances = []
    for i in range(instances):
        entries = [{"entry": OFFICE, "comment": "office"}]
        entries += [{"entry": stale_entry(i, k), "comment": f"acrguard:{instance_name(i)}:old-range"}
                    for k in range(stale)]
        cr_instances.append({"id": instance_id(i), "name": instance_name(i), "specification": "Enterprise_Advanced",
                             "internet": {"enable": True, "entries": entries}})
    return _account(regions={"cr": {"instances": cr_instances}})


def whitelist_config(cloud: Any, state_path: str, instances: int, entries: int = 2) -> dict[str, Any]:
    """A config enforcing ``entries`` declared CIDRs per instance, the office range allowed as unmanaged."""
    config = []
    for i in range(instances):
        config.append({"name": instance_name(i), "instance_id": instance_id(i), "whitelist": {
            "policy": "enforce", "public_endpoint": "enabled", "allowed_unmanaged": [OFFICE],
            "entries": [{"cidr": cidr, "comment": "idc egress"} for cidr in declared_entries(i, entries)]}})
    return {"cloud": cloud_section(cloud), "instances": config, "state": {"backend": "sqlite", "path": state_path},
            "safety": {"hold_runs": 1, "hold_hours": 0, "max_delete_share": 1.0}}


def with_chat(world: dict[str, Any], robots: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``world`` with chat robots (``{"dingtalk": {TOKEN: {...}}, ...}``)."""
    data = copy.deepcopy(world)
    data["chat"] = robots
    return data


# -- image advisor -------------------------------------------------------------------------------

def advisor_world() -> dict[str, Any]:
    """One Advanced instance with a repository holding a small and a 1.5 GiB tag."""
    gib = 1024 ** 3
    return _account(regions={"cr": {"instances": [{
        "id": instance_id(0), "name": instance_name(0), "specification": "Enterprise_Advanced",
        "repositories": [{"namespace": "apps", "name": "web", "id": "crr-benchweb00000001",
                          "tags": [{"tag": "v1", "image_size": gib // 5}, {"tag": "v2", "image_size": 3 * gib // 2}]}],
    }]}})


def advisor_config(cloud: Any, state_path: str) -> dict[str, Any]:
    """The image advisor sweeping every repository of ``apps`` on the one instance."""
    return {"cloud": cloud_section(cloud), "state": {"backend": "sqlite", "path": state_path},
            "instances": [{"name": instance_name(0), "instance_id": instance_id(0),
                           "image_advisor": {"repositories": ["apps/*"]}}]}
