"""The words of a verdict: `*` is never a count, a Deny that narrows a grant is named, Personal Edition ARNs."""

from __future__ import annotations

import re
from typing import Any

from acrguard.policy.evaluate import AttachedPolicy
from acrguard.policy.findings import to_findings
from acrguard.policy.report import render_text
from acrguard.policy.system_policies import system_policy
from acrguard.policy.verdict import IssueKind, Verdict, audit_policies, personal_edition_form

PULL_TWO = ["cr:GetAuthorizationToken", "cr:ListInstanceEndpoint"]
BILLING = ["bss:*", "bssapi:*", "efc:*"]


def custom(*statements: dict[str, Any], name: str = "custom") -> AttachedPolicy:
    """A custom policy attached to the user."""
    return AttachedPolicy.of(name, {"Version": "1", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*") -> dict[str, Any]:
    """An Allow statement."""
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: Any, resource: Any = "*") -> dict[str, Any]:
    """A Deny statement."""
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def excess_finding(policies: list[AttachedPolicy], **options: Any):
    """The verdict and its first excess finding."""
    verdict = audit_policies(policies, **options)
    return verdict, next(f for f in to_findings(verdict) if f.rule == "pullkey.excess-permissions")


def test_allow_star_is_every_action_of_every_service_never_a_count():
    """`*` is said to be every action of every service, in the title and the summary, without a number."""
    _, finding = excess_finding([custom(allow("*"), name="Admin")])
    assert finding.title.endswith("(every action of every service)")
    assert "every action of every service" in finding.details.splitlines()[0]
    assert not re.search(r"\d+ permissions", finding.title + finding.details.splitlines()[0])


def test_a_deny_that_narrows_allow_star_is_named_with_its_effect():
    """Allow * minus a Deny on billing services: the explanation says what the Deny removes, and where it is."""
    verdict, finding = excess_finding([custom(allow("*"), deny(BILLING), name="NoBillingAdmin")])
    assert verdict.verdict is Verdict.FAIL
    summary = finding.details.splitlines()[0]
    assert ("every action of every service, except what Deny bss:*, bssapi:*, efc:* on * "
            "(NoBillingAdmin Statement[1]) removes") in summary
    assert "but what a Deny removes" in finding.title
    report = render_text(verdict, to_findings(verdict))
    assert "Deny bss:*, bssapi:*, efc:* on * (NoBillingAdmin Statement[1]) narrows *" in report


def test_a_deny_on_part_of_a_registry_wildcard_is_named_on_the_grant():
    """A Deny on cr:Delete* for some repositories narrows cr:Delete* grants; the item says so."""
    policy = custom(allow("cr:*"), deny("cr:Delete*", "acs:cr:*:*:repository/cri-abc123/prod/*"), name="ops")
    _, finding = excess_finding([policy])
    assert "Deny cr:Delete* on acs:cr:*:*:repository/cri-abc123/prod/* (ops Statement[1])" in finding.details


def test_finite_sets_are_counted_and_patterns_named():
    """cr:* is counted from the catalog; ecs:Describe* outside it is named, not counted."""
    _, full = excess_finding([system_policy("AliyunContainerRegistryFullAccess").attached()])
    assert re.search(r"\(\d+ permissions\)$", full.title)
    _, mixed = excess_finding([custom(allow(["ecs:Describe*", "ram:ListUsers"]), name="mix")])
    assert mixed.title.endswith("(1 permission and ecs:Describe*)")


def test_a_personal_edition_arn_never_grants_enterprise_pulls_even_with_placeholders():
    """repository/${ns}/* has no instance id: it never reaches an EE repository, whatever ${ns} becomes."""
    verdict = audit_policies([custom(allow(PULL_TWO), allow("cr:PullRepository", "acs:cr:*:*:repository/${ns}/*"))],
                             instance_id="cri-abc123")
    missing = next(i for i in verdict.issues if i.kind is IssueKind.MISSING and i.action == "cr:PullRepository")
    assert missing.summary.startswith("cr:PullRepository is not granted on instance cri-abc123")
    assert "never reaches an Enterprise Edition repository" in missing.summary
    assert "acs:cr:<region>:<account>:repository/<instance-id>/<namespace>/<repository>" in missing.summary
    assert "only if its placeholders resolve" not in missing.summary
    statement = next(i for i in verdict.issues if i.kind is IssueKind.UNEVALUABLE)
    assert "grants nothing on Enterprise Edition even resolved" in statement.summary
    assert verdict.verdict is Verdict.WARN  # the verdict itself is unchanged


def test_an_instance_placeholder_may_still_resolve_to_a_grant():
    """repository/${instanceId}/* is the Enterprise Edition form: it grants pulls once resolved, and says so."""
    verdict = audit_policies([custom(allow(PULL_TWO),
                                     allow("cr:PullRepository", "acs:cr:*:*:repository/${instanceId}/*"))],
                             instance_id="cri-abc123")
    missing = next(i for i in verdict.issues if i.kind is IssueKind.MISSING and i.action == "cr:PullRepository")
    assert missing.summary.endswith("only if its placeholders resolve")


def test_personal_edition_forms():
    """Which repository ARNs have no instance id where an Enterprise Edition ARN has one."""
    assert personal_edition_form("acs:cr:*:*:repository/${ns}/*")
    assert personal_edition_form("acs:cr:*:*:repository/$namespace/$repo")
    assert personal_edition_form("acs:cr:*:*:repository/team/app")
    assert not personal_edition_form("acs:cr:*:*:repository/${instanceId}/*")
    assert not personal_edition_form("acs:cr:*:*:repository/cri-abc123/team/*")
    assert not personal_edition_form("acs:cr:*:*:repository/*")
    assert not personal_edition_form("acs:oss:*:*:repository/team/*")
