"""The pipeline across invocations: dedup, resolution, scopes, silences, severities, pending deliveries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from acrguard.alerts.channels import Outcome
from acrguard.alerts.state import read_section
from acrguard.findings import Severity
from tests.alerts.helpers import channel, finding

SCOPE = "cri-test0000000000001"
OTHER_SCOPE = "cri-test0000000000002"


def test_same_finding_twice_is_one_message_and_its_resolution_one_more(cloud, alerts_config, invocation):
    """Two invocations reporting one finding send one message; its absence sends one "resolved" message."""
    config = alerts_config("dingtalk")
    invocation(config).process("whitelist", [finding()], {SCOPE})
    invocation(config).process("whitelist", [finding()], {SCOPE})
    assert len(cloud.chat.accepted("dingtalk")) == 1
    cloud.advance(config.group_interval_s)
    invocation(config).process("whitelist", [], {SCOPE})
    invocation(config).process("whitelist", [], {SCOPE})
    messages = cloud.chat.accepted("dingtalk")
    assert len(messages) == 2
    assert messages[1].body["markdown"]["title"].startswith("✅ [RESOLVED] Whitelist entry 0 open to the internet")


def test_resolution_waits_for_the_group_interval(cloud, alerts_config, invocation):
    """A resolution right after the first message is held until group_interval_s has passed since it."""
    config = alerts_config("wecom", group_interval_s=120, repeat_interval_s=3600)
    invocation(config).process("whitelist", [finding()], {SCOPE})
    held = invocation(config).process("whitelist", [], {SCOPE})
    assert [h[2].value for h in held.held] == ["group_interval"] and held.deliveries == []
    cloud.advance(121)
    invocation(config).flush()
    assert "[RESOLVED]" in cloud.chat.accepted("wecom")[-1].text
    assert len(cloud.chat.accepted("wecom")) == 2


def test_a_scope_that_was_not_observed_does_not_resolve(cloud, alerts_config, invocation, store):
    """Findings of a scope left out of scopes_observed (the job could not look) stay firing."""
    config = alerts_config("wecom")
    both = [finding(0), finding(1, scope=OTHER_SCOPE)]
    invocation(config).process("whitelist", both, {SCOPE, OTHER_SCOPE})
    cloud.advance(config.group_interval_s)
    report = invocation(config).process("whitelist", [finding(0)], {SCOPE})
    assert report.resolved == ()
    assert len(cloud.chat.accepted("wecom")) == 2
    group = read_section(store)["groups"][finding(1, scope=OTHER_SCOPE).group_key]
    assert all(record["firing"] for record in group["findings"].values())


def test_other_jobs_findings_are_not_resolved_by_a_job(cloud, alerts_config, invocation):
    """A job's complete set only covers its own findings; another job's findings in the scope stay."""
    config = alerts_config("wecom")
    invocation(config).process("audit", [finding(7, rule="pullkeys.excess", job="audit")], {SCOPE})
    report = invocation(config).process("whitelist", [], {SCOPE})
    assert report.resolved == ()


def test_a_finding_outside_the_observed_scopes_is_refused(cloud, alerts_config, invocation):
    """Reporting a finding for a scope the job says it did not observe is a programming error."""
    with pytest.raises(ValueError, match="not in scopes_observed"):
        invocation(alerts_config("wecom")).process("whitelist", [finding(scope=OTHER_SCOPE)], {SCOPE})


def test_new_finding_in_a_group_is_sent_after_the_group_interval(cloud, alerts_config, invocation):
    """A second finding in a notified group waits for group_interval_s, then one message lists both."""
    config = alerts_config("wecom", group_interval_s=60, repeat_interval_s=3600)
    invocation(config).process("whitelist", [finding(0)], {SCOPE})
    cloud.advance(10)
    invocation(config).process("whitelist", [finding(0), finding(1)], {SCOPE})
    assert len(cloud.chat.accepted("wecom")) == 1
    cloud.advance(51)
    invocation(config).process("whitelist", [finding(0), finding(1)], {SCOPE})
    last = cloud.chat.accepted("wecom")[-1]
    assert len(cloud.chat.accepted("wecom")) == 2
    assert "2 findings" in last.text and "acl-entry-0001" in last.text


def test_a_still_firing_group_is_repeated_after_the_repeat_interval(cloud, alerts_config, invocation):
    """Nothing changes: no message until repeat_interval_s, then one repeat."""
    config = alerts_config("wecom", group_interval_s=60, repeat_interval_s=600)
    invocation(config).process("whitelist", [finding()], {SCOPE})
    cloud.advance(599)
    invocation(config).process("whitelist", [finding()], {SCOPE})
    assert len(cloud.chat.accepted("wecom")) == 1
    cloud.advance(2)
    invocation(config).process("whitelist", [finding()], {SCOPE})
    assert len(cloud.chat.accepted("wecom")) == 2
    assert "repeat interval elapsed" in cloud.chat.accepted("wecom")[-1].text


def test_group_wait_holds_a_new_group(cloud, alerts_config, invocation):
    """With group_wait_s, a new group's first message waits so findings found together go out together."""
    config = alerts_config("wecom", group_wait_s=30)
    invocation(config).process("whitelist", [finding(0)], {SCOPE})
    assert cloud.chat.messages("wecom") == []
    cloud.advance(31)
    invocation(config).process("whitelist", [finding(0), finding(1)], {SCOPE})
    (message,) = cloud.chat.accepted("wecom")
    assert "2 findings" in message.text


def test_silence_mutes_until_it_expires(cloud, alerts_config, invocation, clock):
    """A matching silence (regex on resource) mutes the finding; after expiry the finding is sent."""
    expires = datetime.fromtimestamp(clock.now(), tz=timezone.utc) + timedelta(minutes=10)
    silence = {"matchers": {"rule": "whitelist.open-to-internet", "resource": "~acl-entry-00.*"},
               "expires_at": expires.isoformat(), "comment": "maintenance"}
    config = alerts_config("wecom", silences=[silence])
    report = invocation(config).process("whitelist", [finding(0), finding(1, rule="whitelist.other")], {SCOPE})
    assert report.silenced == 1
    (message,) = cloud.chat.accepted("wecom")
    assert "acl-entry-0001" in message.text
    assert "acl-entry-0000" not in message.text
    cloud.advance(601)
    invocation(config).process("whitelist", [finding(0), finding(1, rule="whitelist.other")], {SCOPE})
    assert "acl-entry-0000" in cloud.chat.accepted("wecom")[-1].text


def test_silencing_a_notified_finding_does_not_claim_it_resolved(cloud, alerts_config, invocation, clock):
    """Silencing the only finding of a notified group sends nothing (a silence is not a resolution)."""
    config = alerts_config("wecom")
    invocation(config).process("whitelist", [finding()], {SCOPE})
    expires = datetime.fromtimestamp(clock.now(), tz=timezone.utc) + timedelta(hours=1)
    muted = alerts_config("wecom", silences=[{"matchers": {"severity": "critical"}, "expires_at": expires}])
    cloud.advance(muted.group_interval_s)
    invocation(muted).process("whitelist", [finding()], {SCOPE})
    assert len(cloud.chat.messages("wecom")) == 1


def test_min_severity_is_per_channel(cloud, alerts_config, invocation):
    """A low finding reaches the channel that takes low, not the one that wants high and above."""
    config = alerts_config(channels=[channel(cloud, "wecom", min_severity="high"), channel(cloud, "webhook")])
    invocation(config).process("whitelist", [finding(severity=Severity.LOW)], {SCOPE})
    assert cloud.chat.messages("wecom") == []
    assert len(cloud.chat.accepted("webhook")) == 1


def test_send_resolved_off_records_the_resolution_silently(cloud, alerts_config, invocation, store):
    """With send_resolved false, a resolution sends nothing and clears the group from the state."""
    config = alerts_config("wecom", send_resolved=False)
    invocation(config).process("whitelist", [finding()], {SCOPE})
    cloud.advance(config.group_interval_s)
    report = invocation(config).process("whitelist", [], {SCOPE})
    assert report.quiet_resolutions == 1
    assert len(cloud.chat.messages("wecom")) == 1
    assert read_section(store)["groups"] == {}


def test_failing_channel_keeps_the_finding_pending_while_others_get_it(cloud, alerts_config, invocation, store):
    """One channel down: the other gets the message, the failing one keeps it pending and gets it next run."""
    config = alerts_config("wecom", "webhook")
    cloud.chat.fail("wecom", status=500, times=None)
    report = invocation(config).process("whitelist", [finding()], {SCOPE})
    assert {d.channel: d.outcome for d in report.deliveries} == {"wecom": Outcome.UNAVAILABLE,
                                                                 "hook": Outcome.ACCEPTED}
    notified = read_section(store)["groups"][finding().group_key]["notified"]
    assert notified["wecom"]["pending"]["firing"] == [finding().fingerprint] and "pending" not in notified["hook"]
    invocation(config).process("whitelist", [finding()], {SCOPE})
    assert cloud.chat.accepted("wecom") == []
    cloud.chat.clear_failures()
    invocation(config).process("whitelist", [finding()], {SCOPE})
    assert len(cloud.chat.accepted("wecom")) == 1 and len(cloud.chat.accepted("webhook")) == 1


def test_a_finding_that_resolved_before_delivery_is_still_told(cloud, alerts_config, invocation):
    """If a finding fired and resolved while its channel was down, the channel later gets a "resolved" message."""
    config = alerts_config("wecom")
    cloud.chat.fail("wecom", status=503, times=1)
    invocation(config).process("whitelist", [finding()], {SCOPE})
    invocation(config).process("whitelist", [], {SCOPE})
    (message,) = cloud.chat.accepted("wecom")
    assert "[RESOLVED]" in message.text and "acl-entry-0000" in message.text


def test_a_notice_is_told_once_and_never_resolved(cloud, alerts_config, invocation):
    """A change notice goes out once; when the next run no longer reports it, nothing more is sent."""
    config = alerts_config("dingtalk")
    notice = finding(3, rule="whitelist.changed", severity=Severity.LOW, notice=True)
    invocation(config).process("whitelist", [notice], {SCOPE})
    assert len(cloud.chat.accepted("dingtalk")) == 1
    cloud.advance(config.group_interval_s + 1)
    report = invocation(config).process("whitelist", [], {SCOPE})
    assert report.resolved == (notice.fingerprint,)
    assert report.quiet_resolutions == 1
    assert len(cloud.chat.accepted("dingtalk")) == 1


def test_all_scopes_resolves_findings_of_every_scope_of_the_job(cloud, alerts_config, invocation):
    """A full sweep that says it observed every scope ("*") resolves findings of any scope it no longer has."""
    config = alerts_config("wecom")
    invocation(config).process("whitelist", [finding(0), finding(1, scope=OTHER_SCOPE)], {SCOPE, OTHER_SCOPE})
    report = invocation(config).process("whitelist", [finding(0)], {"*"})
    assert report.resolved == (finding(1, scope=OTHER_SCOPE).fingerprint,)


def test_a_new_notice_does_not_wait_for_the_group_interval(cloud, alerts_config, invocation):
    """A second change right after the first is told at once; a second condition would wait."""
    config = alerts_config("wecom", group_interval_s=300, repeat_interval_s=3600)
    first = finding(1, rule="routes.changed", severity=Severity.LOW, notice=True)
    invocation(config).process("whitelist", [first], {SCOPE})
    cloud.advance(5)
    second = finding(2, rule="routes.changed", severity=Severity.LOW, notice=True)
    invocation(config).process("whitelist", [first, second], {SCOPE})
    assert len(cloud.chat.accepted("wecom")) == 2


def test_a_partial_report_is_told_and_resolves_nothing(cloud, alerts_config, invocation, store):
    """The notices of a run cut short go out at once; the findings it did not report stay firing."""
    config = alerts_config("wecom")
    invocation(config).process("whitelist", [finding(0)], {SCOPE})
    cloud.advance(config.group_interval_s + 1)
    notice = finding(4, rule="whitelist.applied", severity=Severity.INFO, notice=True)
    report = invocation(config).process("whitelist", [notice], (), partial=True)
    assert report.resolved == () and report.new == (notice.fingerprint,)
    assert not any("[RESOLVED]" in m.text for m in cloud.chat.accepted("wecom"))
    group = read_section(store)["groups"][finding(0).group_key]
    assert all(record["firing"] for record in group["findings"].values())


def test_a_partial_report_still_names_only_the_job_s_own_findings(alerts_config, invocation):
    """Partial or not, a finding of another job is refused."""
    with pytest.raises(ValueError, match="belongs to job"):
        invocation(alerts_config("wecom")).process("whitelist", [finding(0, job="audit")], (), partial=True)
