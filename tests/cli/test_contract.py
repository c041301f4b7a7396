"""Every command's exit codes under the one contract (docs/exit-codes.md), against the local cloud.

Config invalid (78), missing (66) or empty (78); no credentials (78, before any call); an endpoint
that is down (75); an input file missing (66); interrupted (130).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from acrguard.cli.exitcodes import ExitCode
from tests.cli.helpers import down_endpoint, routes_data, run, whitelist_data, without_credentials, write
from tests.routes.keeperworld import keeper_world

REPO = Path(__file__).resolve().parents[2]
S_YAML = REPO / "s.yaml"
TIMER = {"triggerTime": "2026-11-25T10:00:00Z", "triggerName": "sweep",
         "payload": json.dumps({"job": "whitelist_guard"})}


@pytest.fixture
def world():
    """Every route target type; asynchronous states settle at once."""
    return keeper_world(delay=0)


@pytest.fixture
def timer(tmp_path) -> Path:
    path = tmp_path / "timer.json"
    path.write_text(json.dumps(TIMER), encoding="utf-8")
    return path


def config_commands(config: Path, timer: Path) -> dict[str, list[str]]:
    """Each command that reads a config file, with its arguments."""
    c = str(config)
    return {
        "routes plan": ["routes", "plan", "--config", c], "routes apply": ["routes", "apply", "--config", c],
        "whitelist plan": ["whitelist", "plan", "--config", c],
        "whitelist apply": ["whitelist", "apply", "--config", c],
        "audit": ["audit", "--config", c], "config check": ["config", "check", c],
        "alert test": ["alert", "test", "--config", c, "--channel", "ops"],
        "deploy check": ["deploy", "check", "--config", c, "--s-yaml", str(S_YAML)],
        "invoke": ["invoke", "whitelist_guard", "--event", str(timer), "--config", c],
    }


CONFIG_COMMANDS = list(config_commands(Path("x"), Path("y")))
#: the commands whose work is a sweep of the cloud
CLOUD_COMMANDS = ["routes plan", "routes apply", "whitelist plan", "whitelist apply", "audit", "deploy check",
                  "invoke"]


@pytest.mark.parametrize("name", CONFIG_COMMANDS)
def test_an_invalid_config_exits_78(name, tmp_path, timer):
    """A config that does not validate is 78 for every command, with the path of the problem."""
    config = tmp_path / "acrguard.yaml"
    config.write_text("cloud: {region: Hangzhou}\n", encoding="utf-8")
    result = run(*config_commands(config, timer)[name])
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "cloud.region" in result.output


@pytest.mark.parametrize("name", CONFIG_COMMANDS)
def test_a_missing_config_exits_66(name, tmp_path, timer):
    """A config file that does not exist is missing input (66), named."""
    result = run(*config_commands(tmp_path / "nope.yaml", timer)[name])
    assert result.exit_code == ExitCode.NOINPUT, result.output
    assert "nope.yaml" in result.output


@pytest.mark.parametrize("name", CONFIG_COMMANDS)
def test_an_empty_config_is_an_error_not_nothing_to_do(name, tmp_path, timer):
    """An empty file (or one of comments only) is an invalid config (78), never "nothing to change"."""
    config = tmp_path / "acrguard.yaml"
    config.write_text("# nothing yet\n", encoding="utf-8")
    result = run(*config_commands(config, timer)[name])
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "the file is empty" in result.output


@pytest.mark.parametrize("name", CLOUD_COMMANDS)
def test_an_endpoint_that_is_down_exits_75(name, cloud, tmp_path, timer):
    """Connection refused after the retries is transient for every command: 75, retry later, not 69."""
    data = whitelist_data(cloud, state=str(tmp_path / "state.db")) if "whitelist" in name or name == "invoke" \
        else routes_data(cloud, state=str(tmp_path / "state.db"))
    data["cloud"].update(endpoint=down_endpoint(), retry={"max_attempts": 1}, connect_timeout_ms=200,
                         read_timeout_ms=500)
    if name == "audit":
        data["pull_keys"] = {"users": ["ack-puller"], "discover": False}
    config = write(tmp_path / "acrguard.yaml", data)
    result = run(*config_commands(config, timer)[name])
    assert result.exit_code == ExitCode.TEMPFAIL, result.output


def test_no_credentials_is_a_config_error_for_every_cloud_command(cloud, tmp_path, timer):
    """Without credentials anywhere (config, environment, ~/.aliyun), every cloud command exits 78 before any call.

    Run in a fresh interpreter with an empty HOME: the SDK's default chain reads HOME once, at import.
    """
    config = write(tmp_path / "acrguard.yaml", without_credentials(whitelist_data(cloud, state=str(tmp_path / "s.db"))))
    home = tmp_path / "home"
    home.mkdir()
    commands = {name: args for name, args in config_commands(config, timer).items() if name in CLOUD_COMMANDS}
    script = ("import json, sys\nfrom click.testing import CliRunner\nfrom acrguard.cli import cli\n"
              "out = {n: (lambda r: [r.exit_code, r.output])(CliRunner().invoke(cli, a))"
              " for n, a in json.loads(sys.argv[1]).items()}\nprint(json.dumps(out))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "ALIBABACLOUD_", "ALICLOUD_"))}
    env.update(HOME=str(home), ALIBABA_CLOUD_ECS_METADATA_DISABLED="true")
    proc = subprocess.run([sys.executable, "-c", script, json.dumps(commands)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    outcome = json.loads(proc.stdout)
    for name, (code, output) in outcome.items():
        assert code == ExitCode.CONFIG, (name, output)
        assert "no credentials: set cloud.credentials" in output and "--profile" in output, (name, output)
        assert "NetworkError" not in output, name
    assert cloud.requests.count() == 0


@pytest.mark.parametrize("args", [
    ["event", "explain", "{missing}"],
    ["policy", "check", "{missing}"],
    ["configmap", "lint", "{missing}"],
    ["invoke", "whitelist_guard", "--event", "{missing}"],
    ["deploy", "check", "--s-yaml", "{missing}"],
], ids=lambda args: " ".join(args[:2]))
def test_a_missing_input_file_exits_66(args, tmp_path):
    """A file named on the command line that does not exist is 66, named in the message."""
    missing = str(tmp_path / "missing.json")
    result = run(*[a.replace("{missing}", missing) for a in args])
    assert result.exit_code == ExitCode.NOINPUT, result.output
    assert "missing.json" in result.output


def _raise_interrupt(*_args, **_kwargs):
    raise KeyboardInterrupt


#: command -> (module, attribute) whose call is the command's work; an interrupt is raised there
INTERRUPT_POINTS = {
    "routes plan": ("acrguard.routes.keeper", "run_sweep"),
    "routes apply": ("acrguard.routes.keeper", "run_sweep"),
    "whitelist plan": ("acrguard.whitelist.guard", "run_sweep"),
    "whitelist apply": ("acrguard.whitelist.guard", "run_sweep"),
    "audit": ("acrguard.pullkeys.audit.PullKeyAuditor", "full_audit"),
    "deploy check": ("acrguard.deploy.check", "check"),
    "config check": ("acrguard.routes.exports.preflight", "export_problems"),
    "alert test": ("acrguard.cli.alert", "send_message"),
    "invoke": ("acrguard.runtime.local", "invoke"),
}


@pytest.mark.parametrize("name", sorted(INTERRUPT_POINTS))
def test_ctrl_c_exits_130_for_every_config_command(name, cloud, tmp_path, timer, monkeypatch):
    """Ctrl-C during the work exits 130 with "interrupted", never click's "Aborted!" with 1."""
    import importlib

    module_name, attribute = INTERRUPT_POINTS[name]
    module_path, _, owner = module_name.rpartition(".")
    target = getattr(importlib.import_module(module_path), owner) if owner[:1].isupper() else \
        importlib.import_module(module_name)
    monkeypatch.setattr(target, attribute, _raise_interrupt)
    data = routes_data(cloud, state=str(tmp_path / "state.db"))
    data["alerts"] = {"channels": [{"name": "ops", "type": "dingtalk",
                                    "url": f"http://{cloud.endpoints()['chat']}/dingtalk/robot/send?access_token=t"}]}
    config = write(tmp_path / "acrguard.yaml", data)
    result = run(*config_commands(config, timer)[name])
    assert result.exit_code == ExitCode.INTERRUPTED, result.output
    assert "interrupted" in result.stderr and "Aborted!" not in result.output


@pytest.mark.parametrize(("args", "module", "attribute"), [
    (["event", "explain", "{fixture}"], "acrguard.cli.event", "route"),
    (["policy", "check", "--system", "AliyunContainerRegistryReadOnlyAccess"], "acrguard.cli.policy",
     "audit_policies"),
    (["configmap", "lint", "{fixture}"], "acrguard.cli.configmap", "lint_file"),
    (["package", "--function", "whitelist_guard", "--output", "{tmp}"], "acrguard.cli.package", "build"),
    (["demo"], "acrguard.demo.story", "run_story"),
], ids=lambda value: " ".join(value[:1]) if isinstance(value, list) else "")
def test_ctrl_c_exits_130_for_every_file_command(args, module, attribute, tmp_path, monkeypatch):
    """The commands that read files only are interrupted the same way."""
    import importlib

    monkeypatch.setattr(importlib.import_module(module), attribute, _raise_interrupt)
    fixture = REPO / "tests" / "events" / "fixtures" / "cr_acl_delete_apicall.json"
    result = run(*[a.replace("{fixture}", str(fixture)).replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == ExitCode.INTERRUPTED, result.output
    assert "interrupted" in result.stderr
