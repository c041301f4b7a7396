"""The alerts state section: observations, resolution by scope, the log, and garbage collection."""

from __future__ import annotations

import copy

from acrguard.alerts import state
from acrguard.config.alerts import ChannelConfig
from acrguard.state.sqlite import SqliteStateStore
from tests.alerts.helpers import finding

SCOPE = "cri-test0000000000001"
T0 = 1_790_000_000.0


def test_observe_marks_new_and_resolves_absent_findings_of_observed_scopes():
    """Present findings fire (new ones listed); absent ones of the job's observed scopes resolve."""
    alerts = state.section({})
    first = state.observe(alerts, "whitelist", [finding(0), finding(1)], {SCOPE}, T0)
    assert set(first.new) == {finding(0).fingerprint, finding(1).fingerprint}
    second = state.observe(alerts, "whitelist", [finding(0)], {SCOPE}, T0 + 60)
    assert second.new == () and second.resolved == (finding(1).fingerprint,) and second.still_firing == 1
    record = alerts["groups"][finding(0).group_key]["findings"][finding(1).fingerprint]
    assert record["firing"] is False and record["resolved_at"] == T0 + 60


def test_since_is_kept_while_a_finding_keeps_firing():
    """The firing-since time of a finding does not move while it is seen again, and its group stays as it was."""
    alerts = state.section({})
    state.observe(alerts, "whitelist", [finding()], {SCOPE}, T0)
    before = copy.deepcopy(alerts)
    state.observe(alerts, "whitelist", [finding()], {SCOPE}, T0 + 600)
    record = alerts["groups"][finding().group_key]["findings"][finding().fingerprint]
    assert record["since"] == T0
    assert alerts == before  # nothing to write when nothing changed


def test_garbage_collection_drops_settled_groups_and_removed_channels():
    """Resolved findings nobody refers to, and log entries of unknown channels, are dropped."""
    alerts = state.section({})
    state.observe(alerts, "whitelist", [finding()], {SCOPE}, T0)
    state.record_sent(alerts, finding().group_key, "gone", [finding().fingerprint], T0)
    state.record_sent(alerts, finding().group_key, "ops", [finding().fingerprint], T0)
    state.observe(alerts, "whitelist", [], {SCOPE}, T0 + 60)
    state.collect_garbage(alerts, ["ops"], T0 + 60)
    group = alerts["groups"][finding().group_key]
    assert list(group["notified"]) == ["ops"] and finding().fingerprint in group["findings"]
    state.record_sent(alerts, finding().group_key, "ops", [], T0 + 400)
    state.collect_garbage(alerts, ["ops"], T0 + 400)
    assert alerts["groups"] == {}


def test_pending_accumulates_what_the_channel_still_has_to_learn():
    """Failed attempts add up, and the pending set keeps every fingerprint not yet delivered."""
    alerts = state.section({})
    state.observe(alerts, "whitelist", [finding(0), finding(1)], {SCOPE}, T0)
    key = finding(0).group_key
    state.record_pending(alerts, key, "ops", [finding(0).fingerprint], reason="r", error="e", attempted=True, now=T0)
    state.record_pending(alerts, key, "ops", [finding(1).fingerprint], reason="r", error="e2", attempted=True,
                         now=T0 + 5)
    pending = alerts["groups"][key]["notified"]["ops"]["pending"]
    assert pending["attempts"] == 2 and pending["since"] == T0 and pending["error"] == "e2"
    assert set(pending["firing"]) == {finding(0).fingerprint, finding(1).fingerprint}


def test_rejection_is_forgotten_when_the_channel_config_changes():
    """A recorded rejection applies to the configuration it happened with, not to a corrected one."""
    alerts = state.section({})
    bad = ChannelConfig(name="ding", type="dingtalk", url="https://example.invalid/robot/send?access_token=t",
                        secret="old")
    state.mark_rejected(alerts, bad, "misconfigured: errcode 310000", T0)
    assert state.rejected(alerts, bad) is not None
    assert state.rejected(alerts, bad.model_copy(update={"secret": "new"})) is None


def test_records_write_one_record_per_change_and_keep_another_writers_records(tmp_path):
    """Each change is written to its own record with a version check; a record another writer made stays."""
    path = tmp_path / "state.db"
    records = state.AlertRecords(SqliteStateStore(path), ["ops"])
    records.change_robot("robot", lambda alerts: state.record_robot_send(alerts, "robot", T0), T0)
    SqliteStateStore(path).update("other/x", lambda value: value.update(x=1))
    records.change_robot("robot", lambda alerts: state.record_robot_send(alerts, "robot", T0 + 1), T0 + 1)
    store = SqliteStateStore(path)
    assert store.value("other/x") == {"x": 1}
    assert state.read_section(store)["robots"]["robot"]["sent"] == [T0, T0 + 1]
    assert store.list("alerts/") == ["alerts/robots/robot"]


def test_a_group_changed_through_the_records_is_tidied_and_deleted_when_settled(tmp_path):
    """A group whose findings resolved and whose channels were told is deleted with its last change."""
    store = SqliteStateStore(tmp_path / "state.db")
    records = state.AlertRecords(store, ["ops"])
    key = finding().group_key
    _, group = records.change_group(key, lambda alerts: state.observe(alerts, "whitelist", [finding()], {SCOPE}, T0),
                                    T0)
    assert group is not None and records.groups([key])[key] == group
    records.change_group(key, lambda alerts: state.record_sent(alerts, key, "ops", [finding().fingerprint], T0), T0)
    records.change_group(key, lambda alerts: state.observe(alerts, "whitelist", [], {SCOPE}, T0 + 60), T0 + 60)
    _, gone = records.change_group(key, lambda alerts: state.record_sent(alerts, key, "ops", [], T0 + 400), T0 + 400)
    assert gone is None and records.groups([key]) == {} and store.list("alerts/") == []
