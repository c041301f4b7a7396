"""enforce's write: the repository's ACCELERATED_IMAGE rule, created at most once."""

from __future__ import annotations

import pytest

from acrguard.advisor.apply import enable_acceleration
from acrguard.advisor.model import RepoRef
from acrguard.errors import TransientCloudError
from support import ACCOUNT, INSTANCE_ID, REGION, make_factory

WEB = RepoRef(INSTANCE_ID, "apps", "web", "crr-web0000000000001")
FAST = RepoRef(INSTANCE_ID, "apps", "fast", "crr-fast000000000001")


def rules_of(cloud, repo: RepoRef) -> list[str]:
    """The ids of the repository's build rules, as the local cloud stores them."""
    return [r.id for r in cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].build_rules
            if r.scope_id == repo.repo_id]


def test_an_existing_rule_is_not_created_again(cloud):
    """A repository that already loads on demand is left alone (no CreateArtifactBuildRule)."""
    enabled = enable_acceleration(make_factory(cloud), REGION, FAST)
    assert not enabled.created and enabled.build_rule_id
    assert cloud.requests.count("cr", "CreateArtifactBuildRule") == 0


def test_a_race_with_someone_else_ends_with_their_rule(cloud):
    """When the rule appears between the check and the create, the existing rule is taken, not an error."""
    cloud.inject(action="GetArtifactBuildRule", code="ARTIFACT_BUILD_RULE_NOT_EXIST", status=404, times=1)
    enabled = enable_acceleration(make_factory(cloud), REGION, FAST)
    assert not enabled.created and rules_of(cloud, FAST) == [enabled.build_rule_id]


def test_a_transient_failure_raises_and_the_retry_creates_exactly_one(cloud):
    """Throttling fails the invocation (FC retries); the retry finds nothing and creates one rule."""
    cloud.inject(action="CreateArtifactBuildRule", code="Throttling.User", status=400)
    with pytest.raises(TransientCloudError):
        enable_acceleration(make_factory(cloud), REGION, WEB)
    cloud.faults.clear()
    first = enable_acceleration(make_factory(cloud), REGION, WEB)
    second = enable_acceleration(make_factory(cloud), REGION, WEB)
    assert first.created and not second.created and first.build_rule_id == second.build_rule_id
    assert rules_of(cloud, WEB) == [first.build_rule_id]
