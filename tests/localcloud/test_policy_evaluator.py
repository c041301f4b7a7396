"""The local cloud's own RAM policy evaluator and trust policies, decision by decision."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud.authz.policy import Policy, Request, action_matches, evaluate, resource_matches
from localcloud.authz.trust import Caller, trusts

ARN = "acs:cr:cn-hangzhou:123:instance/cri-a"


def _decide(*statements: dict[str, Any], action: str = "cr:GetInstance", resources: tuple[str, ...] = (ARN,),
            keys: dict[str, list[str]] | None = None):
    policy = Policy.parse("p", {"Version": "1", "Statement": list(statements)})
    return evaluate([policy], Request(action, resources, keys or {}))


@pytest.mark.parametrize(("pattern", "action", "expected"), [
    ("cr:GetInstance", "cr:getinstance", True),
    ("CR:Get*", "cr:GetInstanceEndpoint", True),
    ("cr:Get?nstance", "cr:GetInstance", True),
    ("cr:Get*", "cr:ListInstance", False),
    ("*", "ram:ListUsers", True),
])
def test_actions_match_with_wildcards_in_any_case(pattern, action, expected):
    """Action values take * and ? and ignore case.

    Source: https://www.alibabacloud.com/help/ja/doc-detail/93738.htm.
    """
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(("pattern", "resource", "expected"), [
    ("*", ARN, True),
    ("acs:cr:*:*:instance/*", ARN, True),
    ("acs:cr:*:123:instance/cri-b", ARN, False),
    ("acs:cr:*:*:instance/CRI-A", ARN, False),
    ("acs:CR:cn-hangzhou:123:instance/cri-a", ARN, True),
    ("acs:ram::123:user/bob", "acs:ram:*:123:user/bob", True),
    ("acs:ram:*:123:user/*", "acs:ram:*:123:user/bob", True),
    ("acs:oss:*:*:bucket/state/*", "acs:oss:cn-hangzhou:123:bucket/state/a/b.json", True),
    ("acs:oss:*:*:bucket/state/*", "acs:oss:cn-hangzhou:123:bucket/other", False),
])
def test_resources_match_segment_by_segment(pattern, resource, expected):
    """ARN segments take wildcards; the service ignores case; an empty region names a global resource.

    Source: emulator's choice, as Steampipe's canonical_policy.go keeps Resource case.
    """
    assert resource_matches(pattern, resource) is expected


def test_default_deny_then_allow_then_explicit_deny():
    """No statement refuses; an Allow grants; a matching Deny wins over it.

    Source: https://www.alibabacloud.com/help/en/resource-access-management/latest/policy-evaluation-process.
    """
    assert not _decide({"Effect": "Allow", "Action": "vpc:*", "Resource": "*"}).allowed
    assert _decide({"Effect": "Allow", "Action": "cr:*", "Resource": "*"}).allowed
    decision = _decide({"Effect": "Allow", "Action": "cr:*", "Resource": "*"},
                       {"Effect": "Deny", "Action": "cr:GetInstance", "Resource": "*"})
    assert (decision.allowed, decision.explicit_deny) == (False, True)


def test_not_resource_grants_everything_but_the_listed_resources():
    """Allow + NotResource: the listed ARN is refused, others allowed.

    Source: https://www.alibabacloud.com/help/ja/resource-access-management/latest/policy-structure-and-syntax.
    """
    statement = {"Effect": "Allow", "Action": "cr:GetInstance", "NotResource": ARN}
    assert not _decide(statement).allowed
    assert _decide(statement, resources=("acs:cr:cn-hangzhou:123:instance/cri-b",)).allowed


def test_every_resource_of_a_request_must_be_allowed():
    """A request naming two resources is allowed only when both are.

    Source: emulator's choice.
    """
    statement = {"Effect": "Allow", "Action": "ram:AttachPolicyToUser", "Resource": "acs:ram:*:1:policy/*"}
    request = ("acs:ram:*:1:policy/p", "acs:ram:*:1:user/u")
    decision = _decide(statement, action="ram:AttachPolicyToUser", resources=request)
    assert not decision.allowed and decision.resource == "acs:ram:*:1:user/u"


@pytest.mark.parametrize(("condition", "keys", "expected"), [
    ({"Bool": {"acs:SecureTransport": "true"}}, {"acs:securetransport": ["false"]}, False),
    ({"Bool": {"acs:SecureTransport": "false"}}, {"acs:securetransport": ["false"]}, True),
    ({"NotIpAddress": {"acs:SourceIp": "10.0.0.0/8"}}, {"acs:sourceip": ["127.0.0.1"]}, True),
    ({"StringLike": {"acs:SourceIp": "127.*"}}, {"acs:sourceip": ["127.0.0.1"]}, True),
    ({"StringNotEquals": {"acs:SourceIp": ["127.0.0.1", "::1"]}}, {"acs:sourceip": ["127.0.0.1"]}, False),
    ({"NumericLessThan": {"acs:Answer": "43"}}, {"acs:answer": ["42"]}, True),
    ({"DateGreaterThan": {"acs:CurrentTime": "2020-01-01T08:00:00+08:00"}},
     {"acs:currenttime": ["2026-01-01T00:00:00Z"]}, True),
    ({"IpAddress": {"acs:SourceIp": "127.0.0.1"}, "StringEquals": {"acs:SourceIp": "::1"}},
     {"acs:sourceip": ["127.0.0.1"]}, False),
])
def test_condition_operators(condition, keys, expected):
    """Operators of each family decide an Allow; all operators and keys must hold, any value may match.

    Source: https://www.alibabacloud.com/help/en/ram/conditional-operator.
    """
    statement = {"Effect": "Allow", "Action": "cr:*", "Resource": "*", "Condition": condition}
    assert _decide(statement, keys=keys).allowed is expected


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"acs:SourceVpc": "vpc-1"}},
    {"NoSuchOperator": {"acs:SourceIp": "127.0.0.1"}},
    {"NumericEquals": {"acs:SourceIp": "one"}},
])
def test_an_unreadable_condition_never_grants_and_always_denies(condition):
    """Unknown key, unknown operator, unparsable value: an Allow does not apply, a Deny does.

    Source: emulator's choice (the safe reading).
    """
    keys = {"acs:sourceip": ["127.0.0.1"]}
    assert not _decide({"Effect": "Allow", "Action": "cr:*", "Resource": "*", "Condition": condition},
                       keys=keys).allowed
    decision = _decide({"Effect": "Allow", "Action": "cr:*", "Resource": "*"},
                       {"Effect": "Deny", "Action": "cr:*", "Resource": "*", "Condition": condition}, keys=keys)
    assert decision.explicit_deny


def test_a_statement_missing_its_resource_is_read_the_safe_way():
    """Without Resource an Allow grants nothing and a Deny applies.

    Source: emulator's choice (the safe reading).
    """
    assert not _decide({"Effect": "Allow", "Action": "cr:*"}).allowed
    assert _decide({"Effect": "Allow", "Action": "cr:*", "Resource": "*"},
                   {"Effect": "Deny", "Action": "cr:*"}).explicit_deny


def _trust(principal: Any, effect: str = "Allow") -> str:
    return json.dumps({"Version": "1", "Statement": [{"Effect": effect, "Action": "sts:AssumeRole",
                                                      "Principal": principal}]})


@pytest.mark.parametrize(("principal", "caller", "expected"), [
    ({"RAM": ["acs:ram::1:root"]}, Caller.ram("1", user="bob"), True),
    ({"RAM": ["acs:ram::2:root"]}, Caller.ram("1", user="bob"), False),
    ({"RAM": "acs:ram::1:user/Bob"}, Caller.ram("1", user="bob"), True),
    ({"RAM": "acs:ram::1:user/alice"}, Caller.ram("1", user="bob"), False),
    ({"RAM": "acs:ram::1:role/deployer"}, Caller.ram("1", role="Deployer"), True),
    ({"Service": ["fc.aliyuncs.com"]}, Caller(service="fc.aliyuncs.com"), True),
    ({"Service": ["fc.aliyuncs.com"]}, Caller.ram("1", user="bob"), False),
])
def test_trust_policies_name_accounts_users_roles_and_services(principal, caller, expected):
    """A role trusts the account root (any of its identities), one user, one role, or a service.

    Source: https://help.aliyun.com/en/ram/support/faq-about-ram-roles-and-sts-tokens (role types).
    """
    assert trusts(_trust(principal), caller, {}) is expected


def test_an_empty_or_denying_trust_policy_trusts_nobody():
    """No trust policy, or a Deny naming the caller, refuses.

    Source: https://www.alibabacloud.com/help/en/resource-access-management/latest/policy-evaluation-process (Deny
    wins); no trust policy: emulator's choice.
    """
    caller = Caller.ram("1", user="bob")
    assert not trusts("", caller, {})
    both = json.dumps({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": ["acs:ram::1:root"]}},
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Principal": {"RAM": ["acs:ram::1:user/bob"]}}]})
    assert not trusts(both, caller, {})
