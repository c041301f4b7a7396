"""The ``alerts`` section of the state document: groups, the notification log, and send logs.

Layout (all times are epoch seconds)::

    alerts:
      groups:
        "<rule>|<scope>":
          rule, scope, job, first_seen
          findings:                       # what the jobs last observed, by fingerprint
            "<fingerprint>": {finding: {...}, job, scope, firing: bool, since, last_seen, resolved_at}
          notified:                       # Alertmanager's nflog, one entry per (group, channel)
            "<channel name>": {firing: [fingerprints last sent], at: <when>,
                               pending: {firing: [...], since, attempts, reason, error}}
      robots:                             # per webhook URL (hash): shared by channels on one robot
        "<url hash>": {sent: [times of accepted messages], blocked_until}
      channels:
        "<channel name>": {rejected: {config: <config hash>, at, error}}
      delivering: {token, until}          # the run delivering now (one at a time), while it does

``pending`` holds what a channel should have been told but was not (failed or deferred); it stays
until a message reaches the channel, so nothing is lost between runs. Resolved findings are kept
while some channel's log still refers to them (to name them in the "resolved" message).

Every function here takes the ``alerts`` dict (from ``section(doc)``) and changes it in place;
``StateSession`` applies such changes to the store, one write per change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from acrguard.alerts.records import finding_to_record
from acrguard.config.alerts import ChannelConfig
from acrguard.errors import StateConflict
from acrguard.findings import Finding
from acrguard.state.base import SCHEMA_VERSION, Snapshot, StateStore

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


class StateSession:
    """One run's view of the state: read once, then each change written at once with a version check.

    ``StateStore.update`` re-reads and deep-copies the whole document for every change; a run that
    records each accepted message separately (so it is never sent twice) would pay that per message.
    The session keeps the snapshot it last wrote and saves the next change against its version;
    when another writer got in between (``StateConflict``), it re-reads and re-applies the change.
    """

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self._snapshot: Snapshot | None = None

    @property
    def alerts(self) -> dict[str, Any]:
        """The current ``alerts`` section (read it, do not change it: use ``change``)."""
        if self._snapshot is None:
            self._snapshot = self.store.load()
        return section(self._snapshot.data)

    def refresh(self) -> None:
        """Forget the snapshot: the next read or change starts from the stored document."""
        self._snapshot = None

    def change(self, apply: Callable[[dict[str, Any]], T]) -> T:
        """Apply ``apply`` to the ``alerts`` section and save the document; returns what ``apply`` returns."""
        for _attempt in range(self.store.max_conflict_retries + 1):
            snapshot = self._snapshot if self._snapshot is not None else self.store.load()
            self._snapshot = None  # a failed or half-applied change must not be reused
            result = apply(section(snapshot.data))
            snapshot.data.setdefault("schema", SCHEMA_VERSION)
            try:
                self._snapshot = self.store.save(snapshot)
            except StateConflict:
                continue
            return result
        raise StateConflict(f"the alert state changed underneath us {self.store.max_conflict_retries + 1} times "
                            "in a row; is another writer running without reserved concurrency 1?")


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
        group["findings"][fp] = {
            "finding": finding_to_record(finding), "job": job, "scope": finding.scope, "firing": True,
            "since": previous["since"] if firing_before else now, "last_seen": now, "resolved_at": None,
        }
    return ObservationSummary(tuple(new), tuple(resolved), still)


def record_sent(alerts: dict[str, Any], group_key: str, channel: str, firing: Iterable[str], now: float) -> None:
    """A message about ``group_key`` reached ``channel``: it now knows exactly ``firing``."""
    group = alerts["groups"].get(group_key)
    if group is not None:
        group["notified"][channel] = {"firing": sorted(firing), "at": now}


def record_pending(alerts: dict[str, Any], group_key: str, channel: str, firing: Iterable[str], *,
                   reason: str, error: str, attempted: bool, now: float) -> None:
    """A message about ``group_key`` did not reach ``channel``; remember what it still has to learn."""
    group = alerts["groups"].get(group_key)
    if group is None:
        return
    entry = group["notified"].setdefault(channel, {"firing": [], "at": None})
    pending = entry.get("pending") or {"firing": [], "since": now, "attempts": 0}
    pending["firing"] = sorted(set(pending["firing"]) | set(firing))
    pending["attempts"] = int(pending.get("attempts", 0)) + (1 if attempted else 0)
    pending["reason"] = reason
    pending["error"] = error
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
