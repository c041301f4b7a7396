"""``acrguard routes plan|apply --config FILE [--json]`` against the local cloud."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import yaml
from click.testing import CliRunner

from acrguard.cli import cli
from acrguard.state.document import read_document
from acrguard.state.sqlite import SqliteStateStore
from support import ACCOUNT, INSTANCE_ID, REGION
from tests.routes.keeperworld import ALL_PREFIXES, ENI, config_data, keeper_world, ours, vbr_routes, writes

NEW_ENI = "192.168.10.77"


@pytest.fixture
def world():
    """Every target type; asynchronous states settle at once (the CLI waits in real time)."""
    return keeper_world(delay=0)


@pytest.fixture
def config_file(cloud, tmp_path):
    def write(**options) -> str:
        path = tmp_path / "acrguard.yaml"
        path.write_text(yaml.safe_dump(config_data(cloud, str(tmp_path / "state.db"), **options)), encoding="utf-8")
        return str(path)

    return write


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def state(tmp_path):
    """The state file's document view, and the version of every record."""
    store = SqliteStateStore(tmp_path / "state.db")
    try:
        records = store.get_many(prefix="")
        return SimpleNamespace(data=read_document(store), version={k: r.version for k, r in records.items()})
    finally:
        store.close()


def test_plan_json_prints_the_full_plan_and_writes_nothing(cloud, config_file, tmp_path):
    """``plan --json`` lists every target's adds; no write call reaches the cloud and no state is saved."""
    result = invoke("routes", "plan", "--config", config_file(), "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["mode"] == "plan"
    targets = {t["target"]: t for t in data["instances"][0]["targets"]}
    assert {a["prefix"] for a in targets["vbr_route_table:vtb-vbr1"]["adds"]} == ALL_PREFIXES
    assert targets["vpn_connection:vco-1"]["renegotiates_tunnel"] is True
    assert writes(cloud) == []
    assert state(tmp_path).data == {}


def test_plan_after_a_change_shows_the_hold_and_leaves_cloud_and_state_alone(cloud, factory, config_file, tmp_path):
    """After an address change the text plan shows the add and the held removal with why; nothing is written."""
    path = config_file()
    assert invoke("routes", "apply", "--config", path).exit_code == 1
    cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].linked_vpcs[0].ip = NEW_ENI
    cloud.dns.set(f"testreg-registry-vpc.{REGION}.cr.aliyuncs.com", [NEW_ENI])
    before = state(tmp_path)
    mark = cloud.requests.last_seq()
    result = invoke("routes", "plan", "--config", path)
    assert result.exit_code == 1, result.output
    assert f"+ {NEW_ENI}/32  vpc_endpoint  desired" in result.output
    assert f"~ {ENI}/32  vpc_endpoint  kept (hysteresis): absent from 1 successful observation(s)" in result.output
    assert writes(cloud, mark) == []
    after = state(tmp_path)
    assert (after.version, after.data) == (before.version, before.data)


def test_apply_converges_then_has_nothing_to_do(cloud, factory, config_file):
    """The first apply writes every target and exits 1; the second writes nothing and exits 0."""
    path = config_file()
    first = invoke("routes", "apply", "--config", path, "--json")
    assert first.exit_code == 1, first.output
    assert ours(vbr_routes(factory)) == ALL_PREFIXES
    mark = cloud.requests.last_seq()
    second = invoke("routes", "apply", "--config", path)
    assert second.exit_code == 0, second.output
    assert writes(cloud, mark) == []
    assert "no changes" in second.output


def test_apply_with_dry_run_writes_nothing(cloud, config_file):
    """``dry_run: true`` makes apply print the plan and say that nothing was written."""
    result = invoke("routes", "apply", "--config", config_file(dry_run=True))
    assert result.exit_code == 1
    assert "dry_run is set: nothing was written" in result.output
    assert writes(cloud) == []


def test_transient_failure_exits_75(cloud, config_file):
    """A throttled target read is a transient failure: exit 75, worth retrying."""
    cloud.inject(action="DescribeRouteEntryList", code="Throttling.User")
    result = invoke("routes", "apply", "--config", config_file())
    assert result.exit_code == 75, result.output
    assert "routes.target-unreadable" in result.output


def test_invalid_config_exits_78_with_every_problem(tmp_path):
    """A config error exits 78 (docs/exit-codes.md) and names the path of the bad value."""
    path = tmp_path / "bad.yaml"
    path.write_text("instances: [{name: r, instance_id: cri-1, routes: {targets: [{type: vpn_connection}]}}]\n")
    result = invoke("routes", "plan", "--config", str(path), "--json")
    assert result.exit_code == 78
    assert any("instances[0].routes.targets[0]" in e for e in json.loads(result.output)["errors"])
