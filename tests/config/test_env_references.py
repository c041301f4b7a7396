"""``${NAME}`` in the config: no credential variable outside ``cloud.credentials``, and no value ever printed."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from acrguard.cli import cli
from acrguard.config import load_config_data, redacted_dump
from acrguard.errors import ConfigError

ROLE_ENV = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.NUroleKeyId0001",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "roleSecret0001xyz",
            "ALIBABA_CLOUD_SECURITY_TOKEN": "CAISroleToken0001xyz"}


def channel_with_keyword(keyword: str) -> dict:
    """A DingTalk channel whose keyword (sent in every message) is ``keyword``."""
    return {"alerts": {"channels": [{"name": "ding", "type": "dingtalk", "keywords": [keyword],
                                     "url": "https://oapi.dingtalk.com/robot/send?access_token=abcdef123456"}]}}


def problems_of(data: dict, environ: dict[str, str]) -> list[str]:
    """The problems ``load_config_data`` reports."""
    with pytest.raises(ConfigError) as caught:
        load_config_data(data, environ=environ)
    return caught.value.problems


@pytest.mark.parametrize("name", ["ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                                  "ALIBABA_CLOUD_ACCESS_KEY_ID", "securityToken", "accessKeySecret", "accessKeyID",
                                  "ALIBABA_CLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
                                  "ALIBABA_CLOUD_ROLE_ARN", "ALICLOUD_SECRET_KEY", "OSS_SESSION_TOKEN",
                                  "ALIBABA_CLOUD_FUTURE_SESSION_TOKEN"])
def test_a_credential_variable_outside_cloud_credentials_is_refused(name):
    """A keyword (sent with every message) reading the role's token is refused, naming the path and the variable."""
    env = {**ROLE_ENV, name: "CAISsomeCredential0001"}
    (problem,) = problems_of(channel_with_keyword(f"${{{name}}}"), env)
    assert problem.startswith(f"alerts.channels[0].keywords[0]: ${{{name}}} is a credential variable")
    assert "CAISsomeCredential0001" not in problem and "CAISroleToken" not in problem


def test_cloud_credentials_may_read_their_own_kind_of_variable_only():
    """access_key_id/secret/token read the matching variables; a token in the id field is refused."""
    config = load_config_data({"cloud": {"credentials": {
        "access_key_id": "${ALIBABA_CLOUD_ACCESS_KEY_ID}", "access_key_secret": "${ALIBABA_CLOUD_ACCESS_KEY_SECRET}",
        "security_token": "${ALIBABA_CLOUD_SECURITY_TOKEN}"}}}, environ=ROLE_ENV)
    assert config.cloud.credentials.security_token == "CAISroleToken0001xyz"
    assert redacted_dump(config)["cloud"]["credentials"] == {
        "access_key_id": "${ALIBABA_CLOUD_ACCESS_KEY_ID}", "access_key_secret": "${ALIBABA_CLOUD_ACCESS_KEY_SECRET}",
        "security_token": "${ALIBABA_CLOUD_SECURITY_TOKEN}"}
    problems = problems_of({"cloud": {"credentials": {"access_key_id": "${ALIBABA_CLOUD_SECURITY_TOKEN}",
                                                      "access_key_secret": "${ALIBABA_CLOUD_CREDENTIALS_URI}"}}},
                           {**ROLE_ENV, "ALIBABA_CLOUD_CREDENTIALS_URI": "http://100.100.100.200/creds"})
    assert problems == [
        "cloud.credentials.access_key_id: ${ALIBABA_CLOUD_SECURITY_TOKEN} is a credential variable; only "
        "cloud.credentials.security_token may read it (a credential anywhere else would be sent out with messages "
        "or logs)",
        "cloud.credentials.access_key_secret: ${ALIBABA_CLOUD_CREDENTIALS_URI} is a credential variable; it is never "
        "read into the config (a credential anywhere else would be sent out with messages or logs)"]


def test_a_credential_cannot_reach_another_field_under_another_name():
    """A variable read into cloud.credentials, or one holding a credential's value, is refused elsewhere."""
    env = {**ROLE_ENV, "MY_SECRET": "mySecretValue0001", "COPY": "prefix-CAISroleToken0001xyz"}
    data = {"cloud": {"credentials": {"access_key_id": "LTAI5tAbCdEfGhIjKlMn3x", "access_key_secret": "${MY_SECRET}"}},
            **channel_with_keyword("${MY_SECRET}")}
    assert problems_of(data, env) == ["alerts.channels[0].keywords[0]: ${MY_SECRET} is read into cloud.credentials; "
                                      "a credential may not be used anywhere else in the config"]
    (problem,) = problems_of(channel_with_keyword("${COPY}"), env)
    assert problem == ("alerts.channels[0].keywords[0]: ${COPY} holds the value of the credential variable "
                       "ALIBABA_CLOUD_SECURITY_TOKEN; a credential may not be used anywhere else in the config")


@pytest.mark.parametrize(("data", "path"), [
    ({"cloud": {"region": "${V}"}}, "cloud.region"),
    ({"cloud": {"protocol": "${V}"}}, "cloud.protocol"),
    ({"instances": [{"name": "${V}", "instance_id": "cri-abc"}]}, "instances[0].name"),
    ({"instances": [{"name": "prod", "instance_id": "cri-abc", "whitelist": {"policy": "${V}"}}]},
     "instances[0].whitelist.policy"),
    ({"alerts": {"channels": [{"name": "x", "type": "slack", "url": "${V}"}]}}, "alerts.channels[0].url"),
])
def test_an_invalid_value_from_the_environment_is_never_printed(data, path):
    """Errors about a ${NAME} value name the path and the variable; the value is not in the message."""
    (problem,) = problems_of(data, {"V": "Not A Valid Value s3cr3t"})
    assert problem.startswith(f"{path}: ") and "${V}" in problem
    assert "s3cr3t" not in problem and "Not A Valid" not in problem


def test_config_check_shows_values_from_the_environment_as_their_names(tmp_path, monkeypatch):
    """`config check` prints ${NAME} where the value came from the environment, masks the rest, and leaks neither."""
    monkeypatch.setenv("DING_KEYWORD", "keyword-secret-0001")
    monkeypatch.setenv("HOOK_URL", "https://alerts.example.com/hooks/opaque-0001")
    path = tmp_path / "acrguard.yaml"
    data = channel_with_keyword("${DING_KEYWORD}")
    data["alerts"]["channels"].append({"name": "hook", "type": "webhook", "url": "${HOOK_URL}"})
    data["alerts"]["channels"].append({"name": "plain", "type": "webhook",
                                       "url": "https://alerts.example.com/api/v1/incoming/literal-0001"})
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(cli, ["config", "check", str(path), "--json"])
    assert result.exit_code == 0, result.output
    channels = json.loads(result.output)["config"]["alerts"]["channels"]
    assert channels[0]["keywords"] == ["${DING_KEYWORD}"] and channels[1]["url"] == "${HOOK_URL}"
    assert channels[2]["url"] == "https://alerts.example.com/****"
    for value in ("keyword-secret-0001", "opaque-0001", "literal-0001", "abcdef123456"):
        assert value not in result.output
