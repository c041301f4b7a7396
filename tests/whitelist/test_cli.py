"""``acrguard whitelist plan|apply --config FILE [--json]`` against the local cloud."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from acrguard.cli import cli
from acrguard.whitelist.marker import make_comment
from tests.whitelist.helpers import config_data, live, seed_acl, writes

OFFICE = "203.0.113.0/24"


def _config_file(cloud, tmp_path, whitelist, **options) -> str:
    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump(config_data(cloud, str(tmp_path / "state.db"), whitelist, **options)))
    return str(path)


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_plan_json_prints_the_full_plan_and_writes_nothing(cloud, instance, tmp_path):
    """``plan --json`` shows the restore add and the removal, and the cloud sees no write."""
    seed_acl(instance, [("198.51.100.0/24", make_comment("testreg", "old"))])
    path = _config_file(cloud, tmp_path, {"policy": "enforce", "entries": [{"cidr": OFFICE, "label": "office"}]})
    result = _invoke("whitelist", "plan", "--config", path, "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    plan = data["instances"][0]["plan"]
    assert data["mode"] == "plan"
    assert [(op["kind"], op["entry"]) for op in plan["operations"]] == [("add", OFFICE), ("remove", "198.51.100.0/24")]
    assert plan["after"] == [OFFICE]
    assert data["instances"][0]["applied"] == []
    assert writes(cloud) == []


def test_apply_json_writes_and_a_second_apply_has_nothing_to_do(cloud, instance, tmp_path):
    """``apply --json`` reports each write's outcome; the next apply plans nothing and exits 0."""
    seed_acl(instance, [("198.51.100.0/24", make_comment("testreg", "old"))])
    path = _config_file(cloud, tmp_path, {"policy": "enforce", "entries": [{"cidr": OFFICE, "label": "office"}]})
    first = _invoke("whitelist", "apply", "--config", path, "--json")
    applied = json.loads(first.output)["instances"][0]["applied"]
    assert [(a["action"], a["outcome"]) for a in applied] == [("CreateInstanceEndpointAclPolicy", "done"),
                                                              ("DeleteInstanceEndpointAclPolicy", "done")]
    assert live(instance) == [(OFFICE, "acrguard:testreg:office")]
    second = _invoke("whitelist", "apply", "--config", path, "--json")
    assert second.exit_code == 0, second.output
    assert json.loads(second.output)["instances"][0]["plan"]["operations"] == []


def test_plan_text_names_each_operation(cloud, instance, tmp_path):
    """The text plan has one line per add and removal with its reason."""
    seed_acl(instance, [])
    path = _config_file(cloud, tmp_path, {"policy": "enforce", "entries": [{"cidr": OFFICE, "label": "office"}]})
    result = _invoke("whitelist", "plan", "--config", path)
    assert f"+ add      {OFFICE}" in result.output
    assert "restore: the whitelist is empty" in result.output
    assert "[critical] whitelist.open-to-internet" in result.output


def test_invalid_config_exits_78_naming_the_entry(cloud, tmp_path):
    """A config declaring 0.0.0.0/0 is refused with its path, before any call."""
    path = _config_file(cloud, tmp_path, {"entries": [{"cidr": "0.0.0.0/0"}]})
    result = _invoke("whitelist", "plan", "--config", path, "--json")
    assert result.exit_code == 78
    errors = json.loads(result.output)["errors"]
    assert errors == ["instances[0].whitelist.entries: [0] 0.0.0.0/0 opens the registry to the whole internet "
                      "and is refused"]
    assert cloud.requests.count() == 0
