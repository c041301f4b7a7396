"""The decision for one repository: nothing, advise, or enable."""

from __future__ import annotations

import pytest

from acrguard.advisor.decide import Action, Observation, decide
from acrguard.advisor.edition import Edition
from acrguard.advisor.model import Acceleration, ImageTag, RepoRef
from acrguard.advisor.sizes import GiB
from acrguard.config.advisor import ImageAdvisorConfig

REPO = RepoRef("cri-test0000000000001", "apps", "web", "crr-web")
ADVANCED = Edition("Enterprise_Advanced", "cn-hangzhou")
REPORT, ENFORCE = ImageAdvisorConfig(), ImageAdvisorConfig(policy="enforce")


def obs(size: int, *, accelerated: bool = False, edition: Edition | None = ADVANCED) -> Observation:
    return Observation("test", REPO, ImageTag("v1", "sha256:x", size),
                       Acceleration("crabr-1" if accelerated else None), edition)


def test_small_images_and_accelerated_repositories_need_nothing():
    """At or under the threshold, or already on demand: nothing to say."""
    assert decide(obs(GiB), ENFORCE, dry_run=False).action is Action.NOTHING
    assert decide(obs(2 * GiB, accelerated=True), ENFORCE, dry_run=False).action is Action.NOTHING


def test_report_policy_only_advises():
    """``report`` advises even where a rule could be created."""
    assert decide(obs(2 * GiB), REPORT, dry_run=False).action is Action.ADVISE


def test_enforce_enables_on_advanced():
    """``enforce`` on an Advanced instance creates the rule."""
    assert decide(obs(2 * GiB), ENFORCE, dry_run=False).action is Action.ENABLE


@pytest.mark.parametrize(("edition", "word"), [(Edition("Enterprise_Basic", "cn-hangzhou"), "Basic"),
                                               (Edition("Enterprise_Advanced", "cn-shanghai-finance-1"), "region"),
                                               (None, "edition")])
def test_enforce_only_advises_where_a_rule_would_fail(edition, word):
    """Basic instances, finance/gov regions and unknown editions get advice, with the reason in the note."""
    decision = decide(obs(2 * GiB, edition=edition), ENFORCE, dry_run=False)
    assert decision.action is Action.ADVISE and word in decision.note


def test_dry_run_never_enables():
    """With dry_run, enforce says what it would do instead of doing it."""
    decision = decide(obs(2 * GiB), ENFORCE, dry_run=True)
    assert decision.action is Action.ADVISE and "dry_run" in decision.note
