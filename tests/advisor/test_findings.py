"""The advisor's findings: one identity per repository, and a fix worded for the edition."""

from __future__ import annotations

from acrguard.advisor.decide import Observation
from acrguard.advisor.edition import Edition
from acrguard.advisor.findings import LARGE, acceleration_enabled, large_image
from acrguard.advisor.model import Acceleration, ImageTag, RepoRef
from acrguard.config.advisor import ImageAdvisorConfig

REPO = RepoRef("cri-test0000000000001", "apps", "web", "crr-web")
POLICY = ImageAdvisorConfig()


def obs(tag: str = "v1", size: int = 1717986918, spec: str = "Enterprise_Advanced",
        region: str = "cn-hangzhou") -> Observation:
    return Observation("test", REPO, ImageTag(tag, f"sha256:{tag}", size), Acceleration(),
                       Edition(spec, region, "testreg"))


def test_large_image_finding_carries_size_repository_tag_and_digest():
    """The finding shows the size human-readable and in bytes, the repository, the tag and the digest."""
    finding = large_image(obs(), POLICY)
    assert finding.rule == LARGE and finding.job == "image_advisor"
    assert finding.resource == finding.scope == "cri-test0000000000001/apps/web"
    assert "1.6 GiB" in finding.title and "1,717,986,918 bytes" in finding.details
    assert "apps/web:v1" in finding.details and "sha256:v1" in finding.details
    assert finding.evidence["size_bytes"] == 1717986918 and finding.evidence["digest"] == "sha256:v1"


def test_one_identity_per_repository_whatever_the_tag():
    """Another large tag of the same repository is the same finding (no second alert)."""
    assert large_image(obs("v1"), POLICY).fingerprint == large_image(obs("v2", 3 * 1024 ** 3), POLICY).fingerprint


def test_the_fix_names_the_console_the_api_call_and_p2p():
    """On Standard/Advanced the fix gives the console path, the exact API call and P2P as the alternative."""
    fix = large_image(obs(), POLICY).fix
    assert "Instances > testreg > Repositories > apps/web" in fix
    assert "CreateArtifactBuildRule InstanceId=cri-test0000000000001 ScopeType=REPOSITORY ScopeId=crr-web " \
           "ArtifactType=ACCELERATED_IMAGE" in fix
    assert "P2P" in fix and "testreg-registry-vpc.distributed.cn-hangzhou.cr.aliyuncs.com:65001" in fix


def test_basic_instances_are_told_to_upgrade():
    """On Basic the fix leads with the upgrade to Standard or Advanced."""
    fix = large_image(obs(spec="Enterprise_Basic"), POLICY).fix
    assert fix.startswith("testreg is a Basic edition instance") and "upgrade it to Standard or Advanced" in fix


def test_finance_and_gov_regions_get_p2p_instead():
    """Where accelerated images are not offered, the fix does not send people to a feature that is not there."""
    fix = large_image(obs(region="cn-shanghai-finance-1"), POLICY).fix
    assert "not offered in cn-shanghai-finance-1" in fix and "CreateArtifactBuildRule" not in fix


def test_the_change_is_reported_with_its_rule_id():
    """A rule acrguard created is a LOW finding (sent by default) naming the rule."""
    finding = acceleration_enabled(obs(), POLICY, "crabr-123")
    assert finding.severity.value == "low" and "crabr-123" in finding.details
    assert finding.scope == "cri-test0000000000001/apps/web"
    assert finding.notice, "a change is told once, never announced as resolved"
