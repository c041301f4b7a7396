"""Each channel, over HTTP to the local sinks: the exact payload shape, the signature, and rejections."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from acrguard.alerts.channels import Outcome
from tests.alerts.helpers import DING_KEYWORD, DING_SECRET, DING_TOKEN, FEISHU_SECRET, channel, finding


def _only_message(cloud, kind):
    messages = cloud.chat.messages(kind)
    assert len(messages) == 1, [m.answer for m in messages]
    return messages[0]


def test_dingtalk_markdown_is_signed_in_the_query(cloud, alerts_config, invocation, clock):
    """DingTalk gets markdown with timestamp (ms) and sign = Base64 HMAC-SHA256(secret, "ts\\nsecret") in the URL."""
    report = invocation(alerts_config("dingtalk")).process("whitelist", [finding()], {"cri-test0000000000001"})
    message = _only_message(cloud, "dingtalk")
    assert message.accepted and message.answer == {"errcode": 0, "errmsg": "ok"}
    assert set(message.query) == {"access_token", "timestamp", "sign"}
    assert message.query["access_token"] == DING_TOKEN
    timestamp = message.query["timestamp"]
    assert abs(int(timestamp) / 1000 - clock.now()) < 5
    expected = base64.b64encode(hmac.new(DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert message.query["sign"] == expected
    assert set(message.body) == {"msgtype", "markdown", "at"}
    assert message.body["msgtype"] == "markdown" and message.body["at"] == {"isAtAll": False}
    assert set(message.body["markdown"]) == {"title", "text"}
    assert message.body["markdown"]["title"].startswith("🔴 [CRITICAL] Whitelist entry 0 open to the internet")
    assert DING_KEYWORD in message.body["markdown"]["text"]
    assert [d.outcome for d in report.deliveries] == [Outcome.ACCEPTED]


def test_feishu_card_is_signed_in_the_body(cloud, alerts_config, invocation, clock):
    """Feishu gets an interactive card with timestamp (s) and sign = Base64 HMAC-SHA256(key="ts\\nsecret", b"")."""
    invocation(alerts_config("feishu")).process("whitelist", [finding()], {"cri-test0000000000001"})
    message = _only_message(cloud, "feishu")
    assert message.accepted and message.answer["code"] == 0
    body = message.body
    assert set(body) == {"timestamp", "sign", "msg_type", "card"}
    assert body["msg_type"] == "interactive"
    assert isinstance(body["timestamp"], str) and abs(int(body["timestamp"]) - clock.now()) < 5
    expected = base64.b64encode(hmac.new(f"{body['timestamp']}\n{FEISHU_SECRET}".encode(), b"",
                                         hashlib.sha256).digest()).decode()
    assert body["sign"] == expected
    card = body["card"]
    assert card["header"]["template"] == "red"
    title = "🔴 [CRITICAL] Whitelist entry 0 open to the internet — acl-entry-0000"
    assert card["header"]["title"] == {"tag": "plain_text", "content": title}
    assert [e["tag"] for e in card["elements"]] == ["markdown"]
    assert "Fix: Remove the entry" in card["elements"][0]["content"]
    assert len(message.raw) <= 20 * 1024


def test_wecom_markdown_fits_4096_bytes(cloud, alerts_config, invocation):
    """WeCom gets {"msgtype": "markdown", "markdown": {"content"}} within 4096 bytes, even for a big group."""
    findings = [finding(i, details="x" * 150 + "\n" + "y" * 150) for i in range(60)]
    invocation(alerts_config("wecom", max_findings_per_message=100)).process(
        "whitelist", findings, {"cri-test0000000000001"})
    message = _only_message(cloud, "wecom")
    assert message.accepted and message.answer == {"errcode": 0, "errmsg": "ok"}
    assert set(message.body) == {"msgtype", "markdown"} and set(message.body["markdown"]) == {"content"}
    content = message.body["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    shown = content.count("Whitelist entry")
    assert f"… and {60 - shown} more findings not shown" in content


def test_slack_blocks_have_header_sections_and_context(cloud, alerts_config, invocation):
    """Slack gets a text fallback and blocks: header (plain text), mrkdwn sections, context footer."""
    invocation(alerts_config("slack")).process("whitelist", [finding(0), finding(1)], {"cri-test0000000000001"})
    message = _only_message(cloud, "slack")
    assert message.accepted and message.answer == "ok"
    body = message.body
    assert set(body) == {"text", "blocks"}
    assert body["text"] == "🔴 [CRITICAL] whitelist.open-to-internet: 2 findings in cri-test0000000000001"
    types = [b["type"] for b in body["blocks"]]
    assert types[0] == "header" and types[-1] == "context" and set(types[1:-1]) == {"section"}
    assert body["blocks"][0]["text"]["type"] == "plain_text"
    assert all(b["text"]["type"] == "mrkdwn" for b in body["blocks"] if b["type"] == "section")
    assert "acl-entry-0001" in message.text


def test_generic_webhook_carries_structured_findings(cloud, alerts_config, invocation):
    """The generic webhook gets versioned JSON with the group, findings (AccessKey masked) and text."""
    invocation(alerts_config("webhook")).process("whitelist", [finding()], {"cri-test0000000000001"})
    message = _only_message(cloud, "webhook")
    body = message.body
    assert message.accepted
    assert {"version", "source", "receiver", "status", "reason", "groupKey", "groupHash", "rule", "scope", "severity",
            "findings", "truncatedFindings", "text"} <= set(body)
    assert body["status"] == "firing" and body["reason"] == "first notification"
    assert body["groupKey"] == "whitelist.open-to-internet|cri-test0000000000001"
    assert body["truncatedFindings"] == 0
    (item,) = body["findings"]
    assert item["fingerprint"] == finding().fingerprint
    assert item["actor"]["accessKeyId"] == "LTAI****Mn3x"
    assert "LTAI5tAbCdEfGhIjKlMn3x" not in json.dumps(body)


def test_wrong_dingtalk_secret_is_a_configuration_error_not_retried(cloud, alerts_config, invocation):
    """A bad signature gets 310000 "sign not match": misconfigured, pending, not re-sent until the config changes."""
    bad = alerts_config(channels=[channel(cloud, "dingtalk", secret="SECnotthesecret")])
    report = invocation(bad).process("whitelist", [finding()], {"cri-test0000000000001"})
    assert report.deliveries[0].outcome is Outcome.MISCONFIGURED
    assert "310000" in report.deliveries[0].detail and "sign not match" in report.deliveries[0].detail
    assert cloud.chat.messages("dingtalk")[0].answer == {"errcode": 310000, "errmsg": "sign not match"}
    again = invocation(bad).flush()
    assert len(cloud.chat.messages("dingtalk")) == 1
    assert again.deliveries == []  # the group waits for the retry time or a new configuration: not even planned
    fixed = invocation(alerts_config("dingtalk")).flush()
    assert [d.outcome for d in fixed.deliveries] == [Outcome.ACCEPTED]
    assert len(cloud.chat.accepted("dingtalk")) == 1


def test_missing_keyword_is_added_so_dingtalk_accepts(cloud, alerts_config, invocation):
    """When the configured keyword is not in the text, it is appended and the robot accepts the message."""
    cloud.chat.add_robot("dingtalk", "kwrobot0001", keywords=["告警"])
    data = channel(cloud, "dingtalk", secret=None, keywords=["告警"],
                   url=f"http://{cloud.endpoints()['chat']}/dingtalk/robot/send?access_token=kwrobot0001")
    invocation(alerts_config(channels=[data])).process("whitelist", [finding()], {"cri-test0000000000001"})
    (message,) = cloud.chat.messages("dingtalk")
    assert message.accepted and "告警" in message.body["markdown"]["text"]


def test_wrong_feishu_secret_gets_19021(cloud, alerts_config, invocation):
    """A bad Feishu signature is refused with 19021 and reported as a configuration error."""
    bad = alerts_config(channels=[channel(cloud, "feishu", secret="not-the-secret")])
    report = invocation(bad).process("whitelist", [finding()], {"cri-test0000000000001"})
    assert report.deliveries[0].outcome is Outcome.MISCONFIGURED
    assert cloud.chat.messages("feishu")[0].answer["code"] == 19021
