"""Delivery over HTTP to the local sinks: rate limits, digests, retries, nothing lost, nothing doubled."""

from __future__ import annotations

import itertools
import re

from acrguard.alerts.channels import Outcome, RenderOptions
from acrguard.alerts.delivery import send_message
from acrguard.alerts.state import read_section
from acrguard.alerts.transport import HttpClientTransport
from acrguard.cli.alert import build_test_message
from acrguard.config.alerts import ChannelConfig
from tests.alerts.helpers import channel, finding

SCOPE = "cri-test0000000000001"
RESOURCE = re.compile(r"acl-entry-(\d{4})")
HIDDEN = re.compile(r"… and (\d+) more groups? \((\d+) findings?\) not listed")


def _max_in_any_minute(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if start <= t < start + 60) for start in times), default=0)


def _accounted(messages) -> tuple[set[str], int]:
    """Resources named in the messages, plus findings counted (not named) in digest notes."""
    named: set[str] = set()
    counted = 0
    for message in messages:
        text = message.text
        named.update(RESOURCE.findall(text))
        hidden = HIDDEN.search(text)
        if hidden:
            counted += int(hidden.group(2))
    return named, counted


def _fill_robot(cloud, config: ChannelConfig, count: int) -> None:
    """Another sender uses up the robot's budget (messages accepted by the sink, unknown to our state)."""
    for _ in range(count):
        now = cloud.clock.now()
        send_message(config, build_test_message(config, now), HttpClientTransport(), now, RenderOptions())


def test_burst_of_1000_groups_reaches_dingtalk_as_at_most_20_messages(cloud, alerts_config, invocation):
    """1,000 findings in 1,000 groups become at most 20 messages in the minute; every finding is named or counted."""
    findings = [finding(i, scope=f"cri-scope{i:04d}") for i in range(1000)]
    config = alerts_config("dingtalk", max_messages_per_run=100)
    report = invocation(config).process("whitelist", findings, {f.scope for f in findings})
    accepted = cloud.chat.accepted("dingtalk")
    assert len(accepted) == 20 and len(cloud.chat.messages("dingtalk")) == 20
    assert _max_in_any_minute([m.at for m in accepted]) <= 20
    digest = accepted[-1]
    assert "981 alert groups, 981 findings" in digest.text and "Firing: 981 groups, 981 findings" in digest.text
    named, counted = _accounted(accepted)
    assert len(named) + counted == 1000
    assert sum(len(d.groups) for d in report.deliveries if d.delivered) == 1000


def test_one_group_of_1000_findings_is_one_message_with_a_count(cloud, alerts_config, invocation):
    """1,000 findings of one rule in one scope are one message listing the first ones and counting the rest."""
    findings = [finding(i) for i in range(1000)]
    invocation(alerts_config("dingtalk")).process("whitelist", findings, {SCOPE})
    (message,) = cloud.chat.accepted("dingtalk")
    assert "1000 findings" in message.body["markdown"]["title"]
    shown = len(set(RESOURCE.findall(message.text)))
    assert shown == 10 and "… and 990 more findings not shown" in message.text


def test_burst_over_many_invocations_keeps_the_limit_and_delivers_everything_later(cloud, alerts_config, invocation,
                                                                                   store):
    """400 findings arriving over 10 invocations in a minute: ≤20 messages a minute, no 130101, all delivered later."""
    config = alerts_config("dingtalk")
    start = cloud.clock.now()
    for run in range(10):
        current = [finding(i, scope=f"cri-scope{i:04d}") for i in range(40 * (run + 1))]
        invocation(config).process("whitelist", current, {f.scope for f in current})
        cloud.advance(4.0)
    first_minute = [m for m in cloud.chat.messages("dingtalk") if m.at < start + 60]
    assert len(first_minute) == 20 and all(m.accepted for m in first_minute)
    cloud.advance(60)
    invocation(config).flush()
    accepted = cloud.chat.accepted("dingtalk")
    assert all(m.answer["errcode"] == 0 for m in cloud.chat.messages("dingtalk"))
    assert _max_in_any_minute([m.at for m in accepted]) <= 20
    named, counted = _accounted(accepted)
    assert len(named) + counted == 400
    groups = read_section(store)["groups"]
    assert len(groups) == 400
    assert all(g["notified"]["ding"]["firing"] and "pending" not in g["notified"]["ding"] for g in groups.values())


def test_5xx_is_retried_on_the_next_run_without_duplicates(cloud, alerts_config, invocation, store):
    """A 503 leaves the group pending; the next run delivers it once; the run after sends nothing."""
    config = alerts_config("wecom")
    cloud.chat.fail("wecom", status=503, times=1)
    first = invocation(config).process("whitelist", [finding()], {SCOPE})
    assert first.deliveries[0].outcome is Outcome.UNAVAILABLE
    pending = read_section(store)["groups"][finding().group_key]["notified"]["wecom"]["pending"]
    assert pending["attempts"] == 1 and pending["firing"] == [finding().fingerprint]
    assert "HTTP 503" in pending["error"]
    second = invocation(config).process("whitelist", [finding()], {SCOPE})
    assert [d.outcome for d in second.deliveries] == [Outcome.ACCEPTED]
    invocation(config).process("whitelist", [finding()], {SCOPE})
    assert len(cloud.chat.accepted("wecom")) == 1
    assert len(cloud.chat.messages("wecom")) == 2


def test_dingtalk_rate_limit_answer_blocks_the_robot_for_ten_minutes(cloud, alerts_config, invocation, store):
    """A 130101 (the robot was used up by someone else) defers sends for 10 minutes, then delivers once."""
    config = alerts_config("dingtalk")
    _fill_robot(cloud, config.channels[0], 20)
    first = invocation(config).process("whitelist", [finding()], {SCOPE})
    assert first.deliveries[0].outcome is Outcome.RATE_LIMITED
    assert cloud.chat.messages("dingtalk")[-1].answer["errcode"] == 130101
    requests_so_far = len(cloud.chat.messages("dingtalk"))
    cloud.advance(300)
    waiting = invocation(config).flush()
    assert len(cloud.chat.messages("dingtalk")) == requests_so_far  # nothing sent while blocked
    assert waiting.deliveries == []  # the group is due again only when the robot is no longer blocked
    cloud.advance(301)
    later = invocation(config).flush()
    assert [d.outcome for d in later.deliveries] == [Outcome.ACCEPTED]
    ours = [m for m in cloud.chat.accepted("dingtalk") if "acl-entry-0000" in m.text]
    assert len(ours) == 1
    assert invocation(config).flush().deliveries == []


def test_wecom_rate_limit_is_respected_across_invocations(cloud, alerts_config, invocation):
    """Sends recorded by earlier invocations count: the 21st group in a minute waits, and goes out after it."""
    config = alerts_config("wecom", max_messages_per_run=20)
    groups = [finding(i, scope=f"cri-scope{i:04d}") for i in range(20)]
    invocation(config).process("whitelist", groups, {f.scope for f in groups})
    assert len(cloud.chat.accepted("wecom")) == 20
    extra = [*groups, finding(99, scope="cri-scope0099")]
    deferred = invocation(config).process("whitelist", extra, {f.scope for f in extra})
    assert deferred.deliveries[0].outcome is None and "rate limit reached" in deferred.deliveries[0].detail
    assert len(cloud.chat.messages("wecom")) == 20  # not even tried: no 45009
    cloud.advance(61)
    invocation(config).flush()
    assert "acl-entry-0099" in cloud.chat.accepted("wecom")[-1].text
    assert len(cloud.chat.accepted("wecom")) == 21


def test_a_timeout_leaves_the_group_pending(cloud, alerts_config, invocation):
    """A sink that answers too late is a timeout: pending, delivered on the next run."""
    config = alerts_config(channels=[channel(cloud, "webhook", timeout_s=0.2)])
    cloud.chat.fail("webhook", status=503, delay_s=0.5, times=1)
    first = invocation(config).process("whitelist", [finding()], {SCOPE})
    assert first.deliveries[0].outcome is Outcome.UNAVAILABLE and "timeout" in first.deliveries[0].detail
    second = invocation(config).flush()
    assert [d.outcome for d in second.deliveries] == [Outcome.ACCEPTED]


def test_feishu_and_slack_are_paced_per_second(cloud, alerts_config, invocation, clock):
    """Several groups to Feishu (5/s) and Slack (1/s) are spaced out, so the sinks never answer "too fast"."""
    groups = [finding(i, scope=f"cri-scope{i:04d}") for i in range(8)]
    invocation(alerts_config("feishu", "slack")).process("whitelist", groups, {f.scope for f in groups})
    assert len(cloud.chat.accepted("feishu")) == 8 and len(cloud.chat.accepted("slack")) == 8
    assert all(m.accepted for m in cloud.chat.messages())
    slack_times = [m.at for m in cloud.chat.accepted("slack")]
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(slack_times))
    assert clock.slept >= 7.0


def test_failure_mid_run_keeps_the_rest_pending(cloud, alerts_config, invocation, store):
    """When a send fails, the channel's remaining groups are not tried this run and stay pending."""
    config = alerts_config("wecom")
    cloud.chat.fail("wecom", status=502, times=1)
    groups = [finding(i, scope=f"cri-scope{i:04d}") for i in range(3)]
    report = invocation(config).process("whitelist", groups, {f.scope for f in groups})
    assert [d.kind for d in report.deliveries] == ["group", "deferred"]
    assert len(cloud.chat.messages("wecom")) == 1
    notified = [g["notified"]["wecom"] for g in read_section(store)["groups"].values()]
    assert all("pending" in entry for entry in notified)
    invocation(config).flush()
    assert len(cloud.chat.accepted("wecom")) == 3
