"""``python -m localcloud``: what it prints is enough to point acrguard at it (config snippet, keys, chat robots)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from acrguard.cli import cli
from acrguard.config.loader import load_config_data
from localcloud import LocalCloud
from localcloud.__main__ import describe, render_text

VPC_DOMAIN = "demoreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com"


def _snippet_file(tmp_path: Path, info: dict) -> Path:
    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump(info["config"], sort_keys=False), encoding="utf-8")
    return path


def test_the_snippet_names_every_local_endpoint_and_keeps_secrets_out():
    """The config points at the local API, OSS, DNS server and port and /v2/; its secrets are ${NAME} references."""
    with LocalCloud.from_world_file() as cloud:
        info = describe(cloud)
        endpoints = cloud.endpoints()
    config, env = info["config"], info["env"]
    assert config["cloud"] | {"credentials": None} == {
        "region": "cn-hangzhou", "endpoint": endpoints["openapi"], "oss_endpoint": endpoints["oss"],
        "protocol": "http", "credentials": None}
    (instance,) = config["instances"]
    assert instance["instance_id"] == "cri-demo00000000001"
    assert instance["routes"] == {"nameservers": ["127.0.0.1"], "dns_port": int(endpoints["dns"].split(":")[1]),
                                  "registry_probe_address": endpoints["registry"], "registry_probe_scheme": "http"}
    text = json.dumps(config)
    for secret in env.values():
        assert secret not in text
    assert env["LOCALCLOUD_ACCESS_KEY_SECRET"] == endpoints["credentials"]["access_key_secret"]
    loaded = load_config_data(config, environ=env)
    assert loaded.cloud.credentials.access_key_id == endpoints["credentials"]["access_key_id"]
    assert loaded.alerts.channels[0].secret == "SECdemo-ops-robot-signing-secret"


def test_alert_test_and_routes_plan_work_from_the_snippet(tmp_path):
    """With the printed env, `alert test` reaches the local robot and `routes plan` asks only the local DNS and /v2/."""
    with LocalCloud.from_world_file() as cloud:
        info = describe(cloud)
        path = _snippet_file(tmp_path, info)
        sent = CliRunner().invoke(cli, ["alert", "test", "--config", str(path), "--channel", "dingtalk"],
                                  env=info["env"])
        assert sent.exit_code == 0, sent.output
        assert len(cloud.chat.accepted("dingtalk", "demo-ops-robot-token")) == 1
        planned = CliRunner().invoke(cli, ["routes", "plan", "--config", str(path)], env=info["env"])
        assert planned.exit_code in (0, 1), planned.output
        assert "desired  vpc_endpoint 192.168.10.21/32" in planned.output
        assert "desired  auth 100.103.7.181/32, 100.103.9.188/32" in planned.output
        assert VPC_DOMAIN + "." in cloud.dns.queries
        assert VPC_DOMAIN in cloud.registry.probes


def test_the_text_form_shows_robots_keys_and_the_config():
    """`--text` prints the chat robot's token, secret and URL, the export lines, and the config snippet."""
    with LocalCloud.from_world_file() as cloud:
        info = describe(cloud)
    text = render_text(info)
    assert "dingtalk: dingtalk token demo-ops-robot-token, secret SECdemo-ops-robot-signing-secret" in text
    assert f"    {info['chat_robots'][0]['url']}" in text
    assert "export LOCALCLOUD_ACCESS_KEY_ID=LTAI5tDemoRootKey00001" in text
    assert "local-only demo keys" in text
    snippet = yaml.safe_load("\n".join(line[2:] for line in text.split("Config (", 1)[1].splitlines()[2:]))
    assert snippet == info["config"]


def test_the_module_prints_text_with_the_flag_and_json_when_piped():
    """`python -m localcloud --text` prints the readable form; piped, one JSON line with robots, config and env."""
    for flag, check in (("--text", lambda out: out.startswith("The local cloud is serving on 127.0.0.1")),
                        ("--json", lambda out: {"admin", "chat_robots", "config", "env"} <= set(json.loads(out)))):
        proc = subprocess.Popen([sys.executable, "-m", "localcloud", flag], stdout=subprocess.PIPE, text=True)
        try:
            first = proc.stdout.readline()
        finally:
            proc.terminate()
            out, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert check(first + out), first + out
