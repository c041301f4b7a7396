"""``acrguard alert list|show``: what a digest only counted, or a message cut, read back from the state."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import yaml

from acrguard.cli import main
from acrguard.findings import Severity
from tests.alerts.helpers import channel, finding

SCOPE = "cri-test0000000000001"


def _config_file(tmp_path, state_path, channels) -> str:
    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump({"alerts": {"channels": channels, "max_messages_per_run": 2},
                                    "state": {"backend": "sqlite", "path": state_path}}))
    return str(path)


def _burst(alerts_config, invocation, count: int = 6):
    """Findings in ``count`` groups at once, more than the channel takes: the last message is a digest."""
    config = alerts_config("wecom", max_messages_per_run=2)
    findings = [finding(i, scope=f"cri-burst{i:012d}", severity=Severity.HIGH,
                        details="\n".join(f"+ 10.{i}.{n}.0/24" for n in range(20))) for i in range(count)]
    report = invocation(config).process("whitelist", findings, {f.scope for f in findings})
    return findings, report


def test_a_group_only_counted_in_a_digest_is_listed_with_its_findings(cloud, alerts_config, invocation, state_path,
                                                                      tmp_path, capsys):
    """Every group of a burst, those a digest only counted too, is listed with its findings' titles and id."""
    findings, report = _burst(alerts_config, invocation)
    assert [d.kind for d in report.deliveries] == ["group", "digest"]
    digest_text = cloud.chat.accepted("wecom")[-1].text
    assert "alert list --config acrguard.yaml" in digest_text
    path = _config_file(tmp_path, state_path, [channel(cloud, "wecom")])
    assert main(["alert", "list", "--config", path]) == 0
    out = capsys.readouterr().out
    for item in findings:
        group_id = hashlib.sha256(item.group_key.encode()).hexdigest()[:12]
        assert group_id in out and f"[HIGH] {item.title} — {item.resource}" in out
    assert "6 groups, 6 firing findings" in out


def test_show_prints_every_line_a_message_left_out(cloud, alerts_config, invocation, state_path, tmp_path, capsys):
    """The id a message shows prints the group's findings in full: all 20 detail lines, the fix, who."""
    findings, _ = _burst(alerts_config, invocation, count=1)
    message_text = cloud.chat.accepted("wecom")[-1].text
    group_id = hashlib.sha256(findings[0].group_key.encode()).hexdigest()[:12]
    assert f"12 more lines not shown: python -m acrguard alert show --config acrguard.yaml {group_id}" in message_text
    path = _config_file(tmp_path, state_path, [channel(cloud, "wecom")])
    assert main(["alert", "show", "--config", path, group_id]) == 0
    out = capsys.readouterr().out
    assert all(f"+ 10.0.{n}.0/24" in out for n in range(20))
    assert "Remove the entry or narrow it to your office range" in out
    assert "LTAI****Mn3x" in out and "LTAI5tAbCdEfGhIjKlMn3x" not in out
    assert main(["alert", "show", "--config", path, group_id, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == group_id and data["findings"][0]["details"].count("\n") == 19


def test_reading_the_state_writes_nothing(cloud, alerts_config, invocation, state_path, tmp_path, capsys):
    """list and show leave the state file as it was (and create none when there is none)."""
    _burst(alerts_config, invocation, count=2)
    before = (os.stat(state_path).st_mtime_ns, Path(state_path).read_bytes())
    path = _config_file(tmp_path, state_path, [channel(cloud, "wecom")])
    assert main(["alert", "list", "--config", path, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["groups"]) == 2
    assert (os.stat(state_path).st_mtime_ns, Path(state_path).read_bytes()) == before
    empty = _config_file(tmp_path, str(tmp_path / "none.db"), [channel(cloud, "wecom")])
    assert main(["alert", "list", "--config", empty]) == 0
    assert "No open alert groups" in capsys.readouterr().out and not (tmp_path / "none.db").exists()


def test_an_unknown_or_too_short_group_is_a_usage_error(cloud, alerts_config, invocation, state_path, tmp_path,
                                                        capsys):
    """A GROUP the state does not hold, or fewer than four characters of one, exits 64 saying why."""
    _burst(alerts_config, invocation, count=1)
    path = _config_file(tmp_path, state_path, [channel(cloud, "wecom")])
    assert main(["alert", "show", "--config", path, "0123456789ab"]) == 64
    assert "no alert group '0123456789ab'" in capsys.readouterr().err
    assert main(["alert", "show", "--config", path, "ab"]) == 64
    assert "at least 4 characters" in capsys.readouterr().err


def test_terminal_control_characters_in_finding_text_are_removed(cloud, alerts_config, invocation, state_path,
                                                                 tmp_path, capsys):
    """Cloud-side text cannot drive the terminal: escape sequences are stripped from what show prints."""
    config = alerts_config("wecom")
    hostile = finding(title="entry \x1b[2J\x1b]0;pwned\x07 open", details="comment \x1b[31mred\x1b[0m")
    invocation(config).process("whitelist", [hostile], {SCOPE})
    path = _config_file(tmp_path, state_path, [channel(cloud, "wecom")])
    assert main(["alert", "show", "--config", path, hostile.group_key]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "entry [2J]0;pwned open" in out


def test_the_digest_names_each_group_id(cloud, alerts_config, invocation):
    """Each group a digest lists carries the id ``alert show`` takes."""
    _burst(alerts_config, invocation)
    digest = cloud.chat.accepted("wecom")[-1].text
    ids = [hashlib.sha256(f"whitelist.open-to-internet|cri-burst{i:012d}".encode()).hexdigest()[:12]
           for i in range(6)]
    assert sum(group_id in digest for group_id in ids) == 5  # the sixth went out as a message of its own
