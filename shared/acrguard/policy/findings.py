"""Turn a pull-key verdict into ``acrguard.findings.Finding`` objects.

Rules:

* ``pullkey.excess-permissions``: a statement grants more than pull (severity of the worst excess).
* ``pullkey.conditional-excess``: the same, but only when the statement's Condition holds.
* ``pullkey.cannot-evaluate``: unresolved placeholders, or a policy document that cannot be read.
* ``pullkey.missing-permissions``: a pull action is not granted (info: the key is not over-privileged).
* ``pullkey.unscoped-pull``: PullRepository reaches beyond the instance (info).

Judged against the read-only reference (``policy check --reference read-only``), the rules are
``readonly.excess-permissions``, ``readonly.conditional-excess`` and ``readonly.cannot-evaluate``.

A finding's identity is the rule, the identity (``resource``), the scope and the labels policy name,
type, default version, attachment and statement index: the same excess seen again is the same
finding, while a new default version of a policy (a system policy changing under you) or a new
attachment path is a new one.
"""

from __future__ import annotations

from typing import Any

from acrguard.events.routing import PULLKEY_AUDITOR
from acrguard.findings import Finding
from acrguard.policy.verdict import EVALUATOR_VERSION, PULL, Issue, IssueKind, PullKeyVerdict, short_reach

JOB = PULLKEY_AUDITOR  # the job name the alert pipeline and the handler use

RULES = {
    IssueKind.EXCESS: "pullkey.excess-permissions",
    IssueKind.CONDITIONAL: "pullkey.conditional-excess",
    IssueKind.UNEVALUABLE: "pullkey.cannot-evaluate",
    IssueKind.UNREADABLE: "pullkey.cannot-evaluate",
    IssueKind.MISSING: "pullkey.missing-permissions",
    IssueKind.UNSCOPED_PULL: "pullkey.unscoped-pull",
}


def identity_resource(user_name: str | None) -> str:
    """``ram-user/<name>``, or ``policy-set`` when the identity is not known (offline checks)."""
    return f"ram-user/{user_name}" if user_name else "policy-set"


def to_findings(verdict: PullKeyVerdict, *, resource: str | None = None, scope: str = "",
                labels: dict[str, str] | None = None) -> list[Finding]:
    """One finding per issue; ``resource`` defaults to the identity, ``scope`` to the instance id."""
    resource = resource or identity_resource(verdict.user_name)
    scope = scope or verdict.instance_id or ""
    return [_finding(verdict, issue, resource, scope, labels or {}) for issue in verdict.issues]


def _finding(verdict: PullKeyVerdict, issue: Issue, resource: str, scope: str, extra: dict[str, str]) -> Finding:
    labels = dict(extra)
    if issue.policy is not None:
        labels.update(policy=issue.policy.name, policy_type=issue.policy.type,
                      policy_version=issue.policy.default_version, attachment=issue.policy.attachment)
    if issue.statement_index is not None:
        labels["statement"] = str(issue.statement_index)
    if issue.action:
        labels["action"] = issue.action
    fix = ""
    if verdict.fix is not None and (issue.policy is not None or issue.kind is IssueKind.MISSING):
        fix = verdict.fix.text(only=issue.policy)
    evidence: dict[str, Any] = {
        **issue.to_dict(),
        "identity_verdict": verdict.verdict.value,
        "identity_severity": verdict.severity.value,
        "evaluator_version": EVALUATOR_VERSION,
    }
    rule = RULES[issue.kind] if verdict.reference == PULL else RULES[issue.kind].replace("pullkey.", "readonly.", 1)
    return Finding(rule=rule, severity=issue.severity, resource=resource,
                   title=_title(issue, resource, verdict.reference), details=_details(issue), fix=fix, scope=scope,
                   labels=labels, evidence=evidence, job=JOB)


def _title(issue: Issue, resource: str, reference: str = PULL) -> str:
    who = resource.split("/", 1)[1] if resource.startswith("ram-user/") else \
        "the pull key" if reference == PULL else "the identity"
    if issue.kind is IssueKind.MISSING:
        return f"{who}: {issue.summary.split(';', 1)[0]}"
    if issue.policy is None:
        return f"{who}: {issue.summary}"
    where = issue.policy.name + (f" Statement[{issue.statement_index}]" if issue.statement_index is not None else "")
    worst = issue.worst_category
    if issue.kind is IssueKind.EXCESS and worst is not None:
        more = "do more than pull" if reference == PULL else "write"
        return f"{who} can {more}: {worst.label} via {where} ({short_reach(issue.items)})"
    return f"{who}: {where} {issue.summary}"


def _details(issue: Issue, examples: int = 8) -> str:
    """The summary, then one line per (category, pattern, resources) with the actions it grants."""
    lines = [f"{issue.where()}: {issue.summary}" if issue.policy else issue.summary]
    groups: dict[tuple[str, str, str], list[str]] = {}
    for item in issue.items:
        how = item.describe().split(" via ", 1)[1]
        groups.setdefault((item.category.value, how, ""), []).append(item.action)
    for (category, how, _), actions in groups.items():
        shown = ", ".join(actions[:examples]) + (f" and {len(actions) - examples} more" if len(actions) > examples
                                                 else "")
        lines.append(f"  - [{category}] {shown} via {how}")
    uncredited = sorted({d for i in issue.items for d in i.uncredited_denies})
    lines.extend(f"  Deny not credited: {d}" for d in uncredited)
    if issue.detail:
        lines.append(f"  {issue.detail}")
    return "\n".join(lines)


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """A JSON-ready form of a finding (with its fingerprint)."""
    return {
        "rule": finding.rule, "severity": finding.severity.value, "resource": finding.resource,
        "scope": finding.scope, "title": finding.title, "details": finding.details, "fix": finding.fix,
        "labels": dict(finding.labels), "evidence": dict(finding.evidence), "fingerprint": finding.fingerprint,
        "job": finding.job,
    }
