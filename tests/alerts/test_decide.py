"""needsUpdate reasons and the per-channel plan, as pure functions of state, config and time."""

from __future__ import annotations

from acrguard.alerts import state
from acrguard.alerts.decide import Hold, Reason, needs_update, plan_notifications
from acrguard.config.alerts import AlertsConfig
from acrguard.findings import Severity
from tests.alerts.helpers import finding

CONFIG = AlertsConfig(group_wait_s=30, group_interval_s=300, repeat_interval_s=3600)
T0 = 1_790_000_000.0


def _decide(firing, entry, now=T0 + 1000, first_seen=T0):
    return needs_update(set(firing), entry, now=now, first_seen=first_seen, config=CONFIG)


def test_first_notification_after_group_wait():
    """Nothing sent yet and something fires: held during group_wait, then the first notification."""
    assert _decide({"a"}, None, now=T0 + 10) is Hold.GROUP_WAIT
    assert _decide({"a"}, None, now=T0 + 30) is Reason.FIRST


def test_new_findings_wait_for_the_group_interval():
    """A fingerprint not in the last message: held until group_interval, then NEW."""
    entry = {"firing": ["a"], "at": T0}
    assert _decide({"a", "b"}, entry, now=T0 + 299) is Hold.GROUP_INTERVAL
    assert _decide({"a", "b"}, entry, now=T0 + 300) is Reason.NEW


def test_a_subset_of_what_was_sent_needs_nothing_until_the_repeat():
    """Fewer or the same findings firing: nothing until repeat_interval, then REPEAT."""
    entry = {"firing": ["a", "b"], "at": T0}
    assert _decide({"a"}, entry, now=T0 + 3599) is None
    assert _decide({"a"}, entry, now=T0 + 3600) is Reason.REPEAT


def test_all_resolved_sends_one_resolved_then_nothing():
    """Nothing fires after a firing message: RESOLVED; after the resolved message (empty log): nothing."""
    assert _decide(set(), {"firing": ["a"], "at": T0}) is Reason.RESOLVED
    assert _decide(set(), {"firing": [], "at": T0 + 1000}) is None
    assert _decide(set(), None) is None


def test_pending_deliveries_are_retried_without_waiting():
    """An undelivered message is due again at once: RETRY, or RESOLVED for findings it never got to tell."""
    entry = {"firing": ["a"], "at": T0 + 900, "pending": {"firing": ["a"], "attempts": 1}}
    assert _decide({"a"}, entry) is Reason.RETRY
    never_told = {"firing": [], "at": None, "pending": {"firing": ["a"], "attempts": 1}}
    assert _decide(set(), never_told) is Reason.RESOLVED
    assert _decide({"a"}, never_told, now=T0 + 1) is Reason.FIRST


def _state_with(findings, now=T0):
    alerts = state.section({})
    state.observe(alerts, "whitelist", findings, {f.scope for f in findings}, now)
    return alerts


def test_plan_respects_min_severity_per_channel():
    """A low finding is planned for the channel taking low, not for the one wanting high."""
    config = AlertsConfig(channels=[
        {"name": "ops", "type": "webhook", "url": "https://example.invalid/a", "min_severity": "high"},
        {"name": "all", "type": "webhook", "url": "https://example.invalid/b", "min_severity": "info"}])
    plan = plan_notifications(_state_with([finding(severity=Severity.LOW)]), config, T0)
    assert list(plan.due) == ["all"]
    (due,) = plan.due["all"]
    assert due.reason is Reason.FIRST and due.firing == (finding(severity=Severity.LOW).fingerprint,)


def test_a_change_notice_reaches_a_default_channel_whatever_its_severity():
    """An info notice (the ACL restored) goes to a channel left at min_severity low; an info condition does not."""
    config = AlertsConfig(channels=[
        {"name": "ops", "type": "webhook", "url": "https://example.invalid/a"},
        {"name": "pager", "type": "webhook", "url": "https://example.invalid/b", "min_severity": "high"}])
    restored = finding(1, rule="whitelist.applied", severity=Severity.INFO, notice=True, labels={"change": "c1"})
    condition = finding(2, rule="whitelist.note", severity=Severity.INFO)
    plan = plan_notifications(_state_with([restored, condition]), config, T0)
    assert sorted(plan.due) == ["ops", "pager"]
    for name in ("ops", "pager"):
        assert [due.message.rule for due in plan.due[name]] == ["whitelist.applied"]


def test_a_channel_can_hold_notices_to_its_min_severity():
    """With notices: by_severity a channel hears a notice only when it is as severe as min_severity."""
    config = AlertsConfig(channels=[
        {"name": "pager", "type": "webhook", "url": "https://example.invalid/b", "min_severity": "high",
         "notices": "by_severity"}])
    restored = finding(1, rule="whitelist.applied", severity=Severity.INFO, notice=True, labels={"change": "c1"})
    assert plan_notifications(_state_with([restored]), config, T0).due == {}


def test_plan_builds_one_message_per_group_with_its_findings():
    """Two findings of one rule and scope are one due message listing both, most severe first."""
    config = AlertsConfig(channels=[{"name": "all", "type": "webhook", "url": "https://example.invalid/b"}])
    low, high = finding(1, severity=Severity.LOW), finding(2, severity=Severity.HIGH)
    plan = plan_notifications(_state_with([low, high]), config, T0)
    (due,) = plan.due["all"]
    assert [f.resource for f in due.message.findings] == ["acl-entry-0002", "acl-entry-0001"]
    assert due.message.severity is Severity.HIGH
