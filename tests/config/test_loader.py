"""Config loading: one precise message per problem, with its path; env references; normalized output."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from acrguard.cli import cli
from acrguard.config import load_config, load_config_data
from acrguard.errors import ConfigError

GOOD = {
    "cloud": {"region": "cn-hangzhou"},
    "instances": [{
        "name": "prod", "instance_id": "cri-abc123",
        "routes": {"targets": [{"type": "vbr_route_table", "route_table_id": "vtb-abc", "next_hop_id": "ri-abc"}]},
        "whitelist": {"policy": "enforce", "entries": [{"cidr": "203.0.113.0/24", "comment": "office"},
                                                        {"host": "egress.example.com"}]},
    }],
    "alerts": {"channels": [{"name": "ops", "type": "dingtalk",
                             "url": "https://oapi.dingtalk.com/robot/send?access_token=abc", "secret": "s3cr3t"}]},
}


def problems_of(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_data(data, environ={})
    return caught.value.problems


def test_good_config_loads_into_typed_objects():
    """A valid file becomes typed, immutable objects with defaults filled in."""
    config = load_config_data(GOOD, environ={})
    instance = config.instances[0]
    assert instance.routes.targets[0].route_table_id == "vtb-abc"
    assert instance.whitelist.entries[1].host == "egress.example.com"
    assert config.safety.hold_runs == 3 and config.safety.hold_hours == 24
    assert config.region_of(instance) == "cn-hangzhou"


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda d: d["cloud"].update(endpont="x"), "cloud.endpont: unknown key; allowed keys here:"),
    (lambda d: d["instances"][0].update(instance_id="i-123"),
     "instances[0].instance_id: expected an ACR EE instance id starting with cri-"),
    (lambda d: d["instances"][0]["routes"]["targets"][0].update(route_table_id="nope"),
     "instances[0].routes.targets[0].route_table_id: expected an Alibaba Cloud resource id"),
    (lambda d: d["instances"][0]["routes"]["targets"][0].update(type="bogus"),
     "instances[0].routes.targets[0]: unknown type 'bogus'"),
    (lambda d: d["instances"][0]["routes"]["targets"][0].pop("next_hop_id"),
     "instances[0].routes.targets[0].next_hop_id: required key is missing"),
    (lambda d: d["instances"][0]["whitelist"]["entries"].append({"cidr": "0.0.0.0/0"}),
     "instances[0].whitelist.entries: [2] 0.0.0.0/0 opens the registry to the whole internet"),
    (lambda d: d["instances"][0]["whitelist"]["entries"].append({"cidr": "10.0.0.0/8"}),
     "instances[0].whitelist.entries: [2] 10.0.0.0/8 is broader than the floor /16"),
    (lambda d: d["instances"][0]["whitelist"].update(policy="maybe"),
     "instances[0].whitelist.policy: expected 'enforce' or 'report', got 'maybe'"),
    (lambda d: d["alerts"].update(repeat_interval_s=60, group_interval_s=300),
     "alerts: repeat_interval_s (60) is shorter than group_interval_s (300)"),
    (lambda d: d["instances"].append(dict(d["instances"][0])), "instances: name must be unique"),
])
def test_each_problem_is_named_by_its_path(mutate, expected):
    """Every error message starts with the path of the offending value and says what was expected."""
    data = json.loads(json.dumps(GOOD))
    mutate(data)
    problems = problems_of(data)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems[0]


def test_several_problems_are_all_reported():
    """Independent problems are reported together, one line each."""
    data = json.loads(json.dumps(GOOD))
    data["cloud"]["protocol"] = "ftp"
    data["instances"][0]["name"] = "Prod!"
    data["surprise"] = 1
    problems = problems_of(data)
    assert len(problems) == 3
    assert {p.split(":")[0] for p in problems} == {"cloud.protocol", "instances[0].name", "surprise"}


def test_env_references_are_expanded_and_missing_ones_reported():
    """${NAME} takes the value from the environment; an unset variable is an error at its path."""
    data = json.loads(json.dumps(GOOD))
    data["alerts"]["channels"][0]["secret"] = "${DING_SECRET}"
    config = load_config_data(data, environ={"DING_SECRET": "from-env"})
    assert config.alerts.channels[0].secret == "from-env"
    assert problems_of(data) == ["alerts.channels[0].secret: environment variable DING_SECRET is not set"]


def test_yaml_syntax_error_has_line_and_column(tmp_path):
    """Broken YAML is reported with its line and column."""
    path = tmp_path / "bad.yaml"
    path.write_text("cloud:\n  region: cn-hangzhou\n instances: [\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems[0].startswith("line 3, column 2: not valid YAML")


def test_missing_file_is_a_config_error(tmp_path):
    """A file that cannot be read is reported, not a traceback."""
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "nope.yaml")


def test_config_check_cli_prints_normalized_config_with_secrets_masked(tmp_path):
    """`config check` exits 0 and prints the normalized config without the secret or token."""
    import yaml

    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    result = CliRunner().invoke(cli, ["config", "check", str(path), "--json"])
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    channel = output["config"]["alerts"]["channels"][0]
    assert channel["secret"] == "****" and "access_token=****" in channel["url"]
    assert "s3cr3t" not in result.output and "abc" not in channel["url"]


def test_config_check_cli_exits_78_with_every_error(tmp_path):
    """`config check` exits 78 (invalid config, docs/exit-codes.md) and lists the errors."""
    path = tmp_path / "acrguard.yaml"
    path.write_text("cloud: {region: Hangzhou}\nnope: 1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["config", "check", str(path)])
    assert result.exit_code == 78
    assert "cloud.region: expected a region id such as cn-hangzhou" in result.output
    assert "nope: unknown key" in result.output
