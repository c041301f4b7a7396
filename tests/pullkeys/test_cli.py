"""``python -m acrguard audit`` and ``configmap lint``: exit codes, text and ``--json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from acrguard.cli import cli
from pullkeys.pullworld import KEYS
from support import INSTANCE_ID, REGION, ROOT_KEY, ROOT_SECRET


def write_config(tmp_path: Path, cloud, **pull_keys: Any) -> str:
    """A config file pointing at the local cloud, with the given ``pull_keys`` section."""
    config = {
        "cloud": {"region": REGION, "endpoint": cloud.endpoints()["openapi"], "protocol": "http",
                  "credentials": {"access_key_id": ROOT_KEY, "access_key_secret": ROOT_SECRET},
                  "retry": {"max_attempts": 2, "base_delay_ms": 5, "max_delay_ms": 20}},
        "instances": [{"name": "testreg", "instance_id": INSTANCE_ID}],
        "pull_keys": {"discover": False, **pull_keys},
    }
    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def run(*args: str):
    """Invoke the CLI in-process."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_audit_exit_0_when_every_identity_passes(cloud, tmp_path):
    """Only a pull-only user: PASS, exit 0, and the text names the user and the verdict."""
    result = run("audit", "--config", write_config(tmp_path, cloud, users=["ack-puller"]))
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output and "ack-puller" in result.output
    assert "overall PASS" in result.output


def test_audit_exit_1_on_warn_and_2_on_fail(cloud, tmp_path):
    """A read-only user makes it WARN (1); adding a cr:* user makes it FAIL (2)."""
    assert run("audit", "--config", write_config(tmp_path, cloud, users=["reader"])).exit_code == 1
    assert run("audit", "--config", write_config(tmp_path, cloud, users=["reader", "wide-puller"])).exit_code == 2


def test_audit_json_has_verdicts_findings_and_no_secrets(cloud, tmp_path):
    """--json prints one JSON object (no progress bar off a terminal) with per-identity verdicts."""
    result = run("audit", "--json", "--config", write_config(tmp_path, cloud, discover=True))
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["verdict"] == "FAIL"
    by_user = {i["user"]: i for i in data["identities"]}
    assert by_user["wide-puller"]["verdict"] == "FAIL" and by_user["ack-puller"]["verdict"] == "PASS"
    assert by_user["wide-puller"]["fix"]["policy_document"]["Statement"]
    assert any(f["rule"] == "pullkey.excess-permissions" for f in by_user["wide-puller"]["findings"])
    assert all(key not in result.output for key in KEYS.values())
    assert "secret-of-" not in result.output


def test_audit_config_errors_are_not_verdicts(cloud, tmp_path):
    """A missing config exits 66, an invalid one 78, a usage error 64: never 0, 1 or 2."""
    assert run("audit", "--config", str(tmp_path / "missing.yaml")).exit_code == 66
    bad = tmp_path / "bad.yaml"
    bad.write_text("pull_keys:\n  max_key_age_days: -1\n", encoding="utf-8")
    assert run("audit", "--config", str(bad)).exit_code == 78
    assert run("audit").exit_code == 64


def test_audit_unreachable_cloud_exits_75(tmp_path):
    """When RAM cannot be reached the run fails with 75 (transient: retry later), not a verdict."""
    config = {"cloud": {"region": REGION, "endpoint": "127.0.0.1:9", "protocol": "http",
                        "credentials": {"access_key_id": ROOT_KEY, "access_key_secret": ROOT_SECRET},
                        "retry": {"max_attempts": 1}, "connect_timeout_ms": 200, "read_timeout_ms": 200},
              "pull_keys": {"users": ["ack-puller"], "discover": False}}
    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = CliRunner().invoke(cli, ["audit", "--config", str(path)])
    assert result.exit_code == 75, result.output


# -- configmap lint ------------------------------------------------------------------------------

GOOD = ('data:\n  acr-registry-info: |\n    - instanceId: "cri-abc"\n      regionId: "cn-hangzhou"\n')


def test_lint_clean_file_exits_0(tmp_path):
    """A clean ConfigMap exits 0 and says OK."""
    path = tmp_path / "cm.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = run("configmap", "lint", str(path))
    assert result.exit_code == 0 and "OK" in result.output


def test_lint_warning_exits_1_and_masks_the_key(tmp_path):
    """A plain-text key is a warning (exit 1); the id is masked and the secret never printed."""
    path = tmp_path / "cm.yaml"
    path.write_text(GOOD + f'      customAccessKey: "{KEYS["reader"]}"\n'
                    '      customAccessKeySecret: "hunter2hunter2"\n', encoding="utf-8")
    for args in (["configmap", "lint", str(path)], ["configmap", "lint", "--json", str(path)]):
        result = run(*args)
        assert result.exit_code == 1
        assert KEYS["reader"] not in result.output and "hunter2" not in result.output
        assert "LTAI****0001" in result.output


def test_lint_error_exits_2_with_line_column_and_hint(tmp_path):
    """A mis-indented list exits 2 and prints FILE:LINE:COL and a hint."""
    path = tmp_path / "cm.yaml"
    path.write_text('data:\n  acr-registry-info: |\n  - instanceId: "cri-a"\n', encoding="utf-8")
    result = run("configmap", "lint", str(path))
    assert result.exit_code == 2
    assert f"{path}:3:3: error:" in result.output and "hint:" in result.output
    data = json.loads(run("configmap", "lint", "--json", str(path)).output)
    assert data["errors"] == 1 and data["problems"][0]["line"] == 3


def test_lint_unreadable_file_exits_66(tmp_path):
    """A file that cannot be read is not a lint verdict: exit 66."""
    assert run("configmap", "lint", str(tmp_path / "nope.yaml")).exit_code == 66
