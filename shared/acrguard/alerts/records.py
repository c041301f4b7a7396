"""Findings as JSON records in the state store, and back.

The notification log keeps the findings it last told each channel about, so a "resolved"
message can name them after the job stopped reporting them. ``evidence`` is kept only when it
is JSON data (anything else is stored as its ``str``).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from acrguard.findings import Actor, Finding, Severity


def _json_safe(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return str(value)


def finding_to_record(finding: Finding) -> dict[str, Any]:
    """A JSON-ready dict holding every field of ``finding``."""
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "resource": finding.resource,
        "title": finding.title,
        "details": finding.details,
        "fix": finding.fix,
        "scope": finding.scope,
        "labels": {str(k): str(v) for k, v in finding.labels.items()},
        "evidence": _json_safe(dict(finding.evidence)),
        "actor": asdict(finding.actor) if finding.actor is not None else None,
        "job": finding.job,
    }


def finding_from_record(record: dict[str, Any]) -> Finding:
    """The ``Finding`` a record was made from (``ValueError`` naming the field when malformed)."""
    try:
        actor = record.get("actor")
        return Finding(
            rule=record["rule"], severity=Severity(record["severity"]), resource=record["resource"],
            title=record["title"], details=record.get("details", ""), fix=record.get("fix", ""),
            scope=record.get("scope", ""), labels=dict(record.get("labels") or {}),
            evidence=dict(record.get("evidence") or {}), actor=Actor(**actor) if actor else None,
            job=record.get("job", ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed finding record in the alert state: {exc}") from None
