"""`demo --keep-running`: after the story the local cloud stays up, with a config that works for every command."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from click.testing import CliRunner

from acrguard.cli import cli
from acrguard.config.loader import load_config

SECRETS = ("demo-root-secret-not-a-real-one", "SECdemo-ops-robot-signing-secret", "access_token=demo-ops-robot-token")


def _read_until(proc: subprocess.Popen, marker: str, deadline_s: float = 90) -> str:
    """The demo's output up to the line holding ``marker``."""
    lines: list[str] = []
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return "".join(lines)
    raise AssertionError("the demo never got to " + repr(marker) + ":\n" + "".join(lines)[-3000:])


def _exports(env_file: Path) -> dict[str, str]:
    """The variables an env file's ``export NAME=value`` lines set."""
    found = {}
    for line in env_file.read_text(encoding="utf-8").splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export "):].partition("=")
            found[name] = shlex.split(value)[0]
    return found


def _run(args: list[str], env: dict[str, str]):
    return CliRunner().invoke(cli, args, env=env)


def test_keep_running_writes_a_config_every_command_can_use_until_stopped(tmp_path):
    """The config reaches the running cloud (plans, audit, alert test); admin changes show in the next plan."""
    config = tmp_path / "mine.yaml"
    env_file = tmp_path / "mine.env"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_") and "PROXY" not in k.upper()}
    proc = subprocess.Popen([sys.executable, "-m", "acrguard", "demo", "--keep-running", "--write-config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ, cwd=tmp_path)
    try:
        told = _read_until(proc, "Ctrl-C stops the local cloud")
        admin = re.search(r"http://127\.0\.0\.1:\d+/_localcloud", told).group(0)
        assert f". {env_file}" in told and f"routes plan --config {config}" in told
        # the files: secrets only in the env file (0600), which says they are local-only demo keys
        assert oct(env_file.stat().st_mode & 0o777) == "0o600"
        assert "local-only demo keys" in env_file.read_text(encoding="utf-8").lower()
        for secret in SECRETS:
            assert secret not in config.read_text(encoding="utf-8") and secret not in told
        env = _exports(env_file)
        loaded = load_config(config, environ=env)
        routes = loaded.instances[0].routes
        assert routes.nameservers == ("127.0.0.1",) and routes.registry_probe_scheme == "http"
        assert f"DNS 127.0.0.1:{routes.dns_port}" in told and loaded.cloud.protocol == "http"
        # every command works on the running cloud
        plan = _run(["routes", "plan", "--config", str(config)], env)
        assert plan.exit_code == 0 and "Plan: 0 to add, 0 to remove" in plan.output, plan.output
        assert _run(["whitelist", "plan", "--config", str(config)], env).exit_code == 0
        assert _run(["alert", "test", "--config", str(config), "--channel", "ops"], env).exit_code == 0
        assert _run(["audit", "--config", str(config)], env).exit_code == 2  # the story's over-privileged puller
        # the admin API changes the world: the ENI and its DNS record move, the whitelist is emptied
        requests.put(f"{admin}/cr/instances/cri-demo00000000001/linked-vpcs/vpc-demo0001",
                     json={"ip": "192.168.10.77"}, timeout=5).raise_for_status()
        requests.put(f"{admin}/dns/records/demoreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com",
                     json={"A": ["192.168.10.77"]}, timeout=5).raise_for_status()
        requests.delete(f"{admin}/cr/instances/cri-demo00000000001/acl", timeout=5).raise_for_status()
        moved = _run(["routes", "plan", "--config", str(config)], env)
        assert moved.exit_code == 1 and "+ 192.168.10.77/32  vpc_endpoint  desired" in moved.output, moved.output
        emptied = _run(["whitelist", "plan", "--config", str(config)], env)
        assert emptied.exit_code == 1 and "whitelist.open-to-internet" in emptied.output
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-3000:]
    assert "The local cloud stopped." in out and "Traceback" not in err
    assert config.exists() and env_file.exists()
    assert not Path(loaded.state.path).parent.exists()  # the story's state and exports went with the cloud
