"""Check 10, chat-channels: each channel's URL, and with --send the platform's answer to a test message."""

from __future__ import annotations

from acrguard.doctor.channels import check_channels, url_problem
from acrguard.doctor.model import Status
from tests.doctor.doctorworld import ROBOT, context, dingtalk_channel


def test_without_send_a_valid_channel_is_skipped_with_the_command(cloud, tmp_path):
    """Valid and not sent: SKIP, and the details give the command that sends; nothing reaches the robot."""
    result = check_channels(context(cloud, tmp_path))
    assert result.status is Status.SKIPPED
    assert result.evidence == "1 channel(s) valid, not sent: add --send to send each a test message"
    assert any("--send" in line for line in result.details)
    assert cloud.chat.messages("dingtalk") == []


def test_with_send_the_robot_accepts_the_test_message(cloud, tmp_path):
    """--send: the signed test message reaches the robot, which accepts it; it names doctor as the sender."""
    result = check_channels(context(cloud, tmp_path, send=True))
    assert result.status is Status.PASS and result.evidence == "ops (dingtalk): test message accepted (errcode 0: ok)"
    [message] = cloud.chat.messages("dingtalk", ROBOT, accepted=True)
    assert "acrguard doctor --send" in str(message.body)


def test_a_wrong_secret_fails_as_the_platform_refuses_it(cloud, tmp_path):
    """The robot refuses the signature: FAIL, the fix points at the robot's settings, the secret is not shown."""
    channel = dingtalk_channel(cloud, secret="SECnot-the-one")
    result = check_channels(context(cloud, tmp_path, send=True, channels=[channel]))
    assert result.status is Status.FAIL and "misconfigured" in result.evidence
    assert "secret, keywords" in result.fix
    assert "SECnot-the-one" not in str(result.to_dict())


def test_an_unavailable_platform_cannot_tell(cloud, tmp_path):
    """A 503 from the platform says nothing about the channel: cannot tell, run again."""
    cloud.chat.fail("dingtalk", status=503)
    result = check_channels(context(cloud, tmp_path, send=True))
    assert result.status is Status.UNKNOWN and "unavailable" in result.evidence


def test_a_url_of_another_platform_fails_without_sending(cloud, tmp_path):
    """A Slack channel whose URL is not hooks.slack.com fails before anything is sent, and the URL is not shown."""
    channel = {"name": "team", "type": "slack", "url": "https://hooks.example.com/services/T0/B0/secretpart"}
    result = check_channels(context(cloud, tmp_path, send=True, channels=[channel]))
    assert result.status is Status.FAIL
    assert result.evidence == ("team (slack): the URL's host is not hooks.slack.com: expected "
                               "https://hooks.slack.com/services/T…/B…/…")
    assert "secretpart" not in str(result.to_dict())


def test_documented_webhook_forms_are_valid():
    """Each platform's documented URL passes; a missing token or plain http does not."""
    from acrguard.config.alerts import ChannelConfig

    def problem(kind: str, url: str) -> str | None:
        return url_problem(ChannelConfig(name="c", type=kind, url=url))

    assert problem("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc123") is None
    assert problem("feishu", "https://open.larksuite.com/open-apis/bot/v2/hook/abc-123") is None
    assert problem("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-1") is None
    assert problem("slack", "https://hooks.slack.com/services/T00/B00/xyz") is None
    assert problem("webhook", "https://alerts.example.com/acrguard") is None
    assert "path or query" in problem("dingtalk", "https://oapi.dingtalk.com/robot/send")
    assert "not https" in problem("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-1")


def test_no_channel_is_skipped_saying_so(cloud, tmp_path):
    """No alerts.channels: skipped, saying the findings reach only the logs."""
    result = check_channels(context(cloud, tmp_path, channels=[]))
    assert result.status is Status.SKIPPED and "only the functions' logs" in result.evidence
