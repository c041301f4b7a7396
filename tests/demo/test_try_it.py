"""The files `demo --keep-running` writes: secrets only in the env file, never over someone else's file."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from acrguard.cli import cli
from acrguard.cli.exitcodes import ExitCode
from acrguard.config.loader import load_config
from acrguard.demo.try_it import MARKER, NotWritable, env_file_for, next_steps, user_config, write_files

ENDPOINTS = {"openapi": "127.0.0.1:1001", "chat": "127.0.0.1:1002"}
CREDENTIALS = {"access_key_id": "LTAI5tDemoRootKey00001", "access_key_secret": "demo-root-secret-not-a-real-one"}
STORY_CONFIG = {
    "cloud": {"region": "cn-hangzhou", "endpoint": "127.0.0.1:1001", "oss_endpoint": "127.0.0.1:1003",
              "protocol": "http"},
    "alerts": {"channels": [{"name": "ops", "type": "dingtalk", "secret": "SECdemo-signing",
                             "url": "http://127.0.0.1:1002/dingtalk/robot/send?access_token=tok"}]},
}


def test_the_config_reads_every_secret_from_the_environment():
    """Credentials, the robot's URL (its token) and its signing secret become ${NAME} references with their values."""
    config, env = user_config(STORY_CONFIG, CREDENTIALS)
    assert config["cloud"]["credentials"] == {"access_key_id": "${LOCALCLOUD_ACCESS_KEY_ID}",
                                              "access_key_secret": "${LOCALCLOUD_ACCESS_KEY_SECRET}"}
    assert config["alerts"]["channels"][0] | {"keywords": None} == {
        "name": "ops", "type": "dingtalk", "url": "${LOCALCLOUD_CHAT_OPS_URL}",
        "secret": "${LOCALCLOUD_CHAT_OPS_SECRET}", "keywords": None}
    assert env == {"LOCALCLOUD_ACCESS_KEY_ID": "LTAI5tDemoRootKey00001",
                   "LOCALCLOUD_ACCESS_KEY_SECRET": "demo-root-secret-not-a-real-one",
                   "LOCALCLOUD_CHAT_OPS_URL": "http://127.0.0.1:1002/dingtalk/robot/send?access_token=tok",
                   "LOCALCLOUD_CHAT_OPS_SECRET": "SECdemo-signing"}
    assert "tok" not in json.dumps(config) and STORY_CONFIG["alerts"]["channels"][0]["secret"] == "SECdemo-signing"


def test_the_files_load_together_and_the_env_file_is_private(tmp_path):
    """The config loads with the env file's values; the env file is 0600 and says the keys are local-only."""
    files = write_files(tmp_path / "acrguard-demo.yaml", STORY_CONFIG, CREDENTIALS, ENDPOINTS)
    assert files.env == tmp_path / "acrguard-demo.env"
    text = files.env.read_text(encoding="utf-8")
    assert text.startswith(MARKER) and "local-only demo keys" in text.lower()
    assert oct(files.env.stat().st_mode & 0o777) == "0o600"
    env = dict(line[len("export "):].split("=", 1) for line in text.splitlines() if line.startswith("export "))
    env = {name: value.strip("'") for name, value in env.items()}
    loaded = load_config(files.config, environ=env)
    assert loaded.cloud.credentials.access_key_secret == "demo-root-secret-not-a-real-one"
    assert "demo-root-secret" not in files.config.read_text(encoding="utf-8")


def test_an_existing_file_is_overwritten_only_when_the_demo_wrote_it(tmp_path):
    """The demo's own files are rewritten; a file someone else wrote is refused and left as it was."""
    config = tmp_path / "acrguard-demo.yaml"
    write_files(config, STORY_CONFIG, CREDENTIALS, ENDPOINTS)
    write_files(config, STORY_CONFIG, CREDENTIALS, {**ENDPOINTS, "openapi": "127.0.0.1:2001"})
    assert "127.0.0.1:2001" in config.read_text(encoding="utf-8")
    env_file_for(config).write_text("export MY_REAL_KEY=abc\n", encoding="utf-8")
    with pytest.raises(NotWritable, match=r"acrguard-demo\.env exists and was not written by the demo"):
        write_files(config, STORY_CONFIG, CREDENTIALS, ENDPOINTS)
    assert env_file_for(config).read_text(encoding="utf-8") == "export MY_REAL_KEY=abc\n"


def test_the_next_steps_name_the_files_the_commands_and_the_admin_api(tmp_path):
    """The text says how to load the keys, which commands to run, how to change DNS, and Ctrl-C."""
    files = write_files(tmp_path / "acrguard-demo.yaml", STORY_CONFIG, CREDENTIALS, ENDPOINTS)
    text = next_steps(files, ENDPOINTS, "cri-x", "x-registry-vpc.cn-hangzhou.cr.aliyuncs.com", "vpc-x", tmp_path)
    assert f". {files.env}" in text
    for command in ("routes plan", "whitelist plan", "audit", "doctor", "alert test"):
        assert f"python -m acrguard {command} --config {files.config}" in text
    assert "curl -X PUT http://127.0.0.1:1001/_localcloud/dns/records/x-registry-vpc.cn-hangzhou.cr.aliyuncs.com" \
        in text
    assert "Ctrl-C" in text and "local-only demo keys" in text


def test_write_config_needs_keep_running_and_never_replaces_a_foreign_file(tmp_path):
    """Alone, over a foreign file or in a missing directory: usage errors (64) before any local cloud starts."""
    alone = CliRunner().invoke(cli, ["demo", "--write-config", str(tmp_path / "x.yaml")])
    assert alone.exit_code == ExitCode.USAGE and "--write-config needs --keep-running" in alone.output
    mine = tmp_path / "acrguard.yaml"
    mine.write_text("cloud: {region: cn-hangzhou}\n", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["demo", "--keep-running", "--write-config", str(mine)])
    assert refused.exit_code == ExitCode.USAGE and "was not written by the demo" in refused.output
    assert mine.read_text(encoding="utf-8") == "cloud: {region: cn-hangzhou}\n"
    nowhere = CliRunner().invoke(cli, ["demo", "--keep-running", "--write-config", str(tmp_path / "no" / "x.yaml")])
    assert nowhere.exit_code == ExitCode.USAGE and "is not a directory" in nowhere.output
