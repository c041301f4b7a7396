"""``python -m acrguard event explain``: the output shapes and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from acrguard.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"


def explain(*args: str, stdin: bytes | None = None):
    """Run ``event explain`` in-process and return the click result."""
    return CliRunner().invoke(cli, ["event", "explain", *args], input=stdin)


def test_handled_event_json_shape_and_exit_0():
    """A handled event exits 0 and prints kind, handled, functions, resources, reason and its identity."""
    result = explain(str(FIXTURES / "cr_acl_delete_apicall.json"), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {k: out[k] for k in ("kind", "handled", "functions", "resources")} == {
        "kind": "actiontrail", "handled": True, "functions": ["whitelist_guard"],
        "resources": [{"type": "cr-instance", "id": "cri-test0000000000001"}]}
    assert out["reason"] and out["actor"] == "ram-user:alice"
    assert (out["id"], out["source"], out["type"]) == (
        "e1d2c3b4-a596-4788-99aa-bbccdd000006", "acs.cr", "cr:ActionTrail:ApiCall")


@pytest.mark.parametrize("name", ["cr_acl_delete_failed.json", "legacy_acr_webhook.json",
                                  "cr_artifact_build_completed.json", "actiontrail_lookup_events_read.json"])
def test_ignored_events_exit_0_with_a_reason(name):
    """A deliberately ignored event is not an error: exit 0, handled false, a reason."""
    result = explain(str(FIXTURES / name), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["handled"] is False and out["functions"] == [] and out["resources"] == [] and out["reason"]


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "malformed").glob("*.json")))
def test_malformed_events_exit_65_with_the_problem(name):
    """A malformed event exits 65 (malformed input); --json says kind malformed with the path of the problem."""
    result = explain(str(FIXTURES / "malformed" / name), "--json")
    assert result.exit_code == 65, result.output
    out = json.loads(result.output)
    assert (out["kind"], out["handled"], out["functions"], out["resources"]) == ("malformed", False, [], [])
    assert out["error"]["path"].startswith("$") and out["reason"].startswith("malformed event")


def test_malformed_event_text_goes_to_stderr():
    """Without --json, the error names the file, the event id and the path."""
    result = explain(str(FIXTURES / "malformed" / "eventname_not_a_string.json"))
    assert result.exit_code == 65
    assert "e1d2c3b4-a596-4788-99aa-bbccdd000006" in result.output and "$.data.eventName" in result.output


def test_text_output_reads_as_an_explanation():
    """The human output says what happened, who did it, which job acts and on what."""
    result = explain(str(FIXTURES / "cr_artifact_push_completed.json"))
    assert result.exit_code == 0
    assert "cr:Artifact:PushCompleted for apps/web:v1.4.2" in result.output
    assert "handled:   yes, by image_advisor" in result.output
    assert "cr-tag/cri-test0000000000001/apps/web:v1.4.2" in result.output


def test_batch_json_lists_each_event():
    """A batch prints the combined keys and one result per event."""
    result = explain(str(FIXTURES / "batch_two_events.json"), "--json")
    assert result.exit_code == 0
    out = json.loads(result.output)
    assert (out["kind"], out["handled"], len(out["events"])) == ("batch", True, 2)
    assert out["functions"] == ["endpoint_keeper", "whitelist_guard", "pullkey_auditor", "image_advisor"]


def test_stdin_is_read_with_dash():
    """'-' reads the event from standard input."""
    result = explain("-", "--json", stdin=(FIXTURES / "timer_json_payload.json").read_bytes())
    assert result.exit_code == 0 and json.loads(result.output)["functions"] == ["image_advisor"]


def test_oversized_file_exits_65_without_reading_it_all(tmp_path):
    """A file over the size limit is malformed (exit 65), and says so."""
    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b" " * (2 * 1024 * 1024) + b"]")
    result = explain(str(big), "--json")
    assert result.exit_code == 65 and "more than" in json.loads(result.output)["reason"]


def test_missing_file_exits_66():
    """A file that does not exist is missing input (exit 66), as the help says, and named."""
    result = explain(str(FIXTURES / "no-such-file.json"))
    assert result.exit_code == 66 and "no-such-file.json" in result.output


def test_secrets_never_reach_the_output():
    """Neither the new key's secret nor a password nor a full AccessKey id is printed."""
    for name in ("ims_create_access_key.json", "ims_create_login_profile_console.json"):
        for args in ((), ("--json",)):
            output = explain(str(FIXTURES / name), *args).output
            assert "FAKE-SECRET" not in output and "FAKE-Passw0rd" not in output
            assert "LTAI5tFakePullKey0017" not in output


def test_module_entry_point_and_light_imports():
    """``python -m acrguard event explain`` works, and importing acrguard.events loads no SDK, pydantic or click."""
    run = subprocess.run([sys.executable, "-m", "acrguard", "event", "explain", "--json",
                          str(FIXTURES / "ims_add_user_to_group.json")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["functions"] == ["pullkey_auditor"]
    probe = subprocess.run([sys.executable, "-c", "import sys, acrguard.events; print(sorted({m.split('.')[0] "
                            "for m in sys.modules if m.split('.')[0] in ('pydantic', 'click', 'yaml', 'Tea', "
                            "'darabonba') or m.startswith('alibabacloud')}))"], capture_output=True, text=True,
                           timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]"
