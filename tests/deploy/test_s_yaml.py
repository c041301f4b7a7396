"""s.yaml: valid against the fc3 component's schema, and consistent with acrguard's own tables."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from acrguard.deploy.check import global_event_functions
from acrguard.deploy.syaml import read, trigger_order_problems
from acrguard.functions import FUNCTIONS

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO / "deploy" / "fc3-schema.json"  # vendored: see deploy/fc3-schema.SOURCE.md
SCHEMA_SHA256 = "898f3c98627525d28323fe8bd575c64c8d91c2324b1ad448882e5a9487b7ed15"
SPEC = read(REPO / "s.yaml")
RESOURCES = SPEC.resources
BY_NAME = {r.function_name: r for r in RESOURCES}


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_the_vendored_schema_is_the_recorded_copy():
    """The schema in the repo is byte for byte the copy its SOURCE file names."""
    assert hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest() == SCHEMA_SHA256


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.resource)
def test_props_validate_against_the_fc3_schema(schema, resource):
    """fc3 only logs schema errors; we fail the build on them."""
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(resource.props), key=lambda e: e.path)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_every_function_is_deployed_and_nothing_else():
    """s.yaml deploys exactly the functions acrguard defines, with their handler and code directory."""
    assert set(BY_NAME) == {spec.fc_name for spec in FUNCTIONS.values()}
    for spec in FUNCTIONS.values():
        props = BY_NAME[spec.fc_name].props
        assert props["runtime"] == "python3.10"
        assert props["handler"] == "index.handler"
        assert props["code"] == f"./build/{spec.name}"
        assert (REPO / "functions" / spec.name / "index.py").is_file()


def test_writers_run_one_at_a_time_and_failures_are_kept():
    """Writers have reserved concurrency 1; every function has bounded retries and an onFailure destination."""
    for spec in FUNCTIONS.values():
        props = BY_NAME[spec.fc_name].props
        if spec.writer:
            assert props["concurrencyConfig"]["reservedConcurrency"] == 1
        async_config = props["asyncInvokeConfig"]
        assert 0 <= async_config["maxAsyncRetryAttempts"] <= 3
        assert async_config["destinationConfig"]["onFailure"]["destination"].startswith("acs:")


def test_the_endpoint_keeper_runs_in_the_vpc():
    """The keeper must resolve VPC names and reach /v2/ on the VPC domain."""
    vpc = BY_NAME["acrguard-endpoint-keeper"].props["vpcConfig"]
    assert {"vpcId", "vSwitchIds", "securityGroupId"} <= set(vpc)


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.resource)
def test_timers_are_six_field_cron(resource):
    """FC timers take 6-field cron (seconds first), in UTC; payloads are JSON naming the job."""
    timers = [t for t in resource.triggers if t.type == "timer"]
    assert timers, "every job has a scheduled sweep"
    for timer in timers:
        assert len(timer.config["cronExpression"].split()) == 6
        assert re.fullmatch(r"[0-9*/,-]+", timer.config["cronExpression"].split()[0])
        assert json.loads(timer.config["payload"])["job"] in FUNCTIONS


def test_roles_policies_are_shipped():
    """Each function's role has a least-privilege policy document in deploy/policies/."""
    for spec in FUNCTIONS.values():
        role = BY_NAME[spec.fc_name].props["role"]
        assert role.endswith(f":role/{spec.fc_name}")
        path = REPO / "deploy" / "policies" / f"{spec.fc_name}.json"
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["Version"] == "1" and document["Statement"]


def _eventbridge_patterns() -> dict[str, list[dict]]:
    from acrguard.functions import function

    found: dict[str, list[dict]] = {}
    for resource in RESOURCES:
        job = function(resource.function_name).name
        found[job] = [t.pattern for t in resource.triggers if t.type == "eventbridge"]
    return found


def test_trigger_patterns_are_the_routing_tables():
    """Each function's EventBridge pattern is exactly what the routing table says its job handles."""
    from acrguard.events.patterns import trigger_patterns

    for job, patterns in _eventbridge_patterns().items():
        assert patterns == trigger_patterns(job), job


def test_every_routed_event_reaches_its_function_and_no_other():
    """A sample of every routed event matches its own job's trigger and no other function's."""
    from acrguard.events.patterns import matches, sample_events

    deployed = _eventbridge_patterns()
    samples = [(job, event) for job, event in sample_events() if job in deployed]
    assert {job for job, _ in samples} == set(deployed)
    for job, event in samples:
        reached = {other for other, patterns in deployed.items() if any(matches(p, event) for p in patterns)}
        assert reached == {job}, (job, event.get("data", {}).get("eventName"), reached)


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.resource)
def test_eventbridge_triggers_are_asynchronous(resource):
    """Every EventBridge trigger says asyncInvocationType: false (FC 3.0: true is synchronous, no async retries)."""
    for trigger in resource.triggers:
        if trigger.type == "eventbridge":
            assert trigger.config["asyncInvocationType"] is False, trigger.name
            assert not trigger.synchronous


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.resource)
def test_eventbridge_triggers_come_last(resource):
    """No trigger follows an EventBridge trigger: fc3 stops at an unchanged one and skips the rest."""
    assert trigger_order_problems(resource) == []
    assert [t.type for t in resource.triggers][-1] == "eventbridge"


def test_the_order_rule_catches_a_timer_after_an_eventbridge_trigger():
    """The order rule names each non-EventBridge trigger listed after an EventBridge one."""
    from acrguard.deploy.syaml import FunctionResource

    shuffled = FunctionResource("x", {"triggers": [
        {"triggerName": "a", "triggerType": "timer"}, {"triggerName": "events", "triggerType": "eventbridge"},
        {"triggerName": "b", "triggerType": "timer"}, {"triggerName": "c", "triggerType": "http"}]})
    assert trigger_order_problems(shuffled) == ["b", "c"]


def test_ram_event_functions_run_in_the_global_events_region():
    """The function whose trigger filters RAM/IMS events runs in vars.globalEventsRegion; the others in region."""
    assert SPEC.global_events_region in ("cn-hangzhou", "ap-southeast-1")
    assert global_event_functions() == {"acrguard-pullkey-auditor"}
    raw = yaml.safe_load((REPO / "s.yaml").read_text(encoding="utf-8"))
    for resource in raw["resources"].values():
        props = resource["props"]
        wanted = "globalEventsRegion" if props["functionName"] in global_event_functions() else "region"
        assert props["region"] == f"${{vars.{wanted}}}", props["functionName"]


def test_functions_outside_the_config_region_are_told_where_the_config_is():
    """The config object lives in vars.region's bucket; a function deployed elsewhere carries that region."""
    raw = yaml.safe_load((REPO / "s.yaml").read_text(encoding="utf-8"))
    for name, resource in raw["resources"].items():
        props = resource["props"]
        env = props["environmentVariables"]
        assert env["ACRGUARD_CONFIG_OSS"] == "${vars.configObject}"
        if props["region"] != "${vars.region}":
            assert env.get("ACRGUARD_CONFIG_OSS_REGION") == "${vars.region}", name
            assert props["asyncInvokeConfig"]["destinationConfig"]["onFailure"]["destination"] == \
                "${vars.globalEventsFailureDestination}", name


@pytest.mark.parametrize("path", ["s.yaml", *sorted(str(p.relative_to(REPO)) for p in (REPO / "deploy").rglob("*")
                                                     if p.is_file()),
                                  *sorted(str(p.relative_to(REPO)) for p in
                                          (REPO / "shared" / "acrguard" / "deploy").glob("*.py"))])
def test_deployment_files_point_at_nothing_outside_the_repository(path):
    """s.yaml, deploy/ and the deploy package cite public sources, never the handbook beside the repository."""
    assert "../shared" not in (REPO / path).read_text(encoding="utf-8")
