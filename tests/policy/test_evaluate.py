"""Evaluating the policies of one identity: Allow, NotAction, Deny, conditions, placeholders."""

from __future__ import annotations

from typing import Any

import pytest

from acrguard.policy.evaluate import (
    AttachedPolicy,
    Decision,
    GrantStatus,
    MatchKind,
    evaluate,
    evaluate_documents,
)

REPO = "acs:cr:cn-hangzhou:1234567890:repository/cri-abc123/team/web"
OTHER_REPO = "acs:cr:cn-hangzhou:1234567890:repository/cri-other9/team/web"
PE_REPO = "acs:cr:cn-hangzhou:1234567890:repository/team/web"
INSTANCE = "acs:cr:cn-hangzhou:1234567890:instance/cri-abc123"


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    """An Allow statement."""
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    """A Deny statement."""
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    """A version-1 document."""
    return {"Version": "1", "Statement": list(statements)}


SOURCE_IP = {"IpAddress": {"acs:SourceIp": ["203.0.113.0/24"]}}

# (id, documents, action, resource, expected decision)
DECISIONS = [
    ("literal", [doc(allow("cr:PullRepository"))], "cr:PullRepository", REPO, Decision.ALLOWED),
    ("literal-other-action", [doc(allow("cr:PullRepository"))], "cr:PushRepository", REPO, Decision.NOT_ALLOWED),
    ("case-insensitive-action", [doc(allow("CR:pullrepository"))], "cr:PullRepository", REPO, Decision.ALLOWED),
    ("list-form", [doc(allow(["cr:GetAuthorizationToken", "cr:PullRepository"]))], "cr:PullRepository", REPO,
     Decision.ALLOWED),
    ("mid-wildcard-token", [doc(allow("cr:Get*Token"))], "cr:GetAuthorizationToken", "*", Decision.ALLOWED),
    ("mid-wildcard-not-other", [doc(allow("cr:Get*Token"))], "cr:GetRepository", REPO, Decision.NOT_ALLOWED),
    ("mid-wildcard-repository", [doc(allow("cr:*Repository"))], "cr:PushRepository", REPO, Decision.ALLOWED),
    ("question-mark", [doc(allow("cr:PullRepositor?"))], "cr:PullRepository", REPO, Decision.ALLOWED),
    ("star", [doc(allow("*"))], "ram:CreateAccessKey", "acs:ram:*:1234567890:user/x", Decision.ALLOWED),
    ("scoped-instance", [doc(allow("cr:PullRepository", "acs:cr:*:*:repository/cri-abc123/*"))],
     "cr:PullRepository", REPO, Decision.ALLOWED),
    ("scoped-other-instance", [doc(allow("cr:PullRepository", "acs:cr:*:*:repository/cri-abc123/*"))],
     "cr:PullRepository", OTHER_REPO, Decision.NOT_ALLOWED),
    ("personal-edition-arn-misses-ee", [doc(allow("cr:PullRepository", "acs:cr:*:*:repository/team/web"))],
     "cr:PullRepository", REPO, Decision.NOT_ALLOWED),
    ("personal-edition-arn-hits-pe", [doc(allow("cr:PullRepository", "acs:cr:*:*:repository/team/web"))],
     "cr:PullRepository", PE_REPO, Decision.ALLOWED),
    ("personal-edition-namespace-misses-ee", [doc(allow("cr:PullRepository", "acs:cr:*:*:repository/team/*"))],
     "cr:PullRepository", REPO, Decision.NOT_ALLOWED),
    ("not-action-grants-rest", [doc({"Effect": "Allow", "NotAction": "cr:Delete*", "Resource": "*"})],
     "cr:PushRepository", REPO, Decision.ALLOWED),
    ("not-action-excludes", [doc({"Effect": "Allow", "NotAction": "cr:Delete*", "Resource": "*"})],
     "cr:DeleteRepository", REPO, Decision.NOT_ALLOWED),
    ("not-action-other-services", [doc({"Effect": "Allow", "NotAction": "cr:*", "Resource": "*"})],
     "ecs:DeleteInstance", "acs:ecs:*:*:instance/i-1", Decision.ALLOWED),
    ("deny-wins", [doc(allow("cr:*"), deny("cr:PushRepository"))], "cr:PushRepository", REPO, Decision.DENIED),
    ("deny-across-policies", [doc(allow("cr:*")), doc(deny("cr:Push*"))], "cr:PushRepository", REPO,
     Decision.DENIED),
    ("deny-other-resource", [doc(allow("cr:*"), deny("cr:PushRepository", "acs:cr:*:*:repository/cri-other9/*"))],
     "cr:PushRepository", REPO, Decision.ALLOWED),
    ("deny-not-action", [doc(allow("*"), {"Effect": "Deny", "NotAction": "cr:PullRepository", "Resource": "*"})],
     "cr:PushRepository", REPO, Decision.DENIED),
    ("deny-not-action-keeps-listed", [doc(allow("*"), {"Effect": "Deny", "NotAction": "cr:PullRepository",
                                                          "Resource": "*"})],
     "cr:PullRepository", REPO, Decision.ALLOWED),
    ("conditional-deny-not-credited", [doc(allow("cr:*"), deny("cr:PushRepository", Condition=SOURCE_IP))],
     "cr:PushRepository", REPO, Decision.ALLOWED),
    ("conditional-allow", [doc(allow("cr:PushRepository", Condition=SOURCE_IP))], "cr:PushRepository", REPO,
     Decision.CONDITIONAL),
    ("unconditional-beats-conditional", [doc(allow("cr:PushRepository", Condition=SOURCE_IP),
                                             allow("cr:PushRepository"))], "cr:PushRepository", REPO,
     Decision.ALLOWED),
    ("placeholder-allow", [doc(allow("cr:PullRepository", "acs:cr:$regionid:$accountid:repository/$instanceid/*"))],
     "cr:PullRepository", REPO, Decision.UNKNOWN),
    ("placeholder-deny-not-credited", [doc(allow("cr:*"), deny("cr:Push*", "acs:cr:$regionid:*:*"))],
     "cr:PushRepository", REPO, Decision.ALLOWED),
    ("case-differing-deny-not-credited", [doc(allow("cr:*"), deny("cr:Push*", "acs:cr:*:*:repository/CRI-ABC123/*"))],
     "cr:PushRepository", REPO, Decision.ALLOWED),
    ("case-differing-allow-credited", [doc(allow("cr:Push*", "acs:cr:*:*:repository/CRI-ABC123/*"))],
     "cr:PushRepository", REPO, Decision.ALLOWED),
    ("not-resource-allow", [doc({"Effect": "Allow", "Action": "cr:PushRepository",
                                 "NotResource": "acs:cr:*:*:repository/cri-abc123/prod/*"})],
     "cr:PushRepository", REPO, Decision.ALLOWED),
    ("not-resource-allow-excluded", [doc({"Effect": "Allow", "Action": "cr:PushRepository",
                                          "NotResource": "acs:cr:*:*:repository/cri-abc123/team/*"})],
     "cr:PushRepository", REPO, Decision.NOT_ALLOWED),
    ("not-resource-deny", [doc(allow("cr:*"), {"Effect": "Deny", "Action": "cr:*",
                                               "NotResource": "acs:cr:*:*:repository/cri-abc123/*"})],
     "cr:PushRepository", OTHER_REPO, Decision.DENIED),
    ("instance-arn", [doc(allow("cr:ListInstanceEndpoint", "acs:cr:*:*:instance/cri-abc123"))],
     "cr:ListInstanceEndpoint", INSTANCE, Decision.ALLOWED),
]


@pytest.mark.parametrize(("documents", "action", "resource", "expected"), [d[1:] for d in DECISIONS],
                         ids=[d[0] for d in DECISIONS])
def test_decisions(documents: list[dict[str, Any]], action: str, resource: str, expected: Decision) -> None:
    """May the identity do ACTION on RESOURCE, given these policies together?"""
    assert evaluate_documents(documents).decide(action, resource) is expected


def catalog_grant(documents: list[dict[str, Any]], action: str) -> Any:
    """The single live grant of a catalogued action."""
    grants = evaluate_documents(documents).grants_for(action)
    assert len(grants) == 1, grants
    return grants[0]


@pytest.mark.parametrize(("element", "kind"), [
    ("cr:PushRepository", MatchKind.LITERAL), ("cr:Push*", MatchKind.WILDCARD), ("*", MatchKind.WILDCARD),
])
def test_grants_say_how_they_matched(element: str, kind: MatchKind) -> None:
    """Each grant records the element value that matched and whether it was literal or a wildcard."""
    grant = catalog_grant([doc(allow(element))], "cr:PushRepository")
    assert grant.match is kind
    assert grant.matched_by == (element,)


def test_not_action_grants_the_complement_within_the_catalog() -> None:
    """Allow + NotAction grants every catalogued cr action it does not list, marked as a complement."""
    evaluation = evaluate_documents([doc({"Effect": "Allow", "NotAction": ["cr:Delete*", "cr:Push*"],
                                          "Resource": "acs:cr:*:*:*"})])
    granted = {g.action for g in evaluation.live_grants() if g.in_catalog}
    assert "cr:CreateNamespace" in granted and "cr:PullRepository" in granted
    assert not any(a.startswith(("cr:Delete", "cr:Push")) for a in granted)
    assert {g.match for g in evaluation.live_grants()} == {MatchKind.NOT_ACTION}


def test_not_action_grants_everything_else_outside_the_catalog() -> None:
    """Outside the catalog, Allow + NotAction on * is every other action of every service."""
    evaluation = evaluate_documents([doc({"Effect": "Allow", "NotAction": "cr:*", "Resource": "*"})])
    outside = [g for g in evaluation.live_grants() if not g.in_catalog]
    assert [g.action for g in outside] == ["NotAction complement"]
    assert [e.category.value for e in outside[0].excess][:2] == ["admin", "identity-escalation"]


def test_unconditional_deny_removes_what_it_covers() -> None:
    """A Deny covering the grant's resources removes the grant and says which statement did."""
    evaluation = evaluate_documents([doc(allow("cr:*", "acs:cr:*:*:repository/cri-abc123/*"), deny("cr:Push*"))])
    push = [g for g in evaluation.grants if g.action == "cr:PushRepository"]
    assert len(push) == 1 and push[0].fully_denied
    assert push[0].denied_resources == ("acs:cr:*:*:repository/cri-abc123/*",)
    assert push[0].denied_by[0].index == 1
    assert evaluation.grants_for("cr:PushRepository") == []


def test_partial_deny_keeps_the_rest() -> None:
    """A Deny on some of the granted resources leaves the others granted."""
    grant = catalog_grant([doc(allow("cr:PushRepository", ["acs:cr:*:*:repository/cri-a/*",
                                                           "acs:cr:*:*:repository/cri-b/*"]),
                               deny("cr:PushRepository", "acs:cr:*:*:repository/cri-a/*"))], "cr:PushRepository")
    assert grant.resources.patterns == ("acs:cr:*:*:repository/cri-b/*",)
    assert grant.denied_resources == ("acs:cr:*:*:repository/cri-a/*",)


def test_deny_must_cover_the_whole_allowed_scope() -> None:
    """A Deny on one instance does not remove an Allow on every resource."""
    grant = catalog_grant([doc(allow("cr:PushRepository"), deny("cr:PushRepository", "acs:cr:*:*:repository/cri-a/*"))],
                          "cr:PushRepository")
    assert grant.resources.patterns == ("*",) and not grant.denied_by


def test_conditional_deny_is_shown_not_credited() -> None:
    """A conditional Deny stays visible on the grant it might affect, but the grant stands."""
    evaluation = evaluate_documents([doc(allow("cr:*"), deny("cr:Push*", Condition=SOURCE_IP))])
    grant = evaluation.grants_for("cr:PushRepository")[0]
    assert [d.reason for d in grant.uncredited_denies] == ["conditional: IpAddress acs:SourceIp"]
    assert [d.ref.index for d in evaluation.uncredited_denies] == [1]


def test_placeholder_statement_is_reported_as_cannot_evaluate_with_its_worst_case() -> None:
    """Placeholders make an Allow 'cannot evaluate', read at worst as `*`."""
    grant = catalog_grant([doc(allow("cr:PushRepository", "acs:cr:$regionid:$accountid:repository/$instanceid/*"))],
                          "cr:PushRepository")
    assert grant.status is GrantStatus.UNEVALUABLE
    assert grant.resources.patterns == ("acs:cr:*:*:repository/*/*",)


def test_wildcard_service_patterns_reach_only_the_services_their_resources_name() -> None:
    """`*` on acs:ecs resources grants no cr action; `cr:*` names its service and always counts."""
    assert evaluate_documents([doc(allow("*", "acs:ecs:*:*:*"))]).grants_for("cr:PushRepository") == []
    assert len(evaluate_documents([doc(allow("cr:*", "acs:ecs:*:*:*"))]).grants_for("cr:PushRepository")) == 1


def test_deny_everything_but_pull_turns_admin_into_pull_only() -> None:
    """AdministratorAccess plus a Deny with NotAction of the pull actions leaves only those actions."""
    evaluation = evaluate_documents([
        doc(allow("*")),
        doc({"Effect": "Deny", "NotAction": ["cr:GetAuthorizationToken", "cr:ListInstanceEndpoint",
                                             "cr:PullRepository"], "Resource": "*"}),
    ])
    assert sorted(g.action for g in evaluation.live_grants()) == [
        "cr:GetAuthorizationToken", "cr:ListInstanceEndpoint", "cr:PullRepository"]


def test_unreadable_policy_is_kept_as_unknown() -> None:
    """A policy whose document cannot be parsed is recorded, and makes 'not allowed' unknown."""
    evaluation = evaluate([AttachedPolicy.of("broken", '{"Version": "1"'),
                           AttachedPolicy.of("pull", doc(allow("cr:PullRepository")))])
    assert [u.policy.name for u in evaluation.unreadable] == ["broken"]
    assert evaluation.decide("cr:PushRepository", REPO) is Decision.UNKNOWN
    assert evaluation.decide("cr:PullRepository", REPO) is Decision.ALLOWED


def test_attached_policy_validates_type_and_attachment() -> None:
    """Policy type is System or Custom; attachment is user or group:<name>."""
    with pytest.raises(ValueError, match="System or Custom"):
        AttachedPolicy.of("x", doc(), type="Managed")
    with pytest.raises(ValueError, match="group:<name>"):
        AttachedPolicy.of("x", doc(), attachment="role:r")
    assert AttachedPolicy.of("x", doc(), attachment="group:ops").ref.group == "ops"
