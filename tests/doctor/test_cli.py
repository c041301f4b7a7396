"""``python -m acrguard doctor``: the whole run on the local cloud, its output and its exit codes."""

from __future__ import annotations

import json

import pytest

from acrguard.cli.exitcodes import ExitCode
from acrguard.doctor.runner import CHECKS
from support import ACCOUNT
from tests.cli.helpers import run, write
from tests.doctor.doctorworld import deploy, doctor_config, doctor_world, write_s_yaml

#: calls that would change something in the cloud, whatever the product
WRITES = ("CreateRouteEntry", "DeleteRouteEntry", "CreateTransitRouterRouteEntry", "DeleteTransitRouterRouteEntry",
          "ModifyVpnConnectionAttribute", "ResolveAndRouteServiceInCen", "DeleteRouteServiceInCen",
          "CreateInstanceEndpointAclPolicy", "DeleteInstanceEndpointAclPolicy", "UpdateInstanceEndpointStatus",
          "UpdateGlobalEventsStorageRegion", "CreateArtifactBuildRule")


@pytest.fixture
def config(cloud, tmp_path):
    return write(tmp_path / "acrguard.yaml", doctor_config(cloud, tmp_path))


def doctor(config, s_yaml, *extra):
    return run("doctor", "--config", config, "--s-yaml", s_yaml, *extra)


def test_a_well_formed_world_passes_every_check_and_writes_nothing(cloud, config, s_yaml, deployed):
    """Exit 0: nine PASS lines and the channel SKIP (not sent); the only write calls are DryRuns."""
    mark = cloud.requests.last_seq()
    result = doctor(config, s_yaml)
    assert result.exit_code == ExitCode.OK, result.output
    lines = result.stdout.splitlines()
    assert [line[:4] for line in lines[:len(CHECKS)]] == ["PASS"] * 9 + ["SKIP"]
    assert [line.split()[1] for line in lines[:len(CHECKS)]] == [check.name for check in CHECKS]
    assert lines[-1] == "Doctor: 9 pass, 0 fail, 0 cannot tell, 1 skipped."
    writes = cloud.requests.filter(action=WRITES, since=mark)
    assert writes and {(r.action, r.error_code) for r in writes} == {("CreateRouteEntry", "DryRunOperation")}


def test_send_delivers_the_test_message_and_every_check_passes(cloud, config, s_yaml, deployed):
    """--send: ten PASS, the robot got one message."""
    result = doctor(config, s_yaml, "--send")
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout.splitlines()[-1] == "Doctor: 10 pass, 0 fail, 0 cannot tell, 0 skipped."
    assert len(cloud.chat.messages("dingtalk", accepted=True)) == 1


@pytest.mark.parametrize("world", [doctor_world(vbr_service_range="refuse")], ids=["vbr-refuses"])
def test_a_failing_check_exits_2_with_its_details_and_fix(cloud, config, s_yaml, deployed, world):
    """The refusing VBR table: FAIL line, then its details and fix, exit 2."""
    result = doctor(config, s_yaml)
    assert result.exit_code == ExitCode.FAIL, result.output
    out = result.stdout
    assert "FAIL  vbr-service-range     idc-vbr (vbr_route_table:vtb-vbr1): the VBR route table refused" in out
    assert "\nvbr-service-range: FAIL\n  FAIL idc-vbr (vbr_route_table:vtb-vbr1): " in out
    assert "  fix: The IDC cannot reach auth, oss through this VBR table" in out


def test_a_check_that_cannot_tell_exits_1(cloud, config, s_yaml, deployed):
    """ActionTrail refusing to answer (a fault) and nothing failing: exit 1 (attention)."""
    cloud.inject(product="actiontrail", action="GetGlobalEventsStorageRegion", code="Forbidden.RAM", status=403)
    result = doctor(config, s_yaml, "--json")
    assert result.exit_code == ExitCode.ATTENTION, result.output
    data = json.loads(result.stdout)
    assert data["exit_code"] == 1 and data["status"] == "cannot tell"
    [check] = [c for c in data["checks"] if c["name"] == "global-events-region"]
    assert check["status"] == "cannot tell" and "actiontrail:GetGlobalEventsStorageRegion" in check["fix"]


def test_without_s_yaml_the_checks_that_need_it_cannot_tell(cloud, tmp_path, config, monkeypatch):
    """No s.yaml beside the config or in the working directory: those three checks cannot tell, the rest run."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    deploy(cloud, write_s_yaml(elsewhere))
    monkeypatch.chdir(tmp_path)
    result = run("doctor", "--config", config, "--json")
    assert result.exit_code == ExitCode.ATTENTION, result.output
    statuses = {c["name"]: c["status"] for c in json.loads(result.stdout)["checks"]}
    assert {n for n, s in statuses.items() if s == "cannot tell"} == {"role-permissions", "triggers",
                                                                      "global-events-region"}


def test_s_yaml_beside_the_config_is_found(cloud, tmp_path, config, s_yaml, deployed):
    """s.yaml in the config's folder is used without --s-yaml."""
    assert s_yaml.parent == config.parent
    assert run("doctor", "--config", config).exit_code == ExitCode.OK


def test_an_invalid_config_exits_78_and_a_missing_one_66(tmp_path):
    """The shared contract: invalid config 78 (naming the path), missing config 66."""
    bad = tmp_path / "acrguard.yaml"
    bad.write_text("cloud: {region: Hangzhou}\n", encoding="utf-8")
    invalid = run("doctor", "--config", bad)
    assert invalid.exit_code == ExitCode.CONFIG and "cloud.region" in invalid.output
    missing = run("doctor", "--config", tmp_path / "nope.yaml")
    assert missing.exit_code == ExitCode.NOINPUT and "nope.yaml" in missing.output


def test_a_named_s_yaml_that_is_missing_exits_66_and_a_malformed_one_65(cloud, config, tmp_path):
    """--s-yaml naming no file is missing input; one that is not an s.yaml is malformed input."""
    assert run("doctor", "--config", config, "--s-yaml", tmp_path / "none.yaml").exit_code == ExitCode.NOINPUT
    broken = tmp_path / "broken.yaml"
    broken.write_text("resources: {x: {component: fc3, props: {region: '${vars.nope}'}}}\n", encoding="utf-8")
    result = run("doctor", "--config", config, "--s-yaml", broken)
    assert result.exit_code == ExitCode.DATAERR and "vars.nope" in result.output


def test_the_json_output_names_every_check(cloud, config, s_yaml, deployed):
    """--json: one entry per check in order, with evidence, items and the caller's account."""
    data = json.loads(doctor(config, s_yaml, "--json").stdout)
    assert [c["name"] for c in data["checks"]] == [check.name for check in CHECKS]
    assert data["checks"][0]["data"]["account_id"] == ACCOUNT
    assert data["counts"] == {"pass": 9, "fail": 0, "cannot tell": 0, "skipped": 1}
