"""Wildcard matching of actions and resources, and the relations between patterns."""

from __future__ import annotations

import pytest

from acrguard.policy.matching import (
    action_covers,
    action_matches,
    covers,
    glob_match,
    intersects,
    placeholders,
    resource_covers,
    resource_intersects,
    resource_matches,
    resource_service,
    service_can_be,
    widen_placeholders,
)

EE_REPO = "acs:cr:cn-hangzhou:1234567890:repository/cri-abc123/team/web"


@pytest.mark.parametrize(("pattern", "action", "expected"), [
    ("cr:PullRepository", "cr:PullRepository", True),
    ("CR:pullrepository", "cr:PullRepository", True),
    ("cr:Get*", "cr:GetAuthorizationToken", True),
    ("cr:Get*Token", "cr:GetAuthorizationToken", True),
    ("cr:Get*Token", "cr:GetRepository", False),
    ("cr:*Repository", "cr:PushRepository", True),
    ("cr:*Repository", "cr:ListRepoTag", False),
    ("cr:PullRepositor?", "cr:PullRepository", True),
    ("cr:P?llRepository", "cr:PushRepository", False),
    ("cr:Pull?Repository", "cr:PullRepository", False),
    ("*", "ram:CreateAccessKey", True),
    ("*:Get*", "ram:GetUser", True),
    ("ram:*ResourceGroup*", "ram:CreateResourceGroup", True),
    ("cr:*", "crx:Anything", False),
])
def test_action_matching_is_case_insensitive_with_wildcards_anywhere(pattern: str, action: str, expected: bool) -> None:
    """Action patterns match with * and ? in any position, ignoring case."""
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(("pattern", "resource", "surely", "expected"), [
    ("*", EE_REPO, True, True),
    ("acs:cr:*:*:*", EE_REPO, True, True),
    ("acs:cr:*:*:repository/cri-abc123/*", EE_REPO, True, True),
    ("acs:cr:*:*:repository/cri-abc123/team/*", EE_REPO, True, True),
    ("acs:cr:*:*:repository/cri-other/*", EE_REPO, True, False),
    # Personal Edition forms name the namespace right after repository/: they do not reach EE repositories.
    ("acs:cr:*:*:repository/team/web", EE_REPO, True, False),
    ("acs:cr:*:*:repository/team/*", EE_REPO, True, False),
    ("acs:cr:cn-shanghai:*:repository/*", EE_REPO, True, False),
    ("acs:cr:*:1234567890:instance/cri-abc123", EE_REPO, True, False),
    ("acs:cr:*:*:repository/CRI-ABC123/*", EE_REPO, False, True),
    ("acs:cr:*:*:repository/CRI-ABC123/*", EE_REPO, True, False),
    ("acs:ecs:*:*:*", EE_REPO, False, False),
])
def test_resource_matching_by_arn_segment(pattern: str, resource: str, surely: bool, expected: bool) -> None:
    """Resource patterns match per ARN segment; 'surely' (for Deny) is case-sensitive, the Allow side is not."""
    assert resource_matches(pattern, resource, surely=surely) is expected


def test_a_region_wildcard_cannot_swallow_the_repository_path() -> None:
    """`*` in the region segment stands for one region, so a Personal Edition ARN never meets an EE one."""
    assert not resource_intersects("acs:cr:*:*:repository/juzhong/*", "acs:cr:*:*:repository/cri-abc/*")
    assert intersects("acs:cr:*:*:repository/juzhong/*", "acs:cr:*:*:repository/cri-abc/*", ignore_case=True)


@pytest.mark.parametrize(("outer", "inner", "expected"), [
    ("*", "cr:Get*", True),
    ("cr:*", "cr:Get*", True),
    ("cr:Get*", "cr:*", False),
    ("cr:Get*", "cr:GetRepository", True),
    ("cr:Get?", "cr:Get*", False),
    ("cr:*Repository", "cr:Push*", False),
    ("ram:*", "ram:Create*", True),
    ("cr:P*", "CR:PUSH*", True),
])
def test_action_coverage(outer: str, inner: str, expected: bool) -> None:
    """One action pattern covers another only when it matches everything the other can."""
    assert action_covers(outer, inner) is expected


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("a*", "*b", True),
    ("a?c", "a*", True),
    ("ab", "a?c", False),
    ("*x*", "y*", True),
    ("abc", "abd", False),
    ("a*b", "a*c", False),
    ("**", "", True),
])
def test_intersection_is_exact(a: str, b: str, expected: bool) -> None:
    """Two patterns intersect when one string matches both (checked against brute force examples)."""
    assert intersects(a, b, ignore_case=False) is expected
    assert intersects(b, a, ignore_case=False) is expected


def test_coverage_is_sound_on_exhaustive_small_patterns() -> None:
    """Whenever covers() says yes, every short string the inner pattern matches is matched by the outer one."""
    import itertools

    alphabet = "ab*?"
    patterns = ["".join(p) for n in range(0, 4) for p in itertools.product(alphabet, repeat=n)]
    strings = ["".join(s) for n in range(0, 5) for s in itertools.product("ab", repeat=n)]
    for outer in patterns:
        for inner in patterns:
            if covers(outer, inner, ignore_case=False):
                assert all(glob_match(outer, s, ignore_case=False) for s in strings
                           if glob_match(inner, s, ignore_case=False)), (outer, inner)
            meet = any(glob_match(outer, s, ignore_case=False) and glob_match(inner, s, ignore_case=False)
                       for s in strings)
            if meet:
                assert intersects(outer, inner, ignore_case=False), (outer, inner)


@pytest.mark.parametrize(("outer", "inner", "expected"), [
    ("*", "acs:cr:*:*:repository/cri-x/*", True),
    ("acs:cr:*:*:*", "acs:cr:*:*:repository/cri-x/*", True),
    ("acs:cr:*:*:repository/cri-x/*", "*", False),
    ("acs:cr:*:*:repository/cri-x/*", "acs:cr:cn-hangzhou:1:repository/cri-x/ns/*", True),
    ("acs:cr:*:*:repository/cri-x/*", "acs:cr:*:*:repository/CRI-X/*", False),
])
def test_resource_coverage_is_case_sensitive(outer: str, inner: str, expected: bool) -> None:
    """A Deny's resources cover an Allow's only when surely so."""
    assert resource_covers(outer, inner) is expected


@pytest.mark.parametrize(("pattern", "service"), [
    ("acs:cr:*:*:*", "cr"), ("acs:CR:cn-hangzhou:1:instance/cri-x", "cr"), ("acs:ram:*:*:user/x", "ram"),
    ("*", None), ("acs:*:*:*:*", None), ("acs:c?:*:*:*", None), ("arn:aws:s3:::b", None),
])
def test_resource_service(pattern: str, service: str | None) -> None:
    """The literal service segment of a resource pattern, or None when any service may match."""
    assert resource_service(pattern) == service


@pytest.mark.parametrize(("pattern", "service", "expected"), [
    ("*", "ram", True), ("*:Get*", "ram", True), ("cr:*", "ram", False), ("r*:Get*", "ram", True),
    ("*Repository", "cr", True), ("ecs:*", "ec", False),
])
def test_service_can_be(pattern: str, service: str, expected: bool) -> None:
    """Whether an action pattern can name an action of a service."""
    assert service_can_be(pattern, service) is expected


@pytest.mark.parametrize(("value", "found", "widened"), [
    ("acs:cr:$regionid:$accountid:repository/$instanceid/*", ["$regionid", "$accountid", "$instanceid"],
     "acs:cr:*:*:repository/*/*"),
    ("acs:cr:${region}:*:instance/${id}", ["${region}", "${id}"], "acs:cr:*:*:instance/*"),
    ("acs:cr:{#regionId}:{#accountId}:*", ["{#regionId}", "{#accountId}"], "acs:cr:*:*:*"),
    ("acs:cr:*:*:repository/<instanceId>/*", ["<instanceId>"], "acs:cr:*:*:repository/*/*"),
    ("acs:cr:*:*:repository/cri-x/*", [], "acs:cr:*:*:repository/cri-x/*"),
])
def test_placeholders_are_found_and_widened(value: str, found: list[str], widened: str) -> None:
    """Template placeholders from the docs are detected; their worst case is `*`."""
    assert placeholders(value) == found
    assert widen_placeholders(value) == widened
