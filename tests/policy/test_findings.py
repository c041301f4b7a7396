"""Turning a verdict into Findings: rules, identity, labels and the fix."""

from __future__ import annotations

from acrguard.findings import Severity
from acrguard.policy.evaluate import AttachedPolicy
from acrguard.policy.findings import finding_to_dict, to_findings
from acrguard.policy.system_policies import system_policy
from acrguard.policy.verdict import audit_policies

PULL = ["cr:GetAuthorizationToken", "cr:ListInstanceEndpoint", "cr:PullRepository"]


def pull_only(version: str = "v1", extra: list[str] | None = None) -> AttachedPolicy:
    """A custom pull policy at a given default version, optionally with extra actions."""
    return AttachedPolicy.of("AcrPull", {"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": PULL + (extra or []), "Resource": "*"}]}, default_version=version)


def test_each_issue_becomes_a_finding_with_its_rule() -> None:
    """Excess, missing and cannot-evaluate issues map to their pullkey.* rules."""
    verdict = audit_policies([
        system_policy("AliyunContainerRegistryFullAccess").attached(attachment="group:ops"),
        AttachedPolicy.of("tmpl", {"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "cr:Get*", "Resource": "acs:cr:$regionid:*:*"}]}),
        AttachedPolicy.of("office", {"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "cr:PushRepository", "Resource": "*",
             "Condition": {"IpAddress": {"acs:SourceIp": "203.0.113.7"}}}]}),
    ], instance_id="cri-abc123", user_name="acr-puller")
    findings = to_findings(verdict)
    rules = [f.rule for f in findings]
    assert rules[:3] == ["pullkey.excess-permissions", "pullkey.cannot-evaluate", "pullkey.conditional-excess"]
    assert "pullkey.unscoped-pull" in rules
    excess = findings[0]
    assert excess.severity is Severity.HIGH
    assert excess.resource == "ram-user/acr-puller" and excess.scope == "cri-abc123" and excess.job == "pullkey_auditor"
    assert dict(excess.labels) == {"policy": "AliyunContainerRegistryFullAccess", "policy_type": "System",
                                   "policy_version": "v1", "attachment": "group:ops", "statement": "0"}
    assert excess.title == ("acr-puller can do more than pull: registry write via AliyunContainerRegistryFullAccess "
                            "Statement[0] (121 permissions)")
    assert "via cr:* (wildcard) on *" in excess.details
    assert "RemoveUserFromGroup --UserName acr-puller --GroupName ops" in excess.fix
    assert "AcrguardPullOnly-cri-abc123" in excess.fix


def test_a_new_default_version_is_a_new_finding() -> None:
    """The same excess in a new default version re-alerts (different fingerprint); a repeat does not."""
    first = to_findings(audit_policies([pull_only("v2", ["cr:PushRepository"])], user_name="u"))[0]
    again = to_findings(audit_policies([pull_only("v2", ["cr:PushRepository"])], user_name="u"))[0]
    newer = to_findings(audit_policies([pull_only("v3", ["cr:PushRepository"])], user_name="u"))[0]
    assert first.fingerprint == again.fingerprint
    assert first.fingerprint != newer.fingerprint


def test_missing_permission_findings_are_info_and_labelled_by_action() -> None:
    """A missing pull action is an info finding labelled with the action."""
    verdict = audit_policies([AttachedPolicy.of("p", {"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": PULL[:2], "Resource": "*"}]})])
    (finding,) = to_findings(verdict)
    assert (finding.rule, finding.severity, finding.labels["action"]) == \
        ("pullkey.missing-permissions", Severity.INFO, "cr:PullRepository")
    assert finding.resource == "policy-set"


def test_finding_dict_is_complete() -> None:
    """The JSON form carries rule, severity, fix, labels, evidence and fingerprint."""
    finding = to_findings(audit_policies([pull_only(extra=["cr:DeleteRepository"])]))[0]
    data = finding_to_dict(finding)
    assert data["rule"] == "pullkey.excess-permissions" and data["severity"] == "high"
    assert data["evidence"]["excess"][0]["action"] == "cr:DeleteRepository"
    assert data["evidence"]["statement"]["Action"][-1] == "cr:DeleteRepository"
    assert data["fingerprint"] == finding.fingerprint
