"""A whitelist sweep checks instances side by side, while each instance's writes keep their plan order."""

from __future__ import annotations

from typing import Any

import pytest

from acrguard.config import load_config_data
from acrguard.state.sqlite import SqliteStateStore
from acrguard.whitelist.guard import run_sweep
from acrguard.whitelist.marker import make_comment
from support import ACCOUNT, REGION, base_world
from tests.whitelist.helpers import config_data, writes

OFFICE = "203.0.113.0/24"
INSTANCES = [(f"cri-sweep{n:012d}", f"reg{n}") for n in range(1, 5)]
READ_LATENCY_MS = 300


def declared(n: int) -> list[str]:
    return [f"198.51.100.{n}/32", f"192.0.2.{8 * n}/29"]


@pytest.fixture
def world() -> dict[str, Any]:
    """Four instances, each with an allowed office range and one stale acrguard entry."""
    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"] = [
        {"id": iid, "name": name, "specification": "Enterprise_Advanced",
         "internet": {"enable": True, "entries": [{"entry": OFFICE, "comment": "office"},
                                                  {"entry": f"198.18.{n}.0/24",
                                                   "comment": make_comment(name, "old")}]}}
        for n, (iid, name) in enumerate(INSTANCES, 1)]
    return data


def test_instances_are_read_side_by_side_and_each_keeps_adds_before_its_removal(cloud, factory, tmp_path):
    """With 300 ms per read, the four reads finish together; every instance converges, adds first, in config order."""
    data = config_data(cloud, str(tmp_path / "state.db"), safety={"max_delete_share": 1.0})
    data["instances"] = [{"name": name, "instance_id": iid, "whitelist": {
        "policy": "enforce", "allowed_unmanaged": [OFFICE], "queries_per_name": 1,
        "entries": [{"cidr": cidr, "comment": "idc egress"} for cidr in declared(n)]}}
        for n, (iid, name) in enumerate(INSTANCES, 1)]
    config = load_config_data(data)
    cloud.inject(action="GetInstanceEndpoint", latency_ms=READ_LATENCY_MS)
    result = run_sweep(config, factory, SqliteStateStore(tmp_path / "state.db"), now=0.0)
    assert not result.failed and [run.instance_id for run in result.runs] == [iid for iid, _ in INSTANCES]
    reads = cloud.requests.filter(action="GetInstanceEndpoint")
    observed: dict[str, float] = {}
    for read in reads:
        observed.setdefault(read.params["InstanceId"], read.time)
    assert len(observed) == 4 and max(observed.values()) - min(observed.values()) < READ_LATENCY_MS / 1000
    assert len(reads) == 12  # per instance: the observation, the re-read before its removal, the check after it
    for n, (iid, _) in enumerate(INSTANCES, 1):
        mine = [(r.action, r.params.get("Entry")) for r in cloud.requests.filter(product="cr")
                if r.params.get("InstanceId") == iid and r.action != "GetInstanceEndpoint"]
        assert sorted(mine[:2]) == sorted(("CreateInstanceEndpointAclPolicy", c) for c in declared(n))
        assert mine[2:] == [("DeleteInstanceEndpointAclPolicy", f"198.18.{n}.0/24")]
    assert len(writes(cloud)) == 12


def test_a_hostname_in_every_acl_is_resolved_once_and_added_whole_to_each(cloud, factory, tmp_path):
    """Four ACLs naming one round-robin host: one set of queries, and every instance allows both addresses."""
    host, addresses = "idc-egress.example.com", ["47.96.0.7", "47.96.0.8"]
    cloud.dns.set(host, addresses, rotate=True)
    data = config_data(cloud, str(tmp_path / "state.db"), safety={"max_delete_share": 1.0})
    data["instances"] = [{"name": name, "instance_id": iid, "whitelist": {
        **data["instances"][0]["whitelist"], "policy": "enforce", "allowed_unmanaged": [OFFICE],
        "queries_per_name": 4, "entries": [{"host": host, "comment": "idc egress"}]}}
        for iid, name in INSTANCES]
    result = run_sweep(load_config_data(data), factory, SqliteStateStore(tmp_path / "state.db"), now=0.0)
    assert not result.failed
    assert cloud.dns.queries.count(host + ".") == 4
    for iid, _ in INSTANCES:
        added = {r.params.get("Entry") for r in cloud.requests.filter(action="CreateInstanceEndpointAclPolicy")
                 if r.params.get("InstanceId") == iid}
        assert added == {f"{address}/32" for address in addresses}
