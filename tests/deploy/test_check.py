"""deploy check: the FC API view of a deployment compared with s.yaml, through the real FC SDK."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from acrguard.cli import cli
from acrguard.deploy.check import check
from acrguard.deploy.syaml import SYaml, read
from localcloud.products.fc import seed_from_syaml
from support import ACCOUNT, REGION, ROOT_KEY, ROOT_SECRET

S_YAML = Path(__file__).resolve().parents[2] / "s.yaml"


@pytest.fixture
def deployed(cloud):
    """The local cloud with every function of s.yaml deployed as declared (s.yaml's regions are all REGION)."""
    spec = read(S_YAML)
    assert {r.region for r in spec.resources} == {REGION}
    seed_from_syaml(cloud, ACCOUNT, REGION, spec.resources)
    return cloud.backend("fc", ACCOUNT, REGION)


def test_a_faithful_deployment_has_no_findings(deployed, factory):
    """What s deploy would create matches s.yaml, without even a warning."""
    report = check(factory, read(S_YAML))
    assert report.ok and not report.findings, [f.title for f in report.findings]
    assert set(report.checked) == {"acrguard-endpoint-keeper", "acrguard-whitelist-guard",
                                   "acrguard-pullkey-auditor", "acrguard-image-advisor"}


def titles(factory, spec: SYaml | None = None) -> list[str]:
    return [f.title for f in check(factory, spec or read(S_YAML)).findings]


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


def test_in_an_organisation_the_writers_concurrency_is_compared_with_s_yaml(deployed, factory):
    """With an organisation, a writer's fan-out width is what s.yaml declares; unbounded is critical."""
    keeper = deployed.functions["acrguard-endpoint-keeper"]
    spec = read(S_YAML)
    keeper_props = next(r.props for r in spec.resources if r.function_name == "acrguard-endpoint-keeper")
    keeper_props["concurrencyConfig"] = {"reservedConcurrency": 16}
    keeper.reserved_concurrency = 16
    org = check(factory, spec, organization=True)
    assert org.ok and not org.findings, [f.title for f in org.findings]
    single = [f.title for f in check(factory, spec).findings]
    assert "writer acrguard-endpoint-keeper has reserved concurrency 16, not 1: two runs may race" in single
    keeper.reserved_concurrency = 8
    drift = check(factory, spec, organization=True)
    assert [f.title for f in drift.problems] == [
        "writer acrguard-endpoint-keeper has reserved concurrency 8, s.yaml says 16"]
    keeper.reserved_concurrency = None
    unbounded = check(factory, spec, organization=True)
    assert [(f.title.split(":")[0], f.severity.value) for f in unbounded.problems] == [
        ("writer acrguard-endpoint-keeper has no reserved concurrency (None)", "critical")]


def test_a_function_that_is_not_deployed_is_critical(deployed, factory):
    """A function missing from FC is one critical finding."""
    del deployed.functions["acrguard-pullkey-auditor"]
    report = check(factory, read(S_YAML))
    missing = [f for f in report.findings if f.scope == "acrguard-pullkey-auditor"]
    assert [(f.title, f.severity.value) for f in missing] == [
        (f"function acrguard-pullkey-auditor is not deployed in {REGION}", "critical")]


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


def test_a_synchronous_eventbridge_trigger_is_reported(deployed, factory):
    """A trigger switched to asyncInvocationType true (synchronous in FC 3.0) fails the check, by name."""
    trigger = deployed.functions["acrguard-pullkey-auditor"].triggers["ram-changes"]
    trigger.config["asyncInvocationType"] = True
    report = check(factory, read(S_YAML))
    assert not report.ok
    [finding] = report.findings
    assert finding.severity.value == "high"
    assert finding.title.startswith("EventBridge trigger ram-changes invokes the function synchronously "
                                    "(asyncInvocationType: true)")
    assert "onFailure destination do not apply" in finding.title


def test_the_trigger_config_is_read_as_the_fc_api_gives_it(deployed, factory):
    """ListTriggers answers triggerConfig as a JSON string with the documented EventBridge defaults filled in."""
    from alibabacloud_fc20230330 import models

    from acrguard.clients import call

    trigger = deployed.functions["acrguard-whitelist-guard"].triggers["acl-changes"]
    del trigger.config["asyncInvocationType"], trigger.config["triggerEnable"]
    body = call("fc", "ListTriggers", factory.fc().list_triggers, "acrguard-whitelist-guard",
                models.ListTriggersRequest(limit=100))
    [live] = [t for t in body.triggers if t.trigger_name == "acl-changes"]
    assert isinstance(live.trigger_config, str)
    config = json.loads(live.trigger_config)
    assert config["asyncInvocationType"] is False and config["triggerEnable"] is True
    assert live.source_arn.startswith(f"acs:eventbridge:{REGION}:{ACCOUNT}:eventbus/default/rule/")
    assert check(factory, read(S_YAML)).ok


def test_a_trigger_after_an_eventbridge_trigger_is_reported(deployed, factory):
    """s.yaml listing a timer after an EventBridge trigger is a problem: fc3 would skip the timer."""
    spec = read(S_YAML)
    guard = next(r for r in spec.resources if r.function_name == "acrguard-whitelist-guard")
    guard.props["triggers"].reverse()
    found = check(factory, spec)
    order = [f for f in found.findings if f.labels["check"] == "trigger-order"]
    assert [f.title for f in order] == [
        "s.yaml lists sweep after an EventBridge trigger: fc3 stops deploying a function's triggers at an "
        "unchanged EventBridge trigger, so changes to them are skipped"]
    assert not found.ok


def test_the_auditor_outside_the_global_events_region_is_a_warning(cloud, factory):
    """The RAM-event function deployed away from vars.globalEventsRegion is warned about, not failed."""
    spec = read(S_YAML)
    moved = SYaml({**spec.variables, "globalEventsRegion": "ap-southeast-1"}, spec.resources)
    seed_from_syaml(cloud, ACCOUNT, REGION, spec.resources)
    report = check(factory, moved)
    assert report.ok
    assert [(f.scope, f.severity.value) for f in report.warnings] == [("acrguard-pullkey-auditor", "medium")]
    assert report.warnings[0].title == (
        f"acrguard-pullkey-auditor and its EventBridge trigger are in {REGION}, but RAM/IMS events are "
        "delivered in ap-southeast-1 (vars.globalEventsRegion): the trigger never fires")


def test_functions_are_read_in_their_own_region(cloud, factory):
    """A function s.yaml deploys in another region is read there; its trigger rule's region is compared too."""
    spec = read(S_YAML)
    elsewhere = SYaml({**spec.variables, "globalEventsRegion": "ap-southeast-1"}, [
        type(r)(r.resource, {**r.props, "region": "ap-southeast-1"}) if r.function_name == "acrguard-pullkey-auditor"
        else r for r in spec.resources])
    seed_from_syaml(cloud, ACCOUNT, REGION, elsewhere.resources)
    assert "acrguard-pullkey-auditor" in cloud.backend("fc", ACCOUNT, "ap-southeast-1").functions
    assert "acrguard-pullkey-auditor" not in cloud.backend("fc", ACCOUNT, REGION).functions
    report = check(factory, elsewhere)
    assert report.ok and not report.findings, [f.title for f in report.findings]
    # A trigger whose rule sits on another region's bus (its sourceArn names that region) is a warning;
    # the backend's region is what the local cloud writes into sourceArn.
    singapore = cloud.backend("fc", ACCOUNT, "ap-southeast-1")
    singapore.region = REGION
    titles_now = [f.title for f in check(factory, elsewhere).warnings]
    assert titles_now == [f"EventBridge trigger ram-changes's rule is in {REGION}, but RAM/IMS events are "
                          "delivered in ap-southeast-1 (vars.globalEventsRegion)"]
