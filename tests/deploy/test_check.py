"""deploy check: the FC API view of a deployment compared with s.yaml, through the real FC SDK."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from acrguard.cli import cli
from acrguard.deploy.check import check
from acrguard.deploy.syaml import load
from localcloud.products.fc import seed_from_syaml
from support import ACCOUNT, REGION, ROOT_KEY, ROOT_SECRET

S_YAML = Path(__file__).resolve().parents[2] / "s.yaml"


@pytest.fixture
def deployed(cloud):
    """The local cloud with every function of s.yaml deployed as declared."""
    resources = load(S_YAML)
    seed_from_syaml(cloud, ACCOUNT, REGION, resources)
    return cloud.backend("fc", ACCOUNT, REGION)


def test_a_faithful_deployment_has_no_findings(deployed, factory):
    """What s deploy would create matches s.yaml."""
    report = check(factory, load(S_YAML))
    assert report.ok, [f.title for f in report.findings]
    assert set(report.checked) == {"acrguard-endpoint-keeper", "acrguard-whitelist-guard",
                                   "acrguard-pullkey-auditor", "acrguard-image-advisor"}


def titles(factory) -> list[str]:
    return [f.title for f in check(factory, load(S_YAML)).findings]


def test_missing_and_disabled_triggers_are_found(deployed, factory):
    """A deleted trigger and a disabled one are both reported."""
    guard = deployed.functions["acrguard-whitelist-guard"]
    del guard.triggers["sweep"]
    guard.triggers["acl-changes"].config["triggerEnable"] = False
    found = titles(factory)
    assert "trigger sweep (timer) is missing" in found
    assert "trigger acl-changes is disabled" in found


def test_a_different_filter_pattern_is_found(deployed, factory):
    """A pattern edited in the console (here: one event name dropped) is drift."""
    trigger = deployed.functions["acrguard-whitelist-guard"].triggers["acl-changes"]
    pattern = json.loads(trigger.config["eventRuleFilterPattern"])
    pattern["data"]["eventName"].remove("DeleteInstanceEndpointAclPolicy")
    trigger.config["eventRuleFilterPattern"] = json.dumps(pattern)
    assert any("filters differently" in t for t in titles(factory))


def test_writer_concurrency_and_async_settings_are_checked(deployed, factory):
    """A writer without reserved concurrency 1, and no failure destination, are reported."""
    keeper = deployed.functions["acrguard-endpoint-keeper"]
    keeper.reserved_concurrency = 3
    keeper.async_config = None
    found = titles(factory)
    assert "writer acrguard-endpoint-keeper has reserved concurrency 3, not 1: two runs may race" in found
    assert any(t.startswith("no onFailure destination") for t in found)
    assert any(t.startswith("async retries are not set") for t in found)


def test_a_function_that_is_not_deployed_is_critical(deployed, factory):
    """A function missing from FC is one critical finding."""
    del deployed.functions["acrguard-pullkey-auditor"]
    report = check(factory, load(S_YAML))
    missing = [f for f in report.findings if f.scope == "acrguard-pullkey-auditor"]
    assert [(f.title, f.severity.value) for f in missing] == [
        ("function acrguard-pullkey-auditor is not deployed", "critical")]


def test_cli_exit_codes(deployed, cloud, tmp_path):
    """The command exits 0 when the deployment matches and 1 when it drifted."""
    config = tmp_path / "acrguard.yaml"
    config.write_text(json.dumps({"cloud": {"region": REGION, "endpoint": cloud.endpoints()["openapi"],
                                            "protocol": "http", "credentials": {
                                                "access_key_id": ROOT_KEY, "access_key_secret": ROOT_SECRET}}}))
    runner = CliRunner()
    ok = runner.invoke(cli, ["deploy", "check", "--config", str(config), "--s-yaml", str(S_YAML), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["ok"] is True
    deployed.functions["acrguard-whitelist-guard"].reserved_concurrency = None
    drift = runner.invoke(cli, ["deploy", "check", "--config", str(config), "--s-yaml", str(S_YAML)])
    assert drift.exit_code == 1
    assert "acrguard-whitelist-guard: 1 problem(s)" in drift.output
