"""`policy check`: fix commands that are ready to paste, or say exactly what to fill in; the read-only reference."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_ram20150501 import models as ram_models
from click.testing import CliRunner

from acrguard.cli import cli
from acrguard.policy.system_policies import system_policy

ROOT = Path(__file__).resolve().parents[2]
PULL = ["cr:GetAuthorizationToken", "cr:ListInstanceEndpoint", "cr:PullRepository"]


def write(tmp_path: Path, name: str, data: Any) -> str:
    """Write JSON to a file and return its path."""
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def doc(*actions: str) -> dict[str, Any]:
    """A one-statement Allow document on *."""
    return {"Version": "1", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}


def run(*args: str) -> Any:
    """Invoke `policy check` in-process."""
    return CliRunner().invoke(cli, ["policy", "check", *args])


def commands(fix: dict[str, Any]) -> list[str]:
    """Every command of a JSON fix, without trailing comments."""
    found = [*fix["create_commands"], *(c for d in fix["detach"] for c in d["commands"]),
             *(r["command"] for r in fix["rewrite"])]
    return [c.split("    #", 1)[0].strip() for c in found]


def test_a_bare_document_gives_commands_with_explained_placeholders_never_the_file_name(tmp_path: Path) -> None:
    """Without names, the commands hold <POLICY_NAME>, <POLICY_TYPE>, <USER_NAME>, each explained above them."""
    path = write(tmp_path, "my-pull-policy.json", doc(*PULL, "cr:Push*"))
    result = run(path)
    assert result.exit_code == 2
    fix = result.stdout.split("Least-privilege fix:", 1)[1]
    detach = ("aliyun ram DetachPolicyFromUser --PolicyType <POLICY_TYPE> --PolicyName <POLICY_NAME> "
              "--UserName <USER_NAME>")
    assert detach in fix
    assert "--PolicyName my-pull-policy" not in fix and "--PolicyType Custom --PolicyName my-pull-policy" not in fix
    explained = fix.split("aliyun ram", 1)[0]
    assert "Not ready to paste: replace each <…> below first." in explained
    for token, words in (("<USER_NAME>", "--user NAME"), ("<POLICY_NAME>", "--policy-name NAME"),
                         ("<POLICY_TYPE>", "--policy-type")):
        assert re.search(rf"{re.escape(token)}\s+.*{re.escape(words)}", explained), token
    data = json.loads(run(path, "--json").stdout)["fix"]
    assert data["ready"] is False
    assert [p["token"] for p in data["placeholders"]] == ["<USER_NAME>", "<POLICY_NAME>", "<POLICY_TYPE>"]


def test_names_from_the_flags_make_the_commands_ready(tmp_path: Path) -> None:
    """--policy-name, --policy-type and --user fill every value: nothing to replace, the real names used."""
    path = write(tmp_path, "p.json", doc(*PULL, "cr:Push*"))
    result = run(path, "--policy-name", "acr-pull", "--policy-type", "Custom", "--user", "puller", "--json")
    fix = json.loads(result.stdout)["fix"]
    assert fix["ready"] is True and fix["placeholders"] == []
    detach = "aliyun ram DetachPolicyFromUser --PolicyType Custom --PolicyName acr-pull --UserName puller"
    assert detach in commands(fix)
    assert not any("<" in c.replace("'", "") for c in commands(fix) if "--PolicyDocument" not in c)
    assert "Not ready" not in run(path, "--policy-name", "acr-pull", "--policy-type", "Custom", "--user",
                                  "puller").stdout


def test_a_system_policy_is_detached_as_system_and_never_rewritten(tmp_path: Path) -> None:
    """--policy-type System detaches with --PolicyType System; a system policy cannot get a new version."""
    body = system_policy("AliyunContainerRegistryFullAccess").version().document
    path = write(tmp_path, "full.json", body)
    text = run(path).stdout
    assert "the same document as System policy AliyunContainerRegistryFullAccess" in text
    result = run(path, "--policy-name", "AliyunContainerRegistryFullAccess", "--policy-type", "System",
                 "--user", "puller", "--json")
    fix = json.loads(result.stdout)["fix"]
    assert ("aliyun ram DetachPolicyFromUser --PolicyType System --PolicyName AliyunContainerRegistryFullAccess "
            "--UserName puller") in commands(fix)
    assert fix["rewrite"] == []


def test_a_custom_policy_can_be_made_pull_only_in_place(tmp_path: Path) -> None:
    """For a custom policy attached to the user, the fix offers CreatePolicyVersion --SetAsDefault true."""
    path = write(tmp_path, "p.json", doc(*PULL, "cr:Push*"))
    fix = json.loads(run(path, "--policy-name", "acr-pull", "--policy-type", "Custom", "--user", "u",
                         "--instance-id", "cri-abc123", "--json").stdout)["fix"]
    (rewrite,) = fix["rewrite"]
    words = shlex.split(rewrite["command"])
    assert words[:5] == ["aliyun", "ram", "CreatePolicyVersion", "--PolicyName", "acr-pull"]
    assert words[words.index("--SetAsDefault") + 1] == "true"
    assert json.loads(words[words.index("--PolicyDocument") + 1]) == fix["policy_document"]


def test_every_printed_command_uses_real_ram_parameters(tmp_path: Path) -> None:
    """Each `aliyun ram Action --Param value` names an action of the RAM SDK and only parameters of its request."""
    group = write(tmp_path, "g.json", {"PolicyName": "ops", "PolicyType": "Custom", "Attachment": "group:ops",
                                       "PolicyDocument": doc("cr:*")})
    direct = write(tmp_path, "d.json", doc(*PULL, "cr:Push*"))
    fix = json.loads(run(group, direct, "--policy-name", "d", "--policy-type", "Custom", "--user", "u",
                         "--json").stdout)["fix"]
    seen = set()
    for command in commands(fix):
        words = shlex.split(command)
        assert words[:2] == ["aliyun", "ram"]
        action, pairs = words[2], words[3:]
        request = getattr(ram_models, f"{action}Request")()
        fields = set(request.to_map()) | {k for k in vars(request)}
        names = pairs[0::2]
        assert all(n.startswith("--") for n in names) and len(pairs) % 2 == 0, command
        for name in names:
            snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name[2:]).lower()
            assert snake in fields, (action, name)
        seen.add(action)
    assert {"CreatePolicy", "AttachPolicyToUser", "DetachPolicyFromUser", "RemoveUserFromGroup",
            "DetachPolicyFromGroup", "CreatePolicyVersion"} <= seen


def test_more_names_than_unnamed_policies_is_a_usage_error(tmp_path: Path) -> None:
    """--policy-name for a file that names its own policy is a usage error (64), not silently ignored."""
    path = write(tmp_path, "named.json", {"PolicyName": "x", "PolicyType": "Custom", "PolicyDocument": doc("cr:*")})
    result = run(path, "--policy-name", "y")
    assert result.exit_code == 64 and "--policy-name given 1 times, but only 0" in result.output


def test_the_documented_check_of_the_auditor_policy_passes_as_read_only() -> None:
    """docs/deploying.md's command: the auditor's own policy only reads (PASS, 0); as a pull key it would FAIL."""
    page = (ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")
    command = re.search(r"`python -m acrguard (policy check --reference read-only [^`]+)`", page)
    assert command is not None
    args = command.group(1).split()
    policy = str(ROOT / args[-1])
    result = CliRunner().invoke(cli, [*args[:-1], policy])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("PASS")
    assert run(policy).exit_code == 2


@pytest.mark.parametrize("name", ["acrguard-whitelist-guard", "acrguard-endpoint-keeper"])
def test_a_writing_role_fails_the_read_only_reference(name: str) -> None:
    """The roles that write (ACL entries, routes) fail the read-only reference, naming the write."""
    result = run("--reference", "read-only", str(ROOT / "deploy" / "policies" / f"{name}.json"), "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 2 and data["verdict"] == "FAIL" and data["reference"] == "read-only"
    assert data["findings"][0]["rule"] == "readonly.excess-permissions"
    assert " can write: " in data["findings"][0]["title"]
