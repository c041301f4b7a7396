"""The pull-key verdict and severity, table-driven, and the least-privilege fix."""

from __future__ import annotations

import json
from typing import Any

import pytest

from acrguard.findings import Severity
from acrguard.policy.evaluate import AttachedPolicy, MatchKind
from acrguard.policy.risk import ExcessCategory
from acrguard.policy.system_policies import system_policy
from acrguard.policy.verdict import IssueKind, Verdict, audit_policies

PULL = ["cr:GetAuthorizationToken", "cr:ListInstanceEndpoint", "cr:PullRepository"]
SOURCE_IP = {"IpAddress": {"acs:SourceIp": ["203.0.113.0/24"]}}


def custom(*statements: dict[str, Any], name: str = "custom", attachment: str = "user") -> AttachedPolicy:
    """A custom policy with these statements."""
    return AttachedPolicy.of(name, {"Version": "1", "Statement": list(statements)}, attachment=attachment)


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    """An Allow statement."""
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    """A Deny statement."""
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def system(name: str, version: str | None = None, attachment: str = "user") -> AttachedPolicy:
    """A system policy from the offline copies."""
    return system_policy(name).attached(version, attachment)


PULL_ONLY = custom(allow(PULL))

# (id, policies, expected verdict, expected severity, worst category or None)
CASES = [
    ("pull-only", [PULL_ONLY], Verdict.PASS, Severity.INFO, None),
    ("pull-only-system-role-policy", [system("AliyunCSManagedAcrRolePolicy")], Verdict.PASS, Severity.INFO, None),
    ("pull-only-scoped", [custom(allow(PULL[:2]), allow("cr:PullRepository", "acs:cr:*:*:repository/cri-abc123/*"))],
     Verdict.PASS, Severity.INFO, None),
    ("get-token-wildcard", [custom(allow(["cr:Get*Token", "cr:ListInstanceEndpoint", "cr:PullRepositor?"]))],
     Verdict.PASS, Severity.INFO, None),
    ("readonly-system", [system("AliyunContainerRegistryReadOnlyAccess")], Verdict.WARN, Severity.LOW,
     ExcessCategory.ACR_READ),
    ("console-extras", [PULL_ONLY, custom(allow(["cr:ListInstance*", "cr:GetInstance*"]), name="console")],
     Verdict.WARN, Severity.LOW, ExcessCategory.ACR_READ),
    ("full-access", [system("AliyunContainerRegistryFullAccess")], Verdict.FAIL, Severity.HIGH,
     ExcessCategory.REGISTRY_WRITE),
    ("mid-wildcard-repository", [PULL_ONLY, custom(allow("cr:*Repository"), name="repo")], Verdict.FAIL,
     Severity.HIGH, ExcessCategory.REGISTRY_WRITE),
    ("push-literal", [custom(allow([*PULL, "cr:PushRepository"]))], Verdict.FAIL, Severity.HIGH,
     ExcessCategory.REGISTRY_WRITE),
    ("admin", [system("AdministratorAccess")], Verdict.FAIL, Severity.CRITICAL, ExcessCategory.ADMIN),
    ("power-user-not-action", [system("PowerUserAccess")], Verdict.FAIL, Severity.CRITICAL, ExcessCategory.ADMIN),
    ("ram-escalation", [PULL_ONLY, custom(allow("ram:CreateAccessKey"), name="keys")], Verdict.FAIL,
     Severity.CRITICAL, ExcessCategory.IDENTITY),
    ("ims-escalation", [PULL_ONLY, custom(allow("ims:*"), name="ims")], Verdict.FAIL, Severity.CRITICAL,
     ExcessCategory.IDENTITY),
    ("assume-role", [PULL_ONLY, custom(allow("sts:AssumeRole"), name="sts")], Verdict.FAIL, Severity.CRITICAL,
     ExcessCategory.IDENTITY),
    ("ram-read-only", [PULL_ONLY, system("AliyunRAMReadOnlyAccess")], Verdict.FAIL, Severity.MEDIUM,
     ExcessCategory.OTHER_READ),
    ("other-service-read", [PULL_ONLY, custom(allow("ecs:Describe*"), name="ecs")], Verdict.FAIL, Severity.MEDIUM,
     ExcessCategory.OTHER_READ),
    ("read-only-access", [system("ReadOnlyAccess")], Verdict.FAIL, Severity.MEDIUM, ExcessCategory.OTHER_READ),
    ("other-service-write", [PULL_ONLY, custom(allow("oss:PutObject"), name="oss")], Verdict.FAIL, Severity.HIGH,
     ExcessCategory.OTHER_WRITE),
    ("deny-removes-writes", [system("AliyunContainerRegistryFullAccess"),
                             custom({"Effect": "Deny", "NotAction": PULL, "Resource": "*"}, name="fence")],
     Verdict.PASS, Severity.INFO, None),
    ("deny-removes-admin", [system("AdministratorAccess"),
                            custom({"Effect": "Deny", "NotAction": PULL, "Resource": "*"}, name="fence")],
     Verdict.PASS, Severity.INFO, None),
    ("deny-some-writes-only", [system("AliyunContainerRegistryFullAccess"), custom(deny("cr:Push*"), name="nopush")],
     Verdict.FAIL, Severity.HIGH, ExcessCategory.REGISTRY_WRITE),
    ("conditional-deny-not-credited", [system("AliyunContainerRegistryFullAccess"),
                                       custom({"Effect": "Deny", "NotAction": PULL, "Resource": "*",
                                               "Condition": SOURCE_IP}, name="fence")],
     Verdict.FAIL, Severity.HIGH, ExcessCategory.REGISTRY_WRITE),
    ("conditional-push", [PULL_ONLY, custom(allow("cr:PushRepository", Condition=SOURCE_IP), name="office")],
     Verdict.WARN, Severity.HIGH, ExcessCategory.REGISTRY_WRITE),
    ("placeholder-pull", [custom(allow(PULL[:2]), allow("cr:PullRepository",
                                                        "acs:cr:$regionid:$accountid:repository/$instanceid/*"))],
     Verdict.WARN, Severity.LOW, None),
    ("placeholder-push", [PULL_ONLY, custom(allow("cr:Push*", "acs:cr:*:*:repository/${instanceId}/*"), name="t")],
     Verdict.WARN, Severity.HIGH, ExcessCategory.REGISTRY_WRITE),
    ("unreadable", [PULL_ONLY, AttachedPolicy.of("broken", '{"Version": "1", "Statement": ')], Verdict.WARN,
     Severity.MEDIUM, None),
    ("personal-edition-push-is-still-excess", [PULL_ONLY, custom(allow("cr:PushRepository",
                                                                       "acs:cr:*:*:repository/team/*"), name="pe")],
     Verdict.FAIL, Severity.HIGH, ExcessCategory.REGISTRY_WRITE),
    ("nothing", [], Verdict.PASS, Severity.INFO, None),
]


@pytest.mark.parametrize(("policies", "verdict", "severity", "category"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_verdict_table(policies: list[AttachedPolicy], verdict: Verdict, severity: Severity,
                       category: ExcessCategory | None) -> None:
    """Each policy set gets the expected verdict, severity and worst excess category."""
    result = audit_policies(policies, instance_id="cri-abc123")
    assert (result.verdict, result.severity) == (verdict, severity), [i.summary for i in result.issues]
    categories = [i.worst_category for i in result.issues if i.worst_category is not None]
    worst = min(categories, key=list(ExcessCategory).index, default=None)
    assert worst is category


def test_verdict_exit_codes() -> None:
    """PASS, WARN and FAIL map to exit codes 0, 1 and 2."""
    assert [v.exit_code for v in Verdict] == [0, 1, 2]


def test_excess_issue_names_policy_type_version_attachment_statement_and_match() -> None:
    """An excess issue says which policy, how attached, which statement and how the action matched."""
    result = audit_policies([PULL_ONLY, system("AliyunContainerRegistryFullAccess", attachment="group:ops")],
                            instance_id="cri-abc123", user_name="puller")
    issue = next(i for i in result.issues if i.kind is IssueKind.EXCESS)
    assert issue.policy is not None
    assert (issue.policy.name, issue.policy.type, issue.policy.default_version, issue.policy.attachment) == \
        ("AliyunContainerRegistryFullAccess", "System", "v1", "group:ops")
    assert issue.statement_index == 0
    assert issue.where() == "AliyunContainerRegistryFullAccess (System, default v1) attached to group ops, Statement[0]"
    push = next(i for i in issue.items if i.action == "cr:PushRepository")
    assert (push.match, push.matched_by, push.resources) == (MatchKind.WILDCARD, ("cr:*",), "*")
    assert "cr:PushRepository" in issue.summary


def test_not_action_matches_are_reported_as_complement() -> None:
    """Items granted through Allow + NotAction say so."""
    result = audit_policies([custom({"Effect": "Allow", "NotAction": "cr:Delete*", "Resource": "acs:cr:*:*:*"})])
    issue = next(i for i in result.issues if i.kind is IssueKind.EXCESS)
    assert {i.match for i in issue.items} == {MatchKind.NOT_ACTION}
    assert any("added after this catalog" in i.action for i in issue.items)


def test_system_policy_versions_change_the_verdict_details() -> None:
    """Two published bodies of a system policy evaluate differently (literal vs wildcard pull), same verdict."""
    v1 = audit_policies([system("AliyunContainerRegistryReadOnlyAccess", "v1")])
    v2 = audit_policies([system("AliyunContainerRegistryReadOnlyAccess", "v2")])
    assert v1.verdict is v2.verdict is Verdict.WARN
    pull_v1 = v1.evaluation.grants_for("cr:PullRepository")[0]
    pull_v2 = v2.evaluation.grants_for("cr:PullRepository")[0]
    assert (pull_v1.match, pull_v2.match) == (MatchKind.LITERAL, MatchKind.WILDCARD)
    assert [i.policy.default_version for i in v2.issues if i.policy] == ["v2"]


def test_a_new_version_that_adds_push_turns_pass_into_fail() -> None:
    """The default version is what is judged: v1 pull-only passes, a v2 adding push fails."""
    v1 = AttachedPolicy.of("AcrPull", {"Version": "1", "Statement": [allow(PULL)]}, default_version="v1")
    v2 = AttachedPolicy.of("AcrPull", {"Version": "1", "Statement": [allow([*PULL, "cr:PushRepository"])]},
                           default_version="v2")
    assert audit_policies([v1]).verdict is Verdict.PASS
    failed = audit_policies([v2])
    assert failed.verdict is Verdict.FAIL
    assert failed.issues[0].policy.default_version == "v2"  # type: ignore[union-attr]


def test_missing_pull_permissions_are_info_not_excess() -> None:
    """A Personal-Edition-scoped pull does not reach the EE instance: reported as info, verdict unaffected."""
    result = audit_policies([custom(allow(PULL[:2]), allow("cr:PullRepository", "acs:cr:*:*:repository/team/*"))],
                            instance_id="cri-abc123")
    missing = [i for i in result.issues if i.kind is IssueKind.MISSING]
    assert result.verdict is Verdict.PASS
    assert [i.action for i in missing] == ["cr:PullRepository"]
    assert "Personal Edition" in missing[0].summary
    assert result.fix is not None and result.fix.create_commands


def test_token_scoped_to_an_instance_is_missing() -> None:
    """GetAuthorizationToken is authorised on *, so scoping it to an instance breaks the helper."""
    result = audit_policies([custom(allow(PULL, "acs:cr:*:*:instance/cri-abc123"),
                                    allow("cr:PullRepository", "acs:cr:*:*:repository/cri-abc123/*"))],
                            instance_id="cri-abc123")
    missing = [i for i in result.issues if i.kind is IssueKind.MISSING]
    assert [i.action for i in missing] == ["cr:GetAuthorizationToken"]
    assert "authorises GetAuthorizationToken on resource *" in missing[0].summary


def test_unscoped_pull_is_info_when_the_instance_is_known() -> None:
    """PullRepository on * passes, with an info issue naming the broader scope."""
    result = audit_policies([PULL_ONLY], instance_id="cri-abc123")
    assert result.verdict is Verdict.PASS
    assert [i.kind for i in result.issues] == [IssueKind.UNSCOPED_PULL]
    assert audit_policies([PULL_ONLY]).issues == ()


def test_fix_is_a_ready_scoped_policy_with_detach_steps() -> None:
    """The fix holds a pull-only policy scoped to the instance and the exact detach commands."""
    result = audit_policies([system("AliyunContainerRegistryFullAccess"),
                             custom(allow("cr:*"), name="ops-registry", attachment="group:ops")],
                            instance_id="cri-abc123", user_name="acr-puller")
    fix = result.fix
    assert fix is not None
    assert fix.document == {"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": ["cr:GetAuthorizationToken", "cr:ListInstanceEndpoint"], "Resource": "*"},
        {"Effect": "Allow", "Action": "cr:PullRepository", "Resource": "acs:cr:*:*:repository/cri-abc123/*"}]}
    assert audit_policies([AttachedPolicy.of("fix", fix.document)], instance_id="cri-abc123").issues == ()
    commands = fix.commands()
    assert commands[0].startswith("aliyun ram CreatePolicy --PolicyName AcrguardPullOnly-cri-abc123 --PolicyDocument ")
    quoted = commands[0].split("--PolicyDocument ", 1)[1].split(" --Description")[0]
    assert json.loads(quoted.strip("'")) == fix.document
    assert commands[1] == ("aliyun ram AttachPolicyToUser --PolicyType Custom --PolicyName AcrguardPullOnly-cri-abc123 "
                           "--UserName acr-puller")
    assert "aliyun ram DetachPolicyFromUser --PolicyType System --PolicyName AliyunContainerRegistryFullAccess " \
           "--UserName acr-puller" in commands
    assert any(c.startswith("aliyun ram RemoveUserFromGroup --UserName acr-puller --GroupName ops") for c in commands)
    assert any(c.startswith("aliyun ram DetachPolicyFromGroup --PolicyType Custom --PolicyName ops-registry "
                            "--GroupName ops") for c in commands)
    assert any("Rotate the AccessKey" in n for n in fix.notes)


def test_fix_skips_creating_a_policy_when_a_pull_only_one_stays() -> None:
    """When a pull-only policy is already attached, the fix only detaches the excess."""
    result = audit_policies([PULL_ONLY, system("AliyunContainerRegistryFullAccess")])
    assert result.fix is not None
    assert result.fix.create_commands == ()
    assert result.fix.commands() == ["aliyun ram DetachPolicyFromUser --PolicyType System --PolicyName "
                                     "AliyunContainerRegistryFullAccess --UserName <USER_NAME>"]
    assert not result.fix.ready and result.fix.placeholders[0].token == "<USER_NAME>"


def test_pass_has_no_fix() -> None:
    """A pull-only identity needs nothing."""
    assert audit_policies([PULL_ONLY]).fix is None


def test_to_dict_is_json_ready() -> None:
    """The verdict serialises with its issues, Denies and fix."""
    result = audit_policies([system("AliyunContainerRegistryFullAccess"), custom(deny("cr:Delete*"), name="nodelete")],
                            instance_id="cri-abc123")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["verdict"] == "FAIL" and data["severity"] == "high"
    assert data["denied"] and all(d["denied_by"] for d in data["denied"])
    assert data["issues"][0]["policy"]["name"] == "AliyunContainerRegistryFullAccess"
    assert not any(e["action"].startswith("cr:Delete") for e in data["issues"][0]["excess"])


def test_a_deny_that_breaks_pulling_is_named() -> None:
    """A Deny with NotResource limited to repositories also denies the token on *: the missing issue says which."""
    result = audit_policies([PULL_ONLY, custom({"Effect": "Deny", "Action": "cr:*",
                                                "NotResource": "acs:cr:*:*:repository/cri-abc123/*"}, name="fence")],
                            instance_id="cri-abc123")
    missing = {i.action: i.summary for i in result.issues if i.kind is IssueKind.MISSING}
    assert set(missing) == {"cr:GetAuthorizationToken", "cr:ListInstanceEndpoint"}
    assert all("denied by fence (Custom, default v1) attached to the user, Statement[0]" in s for s in missing.values())
    assert any("NotResource" in n for n in result.evaluation.notes)


def test_unreadable_policies_are_not_offered_for_detaching() -> None:
    """Nothing is removed on doubt: an unreadable policy gets a note to inspect it, not a detach command."""
    result = audit_policies([PULL_ONLY, AttachedPolicy.of("broken", "{")])
    assert result.fix is not None
    assert result.fix.commands() == []
    assert any("broken" in n and "could not be read" in n for n in result.fix.notes)


def test_rotation_is_advised_only_when_the_key_could_write_or_leave_acr() -> None:
    """Extra ACR reads do not call for rotating the key; writes do."""
    reads = audit_policies([custom(allow([*PULL, "cr:ListRepository"]))])
    writes = audit_policies([custom(allow([*PULL, "cr:PushRepository"]))])
    assert reads.fix is not None and not any("Rotate" in n for n in reads.fix.notes)
    assert writes.fix is not None and any("Rotate" in n for n in writes.fix.notes)
