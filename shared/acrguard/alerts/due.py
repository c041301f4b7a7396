"""When an alert group next needs the planner: the time ``decide`` may first have something to say about it.

``decide.plan_notifications`` is a pure function of a group, the config and the time, and its
answer for a group changes only at a few moments the group itself names: ``first_seen +
group_wait_s``, each channel's ``at + group_interval_s`` and ``at + repeat_interval_s``, the
``not_before`` of a delivery deferred by a channel that cannot take messages yet (a robot blocked
by its platform, a rejected configuration, a full rate-limit window), and the start and end of any
silence that matches one of its findings. ``next_due`` is the earliest such moment after now, or
now itself when something is due already (None: nothing will ever be due until the group or the
config changes). The due index (``acrguard.alerts.dueindex``) files each group under that moment,
so a run plans only the groups that are due instead of every group of the account.

Being early is harmless (the planner finds nothing to do and files the group again); being late
would delay a message, so every candidate moment counts, even one that turns out to change nothing.
"""

from __future__ import annotations

from typing import Any

from acrguard.alerts.decide import plan_notifications
from acrguard.alerts.records import finding_from_record
from acrguard.alerts.silences import finding_labels, matcher_matches
from acrguard.alerts.state import config_hash
from acrguard.config.alerts import AlertsConfig, ChannelConfig


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def not_before(entry: Any, channel: ChannelConfig | None) -> float | None:
    """When a channel that deferred a delivery of this group may be tried again (None: at once).

    A deferral holds only while the channel's configuration is the one that was deferred (a fixed
    secret or a new URL is tried at once), and not for a channel that is no longer configured.
    """
    pending = entry.get("pending") if isinstance(entry, dict) else None
    if not isinstance(pending, dict) or channel is None:
        return None
    if pending.get("not_before_config") != config_hash(channel):
        return None
    return _float(pending.get("not_before"))


def _silence_moments(group: dict[str, Any], config: AlertsConfig) -> list[float]:
    """The starts and ends of the silences that match some finding of ``group`` (active or not)."""
    if not config.silences:
        return []
    labels = []
    for record in (group.get("findings") or {}).values():
        try:
            labels.append(finding_labels(finding_from_record(record["finding"])))
        except (KeyError, TypeError, ValueError):
            continue
    moments = []
    for silence in config.silences:
        if any(all(matcher_matches(p, found.get(k)) for k, p in silence.matchers.items()) for found in labels):
            moments.append(silence.expires_at.timestamp())
            if silence.starts_at is not None:
                moments.append(silence.starts_at.timestamp())
    return moments


def next_due(group_key: str, group: dict[str, Any], config: AlertsConfig, now: float) -> float | None:
    """The first moment at or after ``now`` when the planner may have something to do for ``group``."""
    if not isinstance(group, dict) or not group.get("findings") or not config.channels:
        return None  # no channel: nothing can be due (a channel added later changes the config, which files anew)
    notified = group.get("notified") or {}
    channels = {c.name: c for c in config.channels}
    plan = plan_notifications({"groups": {group_key: group}}, config, now)
    candidates: list[float] = []
    for due in [*plan.quiet, *(d for dues in plan.due.values() for d in dues)]:
        later = not_before(notified.get(due.channel), channels.get(due.channel))
        if later is not None and later > now:
            candidates.append(later)  # the channel cannot take it yet: due when it can
        else:
            return now
    first_seen = _float(group.get("first_seen"))
    if first_seen is not None:
        candidates.append(first_seen + config.group_wait_s)
    for name, entry in notified.items():
        at = _float(entry.get("at")) if isinstance(entry, dict) else None
        if at is not None:
            candidates += [at + config.group_interval_s, at + config.repeat_interval_s]
        later = not_before(entry, channels.get(name))
        if later is not None:
            candidates.append(later)
    candidates += _silence_moments(group, config)
    future = [moment for moment in candidates if moment > now]
    return min(future) if future else None
