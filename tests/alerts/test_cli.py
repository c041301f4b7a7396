"""``acrguard alert test``: a test message to one channel, with the exit codes of docs/exit-codes.md."""

from __future__ import annotations

import json

import yaml

from acrguard.cli import main
from tests.alerts.helpers import SECRETS, channel


def _config_file(tmp_path, channels) -> str:
    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump({"alerts": {"channels": channels}}))
    return str(path)


def test_accepted_test_message_exits_0(cloud, tmp_path, capsys):
    """The channel takes the test message: exit 0, and the sink holds a message saying it is a test."""
    path = _config_file(tmp_path, [channel(cloud, "dingtalk")])
    assert main(["alert", "test", "--config", path, "--channel", "ding"]) == 0
    (message,) = cloud.chat.accepted("dingtalk")
    assert "acrguard test message" in message.text
    out = capsys.readouterr()
    assert "channel ding (dingtalk): accepted" in out.out
    assert not any(secret in out.out + out.err for secret in SECRETS)


def test_unavailable_channel_exits_75(cloud, tmp_path, capsys):
    """A 5xx from the channel: exit 75 (retry later) and the outcome in JSON."""
    cloud.chat.fail("slack", status=503)
    path = _config_file(tmp_path, [channel(cloud, "slack")])
    assert main(["alert", "test", "--config", path, "--channel", "slack", "--json"]) == 75
    assert json.loads(capsys.readouterr().out) == {"channel": "slack", "type": "slack", "outcome": "unavailable",
                                                   "detail": "HTTP 503", "exit_code": 75}


def test_bad_signature_exits_78(cloud, tmp_path, capsys):
    """The platform refuses our signature: a configuration problem, exit 78, secret not shown."""
    path = _config_file(tmp_path, [channel(cloud, "feishu", secret="wrongsecret123")])
    assert main(["alert", "test", "--config", path, "--channel", "feishu"]) == 78
    err = capsys.readouterr().err
    assert "misconfigured" in err and "19021" in err and "wrongsecret123" not in err


def test_unknown_channel_exits_78(cloud, tmp_path, capsys):
    """Naming a channel that is not configured is a configuration error (78) listing the configured ones."""
    path = _config_file(tmp_path, [channel(cloud, "wecom")])
    assert main(["alert", "test", "--config", path, "--channel", "nope"]) == 78
    assert "no channel named 'nope'; configured: ['wecom']" in capsys.readouterr().err
    assert cloud.chat.messages() == []
