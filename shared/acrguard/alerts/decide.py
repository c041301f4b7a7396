"""Which groups each channel must hear about now, and why (Alertmanager's ``needsUpdate``).

Pure functions of the ``alerts`` state section, the config and the time: no I/O. For each
(group, channel) the channel's view of the group is the set of firing findings that are not
silenced and are at least as severe as the channel's ``min_severity`` (change notices whatever
their severity, unless the channel says ``notices: by_severity``; see ``reaches``). Compared with what the
notification log says the channel last received (Alertmanager's ``notify/notify.go``, https://github.com/prometheus/alertmanager):

* first notification: nothing was sent yet and something fires (after ``group_wait_s``);
* new findings in group: something fires that the last message did not contain (at most once
  per ``group_interval_s``);
* all resolved: the channel was told about findings and none fires now; one "resolved" message
  (or, with ``send_resolved: false`` or for a group of notices, a silent update of the log); when
  acrguard itself fixed every finding the channel knows of (``FIXED_BY_ACRGUARD``, e.g. the guard
  restored an emptied whitelist in the run that found it), the resolution is not held for the
  group interval: the operator was told "restored" and the next observation confirms it;
* retry: an earlier message did not reach the channel (failed or deferred by a rate limit);
* repeat interval elapsed: the group still fires ``repeat_interval_s`` after the last message;
* otherwise nothing.

If every finding a channel would see is silenced, nothing is sent (a silence is not a resolution).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from acrguard.alerts.message import GroupMessage, sort_findings
from acrguard.alerts.records import finding_from_record
from acrguard.alerts.silences import silence_for
from acrguard.config.alerts import AlertsConfig, ChannelConfig
from acrguard.findings import Finding

#: the ``evidence`` key (value: when, epoch seconds) of a finding acrguard fixed in the run that found it;
#: the pipeline keeps it on the finding's state record as ``fixed_by_acrguard``
FIXED_BY_ACRGUARD = "fixed_by_acrguard"


class Reason(str, Enum):
    """Why a group is notified (Alertmanager's ``needsUpdate`` reasons, plus retries)."""

    FIRST = "first notification"
    NEW = "new findings in group"
    RESOLVED = "all findings resolved"
    RETRY = "retry of an undelivered message"
    REPEAT = "repeat interval elapsed"


class Hold(str, Enum):
    """Why a group that changed is not notified yet."""

    GROUP_WAIT = "group_wait"
    GROUP_INTERVAL = "group_interval"


@dataclass(frozen=True)
class Due:
    """One group one channel must be told about now."""

    group_key: str
    channel: str
    reason: Reason
    firing: tuple[str, ...]  # the fingerprints the channel will know as firing once this is delivered
    message: GroupMessage


@dataclass
class Plan:
    """Everything due now, per channel, plus what waits and what is muted."""

    due: dict[str, list[Due]] = field(default_factory=dict)
    quiet: list[Due] = field(default_factory=list)  # resolutions recorded without a message (send_resolved off)
    held: list[tuple[str, str, Hold]] = field(default_factory=list)  # (group, channel, why)
    silenced: int = 0  # firing findings muted by a silence


def needs_update(firing: set[str], entry: dict[str, Any] | None, *, now: float, first_seen: float,
                 config: AlertsConfig, notices: frozenset[str] = frozenset(),
                 fixed: frozenset[str] = frozenset()) -> Reason | Hold | None:
    """The reason to notify a channel of a group, a reason to wait, or None (nothing to say).

    ``notices``: the fingerprints of firing findings that are change notices; a new notice is told
    at once (a change is news now), without waiting for the group interval. ``fixed``: the
    fingerprints of findings acrguard fixed itself; when they are all the channel knows of, their
    resolution is told at once too.
    """
    entry = entry or {}
    sent = set(entry.get("firing") or [])
    pending = entry.get("pending") or {}
    known = sent | set(pending.get("firing") or [])
    at = entry.get("at")
    interval_open = at is None or now - float(at) >= config.group_interval_s
    if firing:
        if at is None and not sent:
            if not pending and now - first_seen < config.group_wait_s:
                return Hold.GROUP_WAIT
            return Reason.FIRST
        if not firing <= sent:
            return Reason.NEW if interval_open or pending or (firing - sent) & notices else Hold.GROUP_INTERVAL
        if pending:
            return Reason.RETRY
        if at is not None and now - float(at) >= config.repeat_interval_s:
            return Reason.REPEAT
        return None
    if not known:
        return None
    return Reason.RESOLVED if interval_open or pending or known <= fixed else Hold.GROUP_INTERVAL


def reaches(finding: Finding, channel: ChannelConfig) -> bool:
    """Whether ``channel`` hears about ``finding``: as severe as its ``min_severity``, or a change notice.

    A notice tells of a change acrguard made or saw (a route added, the ACL restored, an export
    rewritten): it is news whatever its severity, so it reaches every channel unless the channel
    says ``notices: by_severity``.
    """
    if finding.notice and channel.notices == "always":
        return True
    return finding.severity.at_least(channel.min_severity)


def _group_findings(group: dict[str, Any]) -> dict[str, tuple[Finding, dict[str, Any]]]:
    return {fp: (finding_from_record(rec["finding"]), rec) for fp, rec in group["findings"].items()}


def _message(key: str, group: dict[str, Any], channel: ChannelConfig, reason: Reason, firing: set[str],
             known: set[str], records: dict[str, tuple[Finding, dict[str, Any]]]) -> GroupMessage:
    if reason is Reason.RESOLVED:
        shown = [records[fp] for fp in known if fp in records]
        status = "resolved"
        resolved_since: tuple[Finding, ...] = ()
    else:
        shown = [records[fp] for fp in firing]
        status = "firing"
        gone = [records[fp] for fp in known - firing if fp in records]
        # notices never "resolve": only conditions are listed as resolved since the last message
        resolved_since = sort_findings([f for f, rec in gone if not rec["firing"] and not f.notice])
    since = min((float(rec["since"]) for _, rec in shown), default=float(group.get("first_seen") or 0.0))
    return GroupMessage(group_key=key, rule=group["rule"], scope=group["scope"], job=group.get("job", ""),
                        status=status, reason=reason.value, findings=sort_findings([f for f, _ in shown]),
                        since=since, resolved_since=resolved_since)


def plan_notifications(alerts: dict[str, Any], config: AlertsConfig, now: float) -> Plan:
    """What each configured channel must be sent now, from the ``alerts`` state section."""
    plan = Plan()
    for key in sorted(alerts.get("groups") or {}):
        group = alerts["groups"][key]
        records = _group_findings(group)
        firing_all = {fp for fp, (_, rec) in records.items() if rec["firing"]}
        muted = {fp for fp in firing_all if silence_for(records[fp][0], config.silences, now) is not None}
        plan.silenced += len(muted)
        for channel in config.channels:
            relevant = {fp for fp in firing_all if reaches(records[fp][0], channel)}
            firing = relevant - muted
            if not firing and relevant & muted:
                continue
            entry = (group.get("notified") or {}).get(channel.name)
            notices = frozenset(fp for fp in firing if records[fp][0].notice)
            fixed = frozenset(fp for fp, (_, rec) in records.items() if rec.get(FIXED_BY_ACRGUARD))
            verdict = needs_update(firing, entry, now=now, first_seen=float(group.get("first_seen") or now),
                                   config=config, notices=notices, fixed=fixed)
            if verdict is None:
                continue
            if isinstance(verdict, Hold):
                plan.held.append((key, channel.name, verdict))
                continue
            entry = entry or {}
            known = set(entry.get("firing") or []) | set((entry.get("pending") or {}).get("firing") or [])
            due = Due(group_key=key, channel=channel.name, reason=verdict, firing=tuple(sorted(firing)),
                      message=_message(key, group, channel, verdict, firing, known, records))
            notices_only = all(finding.notice for finding, _ in records.values())
            if verdict is Reason.RESOLVED and (notices_only or not config.send_resolved):
                plan.quiet.append(due)
            else:
                plan.due.setdefault(channel.name, []).append(due)
    return plan
