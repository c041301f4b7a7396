"""Readable text and JSON reports of a pull-key verdict (used by ``policy check``)."""

from __future__ import annotations

from typing import Any

from acrguard.findings import Finding
from acrguard.policy.findings import finding_to_dict
from acrguard.policy.risk import READ_VERBS, REFERENCE_ACTIONS, listing
from acrguard.policy.verdict import READ_ONLY, PullKeyVerdict, deny_text


def render_text(verdict: PullKeyVerdict, findings: list[Finding]) -> str:
    """The verdict, severity, every finding with its statement and matches, the Denies and the fix."""
    evaluation = verdict.evaluation
    lines = [f"{verdict.verdict.value}  severity: {verdict.severity.value}"]
    who = f"RAM user {verdict.user_name}" if verdict.user_name else "one identity"
    target = f"instance {verdict.instance_id}" if verdict.instance_id else "any Enterprise Edition instance"
    count = len(evaluation.policies)
    scope = "," if verdict.reference == READ_ONLY else f", for {target},"
    lines.append(f"{count} polic{'y' if count == 1 else 'ies'} evaluated together as attached to {who}{scope}")
    if verdict.reference == READ_ONLY:
        lines.append("against the read-only reference: every action it allows only reads "
                     f"(its name starts with {', '.join(READ_VERBS[:4])}, …)")
    else:
        lines.append(f"against the pull-only reference: {', '.join(REFERENCE_ACTIONS)}")
    for ref in evaluation.policies:
        origin = f" [{ref.origin}]" if ref.origin else ""
        lines.append(f"  - {ref.describe()}{origin}")
    if findings:
        lines.append("")
        lines.append("Findings:")
        for finding in findings:
            lines.append(f"[{finding.severity.value}] {finding.rule}")
            lines.extend(f"  {line}" for line in finding.details.splitlines())
    credited = [g for g in evaluation.grants if g.denied_by]
    if credited:
        lines.append("")
        lines.append("Denies credited:")
        for grant in credited[:12]:
            lines.append(f"  - {grant.action} on {', '.join(grant.denied_resources)} removed by "
                         f"{grant.denied_by[0].describe()}")
        if len(credited) > 12:
            lines.append(f"  - … and {len(credited) - 12} more")
    narrowing = {}
    for grant in evaluation.live_grants():
        for ref in grant.narrowed_by:
            narrowing.setdefault(deny_text(ref), []).append(f"{grant.action} ({grant.source.policy.name} "
                                                             f"Statement[{grant.source.index}])")
    if narrowing:
        lines.append("")
        lines.append("Denies that take away part of a grant (credited; what is left is still reported):")
        for deny, grants in narrowing.items():
            lines.append(f"  - {deny} narrows {listing(list(dict.fromkeys(grants)), 3)}")
    if evaluation.uncredited_denies:
        lines.append("")
        lines.append("Denies shown but not credited:")
        lines.extend(f"  - {d.ref.describe()}: {d.reason}" for d in evaluation.uncredited_denies)
    if evaluation.notes:
        lines.append("")
        lines.append("Notes:")
        lines.extend(f"  - {note}" for note in evaluation.notes)
    if verdict.fix is not None:
        lines.append("")
        lines.append("Least-privilege fix:")
        lines.extend(f"  {line}" for line in verdict.fix.text().splitlines())
    return "\n".join(lines)


def render_json(verdict: PullKeyVerdict, findings: list[Finding]) -> dict[str, Any]:
    """The verdict as a JSON-ready object: ``verdict``, ``severity``, ``findings`` and the rest."""
    return {**verdict.to_dict(), "findings": [finding_to_dict(f) for f in findings]}
