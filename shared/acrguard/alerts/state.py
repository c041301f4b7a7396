"""The alert state: groups, the notification log, and send logs, one record each.

The records (``acrguard.state.keys``; all times are epoch seconds)::

    alerts/groups/<scope>/<rule>          one alert group ("<rule>|<scope>"):
        rule, scope, job, first_seen
        findings:                         # what the jobs last observed, by fingerprint
          "<fingerprint>": {finding: {...}, job, scope, firing: bool, since, resolved_at}
        notified:                         # Alertmanager's nflog, one entry per channel
          "<channel name>": {firing: [fingerprints last sent], at: <when>,
                             pending: {firing: [...], since, attempts, reason, error, not_before}}
    alerts/robots/<url hash>              {sent: [times of accepted messages], blocked_until}
                                          # per webhook URL: shared by channels on one robot
    alerts/channels/<channel name>        {rejected: {config: <config hash>, at, error}}
    alerts/delivering                     {token, until}: the run delivering now (one at a time)

``pending`` holds what a channel should have been told but was not (failed or deferred); it stays
until a message reaches the channel, so nothing is lost between runs; ``not_before`` says when a
channel that could not take messages (a blocked robot, a rejected configuration, a full rate
window) is tried again. Resolved findings are kept while some channel's log still refers to them
(to name them in the "resolved" message). The groups that need the planner are filed in the due
index (``acrguard.alerts.dueindex``).

The functions below take an ``alerts`` dict (``section(doc)``: ``{"groups", "robots", "channels"}``)
and change it in place; ``AlertRecords`` applies them to one record at a time (the dict then holds
just that record), so an event reads and writes only the groups it touches.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from acrguard.alerts.records import finding_to_record
from acrguard.config.alerts import ChannelConfig
from acrguard.errors import StateError
from acrguard.findings import Finding
from acrguard.state import keys
from acrguard.state.base import StateStore

ALL_SCOPES = "*"  # the same marker as acrguard.jobs.base.ALL_SCOPES

T = TypeVar("T")

SECTION = "alerts"
#: Send times older than this are dropped from the robot logs (longer than every rate window).
SEND_LOG_HORIZON_S = 120.0


def section(doc: dict[str, Any]) -> dict[str, Any]:
    """The ``alerts`` section of a state document, created with its three maps when absent."""
    alerts = doc.setdefault(SECTION, {})
    for key in ("groups", "robots", "channels"):
        alerts.setdefault(key, {})
    return alerts


def take_delivery(alerts: dict[str, Any], token: str, now: float, lease_s: float) -> bool:
    """Claim the right to deliver for ``lease_s``; False while another run's unexpired claim stands."""
    held = alerts.get("delivering")
    if isinstance(held, dict) and held.get("token") != token and float(held.get("until") or 0.0) > now:
        return False
    alerts["delivering"] = {"token": token, "until": now + lease_s}
    return True


def release_delivery(alerts: dict[str, Any], token: str) -> None:
    """Give the right to deliver back (only our own claim)."""
    held = alerts.get("delivering")
    if isinstance(held, dict) and held.get("token") == token:
        del alerts["delivering"]


def robot_id(channel: ChannelConfig) -> str:
    """A stable id of the robot behind a channel (hash of its URL; the URL itself is a secret)."""
    return hashlib.sha256(channel.url.encode("utf-8")).hexdigest()[:16]


def config_hash(channel: ChannelConfig) -> str:
    """A hash of what decides whether a channel accepts messages (URL, secret, keywords, type)."""
    data = json.dumps([channel.type, channel.url, channel.secret, list(channel.keywords)])
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ObservationSummary:
    """What one job's observation changed: fingerprints that started firing and that resolved."""

    new: tuple[str, ...]
    resolved: tuple[str, ...]
    still_firing: int


def observe(alerts: dict[str, Any], job: str, findings: Iterable[Finding], scopes: set[str],
            now: float, *, resolve: bool = True) -> ObservationSummary:
    """Record the complete set of ``job``'s findings in ``scopes``: absent ones resolve, others fire.

    Findings of other jobs, and of scopes this job did not observe, are left as they were;
    ``ALL_SCOPES`` ("*") in ``scopes`` means the job observed every scope it has (a full sweep).
    ``resolve`` False: ``findings`` are only a part of what the job found; they fire, nothing resolves.
    """
    groups: dict[str, Any] = alerts["groups"]
    current = {f.fingerprint: f for f in findings}
    resolved: list[str] = []
    for group in groups.values() if resolve else ():
        for fp, record in group["findings"].items():
            observed = ALL_SCOPES in scopes or record["scope"] in scopes
            if record["job"] == job and observed and record["firing"] and fp not in current:
                record["firing"] = False
                record["resolved_at"] = now
                resolved.append(fp)
    new: list[str] = []
    still = 0
    for fp, finding in current.items():
        group = groups.get(finding.group_key)
        if group is None:
            group = groups[finding.group_key] = {"rule": finding.rule, "scope": finding.scope or finding.resource,
                                                 "job": job, "first_seen": now, "findings": {}, "notified": {}}
        elif not any(r["firing"] for r in group["findings"].values()):
            group["first_seen"] = now
        previous = group["findings"].get(fp)
        firing_before = previous is not None and previous["firing"]
        if firing_before:
            still += 1
        else:
            new.append(fp)
        # no "last seen" time: a finding seen again unchanged leaves its group unchanged (nothing to write)
        group["findings"][fp] = {
            "finding": finding_to_record(finding), "job": job, "scope": finding.scope, "firing": True,
            "since": previous["since"] if firing_before else now, "resolved_at": None,
        }
    return ObservationSummary(tuple(new), tuple(resolved), still)


def record_sent(alerts: dict[str, Any], group_key: str, channel: str, firing: Iterable[str], now: float) -> None:
    """A message about ``group_key`` reached ``channel``: it now knows exactly ``firing``."""
    group = alerts["groups"].get(group_key)
    if group is not None:
        group["notified"][channel] = {"firing": sorted(firing), "at": now}


def record_pending(alerts: dict[str, Any], group_key: str, channel: str, firing: Iterable[str], *,
                   reason: str, error: str, attempted: bool, now: float, not_before: float | None = None,
                   channel_config: str | None = None) -> None:
    """A message about ``group_key`` did not reach ``channel``; remember what it still has to learn.

    ``not_before``: the channel cannot take messages before then (None: try again on the next run), as
    long as its configuration is still ``channel_config`` (``config_hash``; a changed one is tried at once).
    """
    group = alerts["groups"].get(group_key)
    if group is None:
        return
    entry = group["notified"].setdefault(channel, {"firing": [], "at": None})
    pending = entry.get("pending") or {"firing": [], "since": now, "attempts": 0}
    pending["firing"] = sorted(set(pending["firing"]) | set(firing))
    pending["attempts"] = int(pending.get("attempts", 0)) + (1 if attempted else 0)
    pending["reason"] = reason
    pending["error"] = error
    if not_before is not None and not_before > now:
        pending["not_before"] = not_before
        pending["not_before_config"] = channel_config
    else:
        pending.pop("not_before", None)
        pending.pop("not_before_config", None)
    entry["pending"] = pending


def record_robot_send(alerts: dict[str, Any], robot: str, now: float) -> None:
    """One more message accepted by ``robot`` at ``now`` (for the rate limit across invocations)."""
    log = alerts["robots"].setdefault(robot, {"sent": [], "blocked_until": 0.0})
    log["sent"] = [t for t in log["sent"] if t > now - SEND_LOG_HORIZON_S] + [now]


def block_robot(alerts: dict[str, Any], robot: str, until: float) -> None:
    """The platform said "too fast": send nothing to ``robot`` before ``until``."""
    log = alerts["robots"].setdefault(robot, {"sent": [], "blocked_until": 0.0})
    log["blocked_until"] = max(float(log.get("blocked_until") or 0.0), until)


def robot_log(alerts: dict[str, Any], robot: str) -> tuple[list[float], float]:
    """The accepted-send times and the blocked-until time of ``robot``."""
    log = alerts["robots"].get(robot) or {}
    return list(log.get("sent") or []), float(log.get("blocked_until") or 0.0)


def mark_rejected(alerts: dict[str, Any], channel: ChannelConfig, error: str, now: float) -> None:
    """The channel refused a message in a way a retry will not fix (signature, keyword, token)."""
    alerts["channels"].setdefault(channel.name, {})["rejected"] = {"config": config_hash(channel), "at": now,
                                                                  "error": error}


def clear_rejected(alerts: dict[str, Any], channel: str) -> None:
    """The channel accepted a message again."""
    alerts["channels"].get(channel, {}).pop("rejected", None)


def rejected(alerts: dict[str, Any], channel: ChannelConfig) -> dict[str, Any] | None:
    """The recorded rejection of ``channel`` while its configuration is unchanged, else None."""
    record = (alerts["channels"].get(channel.name) or {}).get("rejected")
    if record and record.get("config") == config_hash(channel):
        return dict(record)
    return None


def collect_garbage(alerts: dict[str, Any], channels: Iterable[str], now: float) -> None:
    """Drop what no longer matters: logs of removed channels, settled entries, forgotten findings."""
    known = set(channels)
    for key in list(alerts["groups"]):
        group = alerts["groups"][key]
        notified = group["notified"]
        for name in list(notified):
            entry = notified[name]
            if name not in known or (not entry.get("firing") and not entry.get("pending")):
                del notified[name]
        referenced: set[str] = set()
        for entry in notified.values():
            referenced.update(entry.get("firing") or [])
            referenced.update((entry.get("pending") or {}).get("firing") or [])
        for fp in list(group["findings"]):
            if not group["findings"][fp]["firing"] and fp not in referenced:
                del group["findings"][fp]
        if not group["findings"] and not notified:
            del alerts["groups"][key]
    for robot in list(alerts["robots"]):
        log = alerts["robots"][robot]
        log["sent"] = [t for t in log.get("sent") or [] if t > now - SEND_LOG_HORIZON_S]
        if not log["sent"] and float(log.get("blocked_until") or 0.0) <= now:
            del alerts["robots"][robot]
    for name in list(alerts["channels"]):
        if name not in known or not alerts["channels"][name]:
            del alerts["channels"][name]


def robot_wait(limit_per_minute: int | None, sent: list[float], now: float, window_s: float) -> float | None:
    """When a robot whose per-minute budget is spent takes a message again (None: it has room or no limit)."""
    if limit_per_minute is None:
        return None
    recent = sorted(t for t in sent if t > now - window_s)
    if len(recent) < limit_per_minute:
        return None
    return recent[len(recent) - limit_per_minute] + window_s


class AlertRecords:
    """The alert records of one store, each read and written on its own (see the module docstring).

    ``channels`` are the configured channel names: every change of a group also tidies it
    (``collect_garbage``: logs of removed channels, settled entries, findings no log refers to).
    """

    def __init__(self, store: StateStore, channels: Iterable[str]) -> None:
        self.store = store
        self.channels = tuple(channels)

    # -- reading -------------------------------------------------------------------------------------
    def groups(self, group_keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The groups among ``group_keys`` that exist (malformed ones reported)."""
        wanted = {keys.group(k): k for k in group_keys}
        found = {}
        for record_key, record in self.store.get_many(wanted).items():
            found[wanted[record_key]] = _group(record.value, record_key)
        return found

    def group_keys(self, scopes: Iterable[str]) -> list[str]:
        """The keys of every group filed under one of ``scopes`` (``ALL_SCOPES`` or ``""``: every group)."""
        chosen = set(scopes)
        if ALL_SCOPES in chosen or "" in chosen:
            record_keys = self.store.list(keys.GROUPS)
        else:
            record_keys = [k for scope in sorted(chosen) for k in self.store.list(keys.groups_of_scope(scope))]
        return sorted({keys.group_key_of(k) for k in record_keys})

    def robot(self, robot: str) -> dict[str, Any]:
        """The ``alerts`` view of one robot's send log."""
        return {"groups": {}, "robots": _map_of(robot, self.store.value(keys.robot(robot))), "channels": {}}

    def channel(self, name: str) -> dict[str, Any]:
        """The ``alerts`` view of one channel's rejection record."""
        return {"groups": {}, "robots": {}, "channels": _map_of(name, self.store.value(keys.channel(name)))}

    # -- writing -------------------------------------------------------------------------------------
    def change_group(self, group_key: str, apply: Callable[[dict[str, Any]], T], now: float
                     ) -> tuple[T, dict[str, Any] | None]:
        """Apply ``apply`` to the ``alerts`` view of one group and write it; what it returned, and the group after."""
        after: list[dict[str, Any] | None] = []

        def change(value: dict[str, Any]) -> T:
            existing = _group(value, keys.group(group_key)) if value else None
            alerts = {"groups": {group_key: existing} if existing else {}, "robots": {}, "channels": {}}
            result = apply(alerts)
            collect_garbage(alerts, self.channels, now)
            _replace(value, alerts["groups"].get(group_key))
            after[:] = [copy.deepcopy(value) if value else None]
            return result

        result = self.store.update(keys.group(group_key), change)
        return result, after[0] if after else None

    def change_robot(self, robot: str, apply: Callable[[dict[str, Any]], T], now: float) -> T:
        """Apply ``apply`` to the ``alerts`` view of one robot's send log and write it."""

        def change(value: dict[str, Any]) -> T:
            alerts = {"groups": {}, "robots": _map_of(robot, value), "channels": {}}
            result = apply(alerts)
            collect_garbage(alerts, self.channels, now)
            _replace(value, alerts["robots"].get(robot))
            return result

        return self.store.update(keys.robot(robot), change)

    def change_channel(self, name: str, apply: Callable[[dict[str, Any]], T], now: float) -> T:
        """Apply ``apply`` to the ``alerts`` view of one channel's record and write it."""

        def change(value: dict[str, Any]) -> T:
            alerts = {"groups": {}, "robots": {}, "channels": _map_of(name, value)}
            result = apply(alerts)
            collect_garbage(alerts, self.channels, now)
            _replace(value, alerts["channels"].get(name))
            return result

        return self.store.update(keys.channel(name), change)

    def take_delivery(self, token: str, now: float, lease_s: float) -> bool:
        """Claim the right to deliver (``take_delivery`` on the lease record)."""

        def change(value: dict[str, Any]) -> bool:
            alerts = {"delivering": dict(value)} if value else {}
            taken = take_delivery(alerts, token, now, lease_s)
            _replace(value, alerts.get("delivering"))
            return taken

        return self.store.update(keys.DELIVERING, change)

    def release_delivery(self, token: str) -> None:
        """Give the right to deliver back (only our own claim)."""

        def change(value: dict[str, Any]) -> None:
            alerts = {"delivering": dict(value)} if value else {}
            release_delivery(alerts, token)
            _replace(value, alerts.get("delivering"))

        self.store.update(keys.DELIVERING, change)


def _group(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("findings"), dict) \
            or not isinstance(value.get("notified"), dict):
        raise StateError(f"state record {where} is not an alert group (expected findings and notified); it was "
                         "left untouched")
    return value


def _map_of(name: str, value: Any) -> dict[str, Any]:
    return {name: value} if isinstance(value, dict) and value else {}


def _replace(value: dict[str, Any], new: dict[str, Any] | None) -> None:
    """Make the record's value ``new`` (None: empty, which deletes the record)."""
    if new is value:
        return
    fresh = copy.deepcopy(new) if new else {}
    value.clear()
    value.update(fresh)


def read_section(store: StateStore) -> dict[str, Any]:
    """The whole ``alerts`` view of a store: every group, robot and channel (for ``alert list`` and tests)."""
    alerts: dict[str, Any] = {"groups": {}, "robots": {}, "channels": {}}
    for record_key, value in store.values(keys.GROUPS).items():
        alerts["groups"][keys.group_key_of(record_key)] = value
    for part in ("robots", "channels"):
        prefix = f"{keys.ALERTS}/{part}/"
        for record_key, value in store.values(prefix).items():
            alerts[part][keys.unname(record_key[len(prefix):])] = value
    delivering = store.value(keys.DELIVERING)
    if delivering:
        alerts["delivering"] = delivering
    return alerts
