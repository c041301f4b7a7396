"""`acrguard policy check`: verdict exit codes, JSON shape and clear errors for unreadable input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from acrguard.cli import cli

PULL = ["cr:GetAuthorizationToken", "cr:ListInstanceEndpoint", "cr:PullRepository"]


def write(tmp_path: Path, name: str, data: Any) -> str:
    """Write JSON (or raw text) to a file and return its path."""
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def doc(*actions: str, resource: str = "*") -> dict[str, Any]:
    """A one-statement Allow document."""
    return {"Version": "1", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}]}


def run(*args: str) -> Any:
    """Invoke the CLI in-process."""
    return CliRunner().invoke(cli, ["policy", "check", *args])


@pytest.mark.parametrize(("actions", "code", "verdict", "severity"), [
    (PULL, 0, "PASS", "info"),
    ([*PULL, "cr:ListRepository"], 1, "WARN", "low"),
    ([*PULL, "cr:PushRepository"], 2, "FAIL", "high"),
    (["*"], 2, "FAIL", "critical"),
])
def test_exit_code_follows_the_verdict(tmp_path: Path, actions: list[str], code: int, verdict: str,
                                       severity: str) -> None:
    """Exit 0 PASS, 1 WARN, 2 FAIL; the text names the verdict and severity first."""
    result = run(write(tmp_path, "p.json", doc(*actions)))
    assert result.exit_code == code, result.output
    assert result.stdout.splitlines()[0] == f"{verdict}  severity: {severity}"


def test_files_are_evaluated_together(tmp_path: Path) -> None:
    """A Deny in one file removes what another file allows."""
    full = write(tmp_path, "full.json", {"PolicyName": "AliyunContainerRegistryFullAccess", "PolicyType": "System"})
    fence = write(tmp_path, "fence.json", {"Version": "1", "Statement": [
        {"Effect": "Deny", "NotAction": PULL, "Resource": "*"}]})
    assert run(full).exit_code == 2
    result = run(full, fence, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "PASS"


def test_json_shape(tmp_path: Path) -> None:
    """--json prints verdict, severity and findings, with the fix and the policies evaluated."""
    path = write(tmp_path, "ops.json", {"PolicyName": "ops-registry", "PolicyType": "Custom", "DefaultVersion": "v2",
                                        "Attachment": "group:ops", "PolicyDocument": json.dumps(doc("cr:*"))})
    result = run(path, "--json", "--instance-id", "cri-abc123", "--user", "acr-puller")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert {"verdict", "severity", "findings", "fix", "policies", "reference"} <= set(data)
    assert (data["verdict"], data["severity"]) == ("FAIL", "high")
    finding = data["findings"][0]
    assert finding["rule"] == "pullkey.excess-permissions"
    assert finding["labels"] == {"policy": "ops-registry", "policy_type": "Custom", "policy_version": "v2",
                                 "attachment": "group:ops", "statement": "0"}
    assert finding["evidence"]["statement_index"] == 0
    assert {e["match"] for e in finding["evidence"]["excess"]} == {"wildcard"}
    assert data["fix"]["policy_document"]["Statement"][1]["Resource"] == "acs:cr:*:*:repository/cri-abc123/*"
    assert data["fix"]["detach"][0]["commands"][0].startswith(
        "aliyun ram RemoveUserFromGroup --UserName acr-puller --GroupName ops")


def test_text_report_shows_statement_match_and_fix(tmp_path: Path) -> None:
    """The readable report names the policy, statement, how it matched, and the fix commands."""
    result = run(write(tmp_path, "p.json", doc(*PULL, "cr:Push*")), "--user", "acr-puller")
    out = result.stdout
    assert "p (Custom) attached to the user, Statement[0]" in out
    assert "cr:PushRepository via cr:Push* (wildcard) on *" in out
    assert ("aliyun ram DetachPolicyFromUser --PolicyType <POLICY_TYPE> --PolicyName <POLICY_NAME> "
            "--UserName acr-puller") in out


def test_system_option_adds_offline_policies() -> None:
    """--system NAME[:VERSION] evaluates a system policy known offline."""
    result = run("--system", "AliyunContainerRegistryReadOnlyAccess:v1", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["policies"][0]["default_version"] == "v1"


@pytest.mark.parametrize(("content", "code", "expected"), [
    (None, 66, "no such file"),
    ("{not json", 65, "$: not valid JSON"),
    ({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "cr:*"}]}, 65, "$.Statement[0].Resource: missing"),
    ({"PolicyName": "AliyunECSFullAccess", "PolicyType": "System"}, 65, "no offline copy"),
])
def test_unreadable_input_exits_64_or_above_naming_file_and_path(tmp_path: Path, content: Any, code: int,
                                                                 expected: str) -> None:
    """Missing files exit 66, malformed input 65; the message names the file and the JSON path."""
    path = str(tmp_path / "missing.json") if content is None else write(tmp_path, "bad.json", content)
    result = run(path)
    assert result.exit_code == code
    assert path in result.stderr and expected in result.stderr


def test_malformed_input_in_json_mode_prints_a_json_error(tmp_path: Path) -> None:
    """With --json, the error is also a JSON object on stdout."""
    path = write(tmp_path, "bad.json", {"Version": "1", "Statement": {"Effect": "Allow", "Action": 3, "Resource": "*"}})
    result = run(path, "--json")
    assert result.exit_code == 65
    data = json.loads(result.stdout)
    assert data["file"] == path and data["problems"][0]["path"] == "$.Statement.Action"


@pytest.mark.parametrize("args", [[], ["--instance-id", "i-123"], ["--bogus"]])
def test_usage_errors_exit_64_not_2(args: list[str]) -> None:
    """Usage errors exit 64, so they are never mistaken for a FAIL (2)."""
    assert run(*args).exit_code == 64


def test_module_entry_point_exit_codes(tmp_path: Path) -> None:
    """`python -m acrguard policy check` exits with the verdict code and 64+ for bad input."""
    good = write(tmp_path, "good.json", doc(*PULL))
    bad = write(tmp_path, "bad.json", "[")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(["shared", os.environ.get("PYTHONPATH", "")])}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-m", "acrguard", "policy", "check", good, "--json"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "PASS"
    failed = subprocess.run([sys.executable, "-m", "acrguard", "policy", "check", bad], cwd=root, env=env,
                            capture_output=True, text=True, timeout=60)
    assert failed.returncode == 65 and "bad.json" in failed.stderr
    usage = subprocess.run([sys.executable, "-m", "acrguard", "policy", "check"], cwd=root, env=env,
                           capture_output=True, text=True, timeout=60)
    assert usage.returncode == 64
