"""Check 3, triggers: deploy check's trigger findings, per function."""

from __future__ import annotations

import json

import pytest

from acrguard.doctor.model import Status
from acrguard.doctor.triggers import check_triggers
from tests.doctor.doctorworld import DOCTOR_KEY, DOCTOR_SECRET, context, doctor_world, run, with_doctor_user


def by_subject(result):
    return {item.subject: item for item in result.items}


def test_a_faithful_deployment_passes(cloud, tmp_path, s_yaml, deployed):
    """Every function's triggers are deployed as s.yaml declares them."""
    result = run(context(cloud, tmp_path, s_yaml=s_yaml), check_triggers)
    assert result.status is Status.PASS, result.details
    assert by_subject(result)["acrguard-whitelist-guard"].evidence == \
        "deployed as declared: sweep (timer), acl-changes (eventbridge)"


def test_a_synchronous_eventbridge_trigger_fails(cloud, tmp_path, s_yaml, deployed):
    """asyncInvocationType true (synchronous in FC 3.0) fails, with deploy check's fix."""
    deployed.functions["acrguard-pullkey-auditor"].triggers["ram-changes"].config["asyncInvocationType"] = True
    result = run(context(cloud, tmp_path, s_yaml=s_yaml), check_triggers)
    assert result.status is Status.FAIL
    item = by_subject(result)["acrguard-pullkey-auditor"]
    assert "invokes the function synchronously" in item.evidence
    assert "asyncInvocationType: false" in item.fix


def test_a_missing_timer_and_an_edited_pattern_fail(cloud, tmp_path, s_yaml, deployed):
    """A deleted timer and a filter pattern edited in the console are both named."""
    guard = deployed.functions["acrguard-whitelist-guard"]
    del guard.triggers["sweep"]
    pattern = json.loads(guard.triggers["acl-changes"].config["eventRuleFilterPattern"])
    pattern["data"]["eventName"].remove("UpdateInstanceEndpointStatus")
    guard.triggers["acl-changes"].config["eventRuleFilterPattern"] = json.dumps(pattern)
    item = by_subject(run(context(cloud, tmp_path, s_yaml=s_yaml), check_triggers))["acrguard-whitelist-guard"]
    assert item.status is Status.FAIL
    assert "trigger sweep (timer) is missing" in item.evidence
    assert "acl-changes filters differently from s.yaml" in item.evidence
    assert "s deploy" in item.fix


def test_other_drift_is_counted_with_the_command_to_run(cloud, tmp_path, s_yaml, deployed):
    """Drift that is not about triggers (reserved concurrency) leaves the check passing and points at deploy check."""
    deployed.functions["acrguard-endpoint-keeper"].reserved_concurrency = 3
    result = run(context(cloud, tmp_path, s_yaml=s_yaml), check_triggers)
    assert result.status is Status.PASS
    assert any("1 other difference(s)" in line and "deploy check" in line for line in result.details)


def test_a_function_not_deployed_fails(cloud, tmp_path, s_yaml):
    """Nothing deployed: every function fails as not deployed."""
    result = run(context(cloud, tmp_path, s_yaml=s_yaml), check_triggers)
    assert result.status is Status.FAIL
    assert by_subject(result)["acrguard-image-advisor"].evidence.startswith("function acrguard-image-advisor is not "
                                                                            "deployed")


@pytest.mark.parametrize("world", [with_doctor_user(doctor_world(), without=("fc:ListTriggers",))],
                         ids=["no-fc-reads"])
def test_triggers_that_cannot_be_read_cannot_tell(cloud, tmp_path, s_yaml, deployed, world):
    """Without fc:ListTriggers the doctor cannot tell, and names the action."""
    result = run(context(cloud, tmp_path, s_yaml=s_yaml, key=DOCTOR_KEY, secret=DOCTOR_SECRET), check_triggers)
    assert result.status is Status.UNKNOWN
    assert "ListTriggers answered AccessDenied" in result.evidence and "fc:ListTriggers" in result.fix
