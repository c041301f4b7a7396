"""Findings as JSON records in the state store, and back.

The notification log keeps the findings it last told each channel about, so a "resolved"
message can name them after the job stopped reporting them. ``evidence`` is not kept: no
message shows it (it may hold raw API responses) and the state stays small. Empty fields are
left out.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from acrguard.findings import Actor, Finding, Severity


def finding_to_record(finding: Finding) -> dict[str, Any]:
    """A JSON-ready dict of ``finding`` (without evidence; empty fields omitted)."""
    record: dict[str, Any] = {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "resource": finding.resource,
        "title": finding.title,
        "details": finding.details,
        "fix": finding.fix,
        "scope": finding.scope,
        "labels": {str(k): str(v) for k, v in finding.labels.items()},
        "actor": {k: v for k, v in asdict(finding.actor).items() if v is not None} if finding.actor else None,
        "job": finding.job,
        "notice": finding.notice,
    }
    return {k: v for k, v in record.items() if v or k in ("rule", "severity", "resource", "title")}


def finding_from_record(record: dict[str, Any]) -> Finding:
    """The ``Finding`` a record was made from (``ValueError`` naming the field when malformed)."""
    try:
        actor = record.get("actor")
        return Finding(
            rule=record["rule"], severity=Severity(record["severity"]), resource=record["resource"],
            title=record["title"], details=record.get("details", ""), fix=record.get("fix", ""),
            scope=record.get("scope", ""), labels=dict(record.get("labels") or {}),
            actor=Actor(**actor) if actor else None,
            job=record.get("job", ""), notice=bool(record.get("notice", False)))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed finding record in the alert state: {exc}") from None
