"""What the alert state holds, for people: the open groups, their findings in full, what each channel heard.

A chat message has to leave things out (a robot's size limit, ``max_findings_per_message``, a
digest that only counts): the state keeps every finding whole, and ``alert list`` / ``alert show``
print it from there (read-only). A group is named by the 12-character id the messages show
(``group 98c2dd6f20b4``, the start of the sha256 of its key), by a longer prefix of that hash, or by
its key (``routes.changed|cri-…``).

Finding text comes from the cloud (ACL comments, policy and user names): printed to a terminal, it
loses every control character but line breaks, so it cannot move the cursor or recolour the screen,
and AccessKey ids and token parameters are masked (``acrguard.redact.redact_text``).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from acrguard.alerts.message import sort_findings
from acrguard.alerts.records import finding_from_record
from acrguard.findings import Finding, Severity
from acrguard.redact import mask_access_key_id, redact_text

#: The shortest group id prefix ``find_group`` accepts.
MIN_PREFIX = 4


def group_hash(key: str, length: int = 12) -> str:
    """The id messages show for a group: the start of the sha256 of its key (``GroupMessage.group_hash``)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:length]


@dataclass(frozen=True)
class ChannelView:
    """What one channel was told about a group, and what it still has to hear."""

    name: str
    sent_at: float | None
    sent: int  # findings the last delivered message named as firing
    pending: int  # findings waiting for a message (failed or deferred)
    pending_error: str = ""


@dataclass(frozen=True)
class FindingView:
    """A finding as the state keeps it, with when it started firing (or resolved)."""

    finding: Finding
    firing: bool
    since: float
    resolved_at: float | None = None


@dataclass(frozen=True)
class GroupView:
    """One alert group: its findings (firing first) and the notification log per channel."""

    key: str
    rule: str
    scope: str
    job: str
    first_seen: float
    findings: tuple[FindingView, ...]
    channels: tuple[ChannelView, ...]

    @property
    def id(self) -> str:
        """The 12-character id the messages show."""
        return group_hash(self.key)

    @property
    def firing(self) -> tuple[FindingView, ...]:
        """The findings that fire now."""
        return tuple(v for v in self.findings if v.firing)

    @property
    def severity(self) -> Severity:
        """The worst severity of the firing findings (INFO when none fires)."""
        return Severity.worst([v.finding.severity for v in self.firing])

    @property
    def open(self) -> bool:
        """Something fires, or some channel still has to hear about the group."""
        return bool(self.firing) or any(c.pending for c in self.channels)


def group_views(alerts: dict[str, Any]) -> list[GroupView]:
    """Every group of the ``alerts`` state section, the most severe firing first."""
    views = [_view(key, group) for key, group in (alerts.get("groups") or {}).items()]
    return sorted(views, key=lambda v: (not v.firing, v.severity.rank, v.rule, v.scope))


def find_group(alerts: dict[str, Any], ref: str) -> GroupView:
    """The group named by ``ref`` (its id, a prefix of its hash, or its key); ``LookupError`` saying why not."""
    groups = alerts.get("groups") or {}
    if ref in groups:
        return _view(ref, groups[ref])
    wanted = ref.strip().lower()
    if len(wanted) < MIN_PREFIX:
        raise LookupError(f"group {ref!r}: give at least {MIN_PREFIX} characters of the id the message shows")
    matches = [key for key in groups if hashlib.sha256(key.encode("utf-8")).hexdigest().startswith(wanted)]
    if not matches:
        raise LookupError(f"no alert group {ref!r} in the state (it may have resolved and been tidied away); "
                          "'alert list --all' shows every group the state holds")
    if len(matches) > 1:
        raise LookupError(f"group {ref!r} is ambiguous: {', '.join(group_hash(k, 16) for k in sorted(matches))}")
    return _view(matches[0], groups[matches[0]])


def _view(key: str, group: dict[str, Any]) -> GroupView:
    records = group.get("findings") or {}
    by_fingerprint = {fp: finding_from_record(rec["finding"]) for fp, rec in records.items()}
    order = {f.fingerprint: i for i, f in enumerate(sort_findings(list(by_fingerprint.values())))}
    views = [FindingView(by_fingerprint[fp], bool(rec.get("firing")), float(rec.get("since") or 0.0),
                         float(rec["resolved_at"]) if rec.get("resolved_at") is not None else None)
             for fp, rec in records.items()]
    views.sort(key=lambda v: (not v.firing, order.get(v.finding.fingerprint, 0)))
    channels = []
    for name, entry in sorted((group.get("notified") or {}).items()):
        pending = entry.get("pending") or {}
        channels.append(ChannelView(name, float(entry["at"]) if entry.get("at") is not None else None,
                                    len(entry.get("firing") or []), len(pending.get("firing") or []),
                                    str(pending.get("error") or "")))
    return GroupView(key, str(group.get("rule", "")), str(group.get("scope", "")), str(group.get("job", "")),
                     float(group.get("first_seen") or 0.0), tuple(views), tuple(channels))


# -- text --------------------------------------------------------------------------------------
def plain(text: str | None) -> str:
    """Cloud-side text made safe for a terminal: secrets masked, control characters but line breaks removed."""
    scrubbed = redact_text(str(text or ""))
    return "".join(c for c in scrubbed if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf"))


def _line(text: str | None) -> str:
    return " ".join(plain(text).split())


def _when(epoch: float | None) -> str:
    if not epoch:
        return "never"
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _channels(view: GroupView) -> str:
    parts = []
    for channel in view.channels:
        told = f"{channel.name}: told {_when(channel.sent_at)}" if channel.sent_at else f"{channel.name}: not told yet"
        if channel.pending:
            told += f", {channel.pending} pending ({_line(channel.pending_error)[:160]})"
        parts.append(told)
    return "; ".join(parts) or "no channel told yet"


def format_list(views: list[GroupView], show_command: str) -> str:
    """One paragraph per group: id, severity, rule, scope, counts, each finding's title, the channels."""
    if not views:
        return "No open alert groups in the state."
    lines: list[str] = []
    for view in views:
        firing = view.firing
        state = f"{len(firing)} firing" if firing else "nothing firing"
        lines.append(f"{view.id}  {view.severity.value.upper() if firing else 'RESOLVED':8}  {_line(view.rule)}  "
                     f"{_line(view.scope)}  {state} (job {view.job or '-'}, first seen {_when(view.first_seen)})")
        for item in view.findings:
            mark = item.finding.severity.value.upper() if item.firing else "resolved"
            lines.append(f"    [{mark}] {_line(item.finding.title)} — {_line(item.finding.resource)}")
        lines.append(f"    channels: {_channels(view)}")
    total = sum(len(v.firing) for v in views)
    lines.append("")
    lines.append(f"{len(views)} group{'s' if len(views) != 1 else ''}, {total} firing finding"
                 f"{'s' if total != 1 else ''}. A group's findings in full: {show_command.format(group='GROUP')}")
    return "\n".join(lines)


def format_group(view: GroupView) -> str:
    """The group and every finding in full: title, severity, resource, who, every line of details and fix."""
    lines = [f"group {view.id}: {_line(view.rule)} in {_line(view.scope)} (job {view.job or '-'})",
             f"key: {_line(view.key)}", f"first seen: {_when(view.first_seen)}", f"channels: {_channels(view)}"]
    for item in view.findings:
        finding = item.finding
        status = f"firing since {_when(item.since)}" if item.firing else f"resolved at {_when(item.resolved_at)}"
        lines += ["", f"[{finding.severity.value.upper()}] {_line(finding.title)}",
                  f"  rule: {_line(finding.rule)} · {status}" + (" · notice" if finding.notice else ""),
                  f"  resource: {_line(finding.resource)}", f"  fingerprint: {finding.fingerprint}"]
        if finding.actor is not None:
            actor = finding.actor
            who = " ".join(p for p in (_line(actor.identity), f"from {_line(actor.source_ip)}" if actor.source_ip
                                       else "", f"with AccessKey {mask_access_key_id(actor.access_key_id)}"
                                       if actor.access_key_id else "") if p)
            lines.append(f"  who: {who}" + (f", {_line(actor.event_name)}" if actor.event_name else "")
                         + (f" at {_line(actor.event_time)}" if actor.event_time else ""))
        for label, text in (("details", finding.details), ("fix", finding.fix)):
            body = [line.rstrip() for line in plain(text).splitlines() if line.strip()]
            if body:
                lines.append(f"  {label}:")
                lines.extend(f"    {line}" for line in body)
    return "\n".join(lines)


def to_dict(view: GroupView) -> dict[str, Any]:
    """A JSON-ready form of a group (finding text scrubbed as for the terminal)."""
    return {
        "id": view.id, "key": plain(view.key), "rule": view.rule, "scope": plain(view.scope), "job": view.job,
        "first_seen": _when(view.first_seen), "severity": view.severity.value if view.firing else None,
        "findings": [{
            "fingerprint": v.finding.fingerprint, "firing": v.firing, "since": _when(v.since),
            "resolved_at": _when(v.resolved_at) if v.resolved_at else None, "notice": v.finding.notice,
            "rule": v.finding.rule, "severity": v.finding.severity.value, "resource": plain(v.finding.resource),
            "title": plain(v.finding.title), "details": plain(v.finding.details), "fix": plain(v.finding.fix),
            "actor": None if v.finding.actor is None else {
                "identity": plain(v.finding.actor.identity), "source_ip": v.finding.actor.source_ip,
                "access_key_id": mask_access_key_id(v.finding.actor.access_key_id)
                if v.finding.actor.access_key_id else None,
                "event_name": v.finding.actor.event_name, "event_time": v.finding.actor.event_time}}
            for v in view.findings],
        "channels": [{"name": c.name, "told_at": _when(c.sent_at) if c.sent_at else None, "told": c.sent,
                      "pending": c.pending, "pending_error": plain(c.pending_error)} for c in view.channels],
    }
