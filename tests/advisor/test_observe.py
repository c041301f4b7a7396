"""Reads through the cr SDK: paging, newest tags, gone resources, the edition."""

from __future__ import annotations

import pytest

from acrguard.advisor import observe
from acrguard.advisor.model import RepoRef, normalize_digest
from acrguard.errors import CloudCallError, TransientCloudError
from support import ACCOUNT, INSTANCE_ID, REGION, make_factory
from tests.advisor.helpers import BASIC_ID, SMALL, push


def test_every_repository_is_listed_across_pages(cloud):
    """ListRepository is paged 100 at a time until every repository is seen."""
    for i in range(130):
        cloud.backend("cr", ACCOUNT, REGION).push_image(INSTANCE_ID, "bulk", f"r{i:03d}", "v1", SMALL)
    repos = observe.list_repositories(make_factory(cloud), REGION, INSTANCE_ID)
    assert len([r for r in repos if r.namespace == "bulk"]) == 130 and all(r.repo_id for r in repos)
    assert cloud.requests.count("cr", "ListRepository") == 2


def test_newest_tags_leave_out_accelerated_variants(cloud):
    """ACR's own ``_accelerated`` variants are not images to advise on."""
    push(cloud, "apps/web", "v9_accelerated", SMALL)
    push(cloud, "apps/web", "v9_containerd_accelerated", SMALL)
    cloud.advance(1)
    push(cloud, "apps/web", "v9", SMALL)
    repo = observe.find_repository(make_factory(cloud), REGION, INSTANCE_ID, "apps", "web")
    tags = observe.newest_tags(make_factory(cloud), REGION, repo, 10)
    assert tags[0].tag == "v9" and not any("accelerated" in t.tag for t in tags)


def test_gone_repositories_and_tags_are_none(cloud):
    """A repository or tag deleted since the push reads as None, not as an error."""
    factory = make_factory(cloud)
    assert observe.find_repository(factory, REGION, INSTANCE_ID, "apps", "deleted") is None
    repo = observe.find_repository(factory, REGION, INSTANCE_ID, "apps", "web")
    assert observe.get_tag(factory, REGION, repo, "deleted") is None


def test_unknown_is_not_absent(cloud):
    """A transient failure reading the rule raises; it is never taken as "no acceleration"."""
    cloud.inject(action="GetArtifactBuildRule", code="ServiceUnavailable", status=503)
    with pytest.raises(TransientCloudError):
        observe.acceleration(make_factory(cloud), REGION, RepoRef(INSTANCE_ID, "apps", "fast", "crr-fast000000000001"))


def test_the_edition_comes_from_get_instance(cloud):
    """GetInstance gives the specification and the instance's name."""
    basic = observe.instance_edition(make_factory(cloud), REGION, BASIC_ID)
    assert (basic.specification, basic.instance_name, basic.obstacle) == ("Enterprise_Basic", "basicreg", "basic")


def test_digests_are_read_in_either_form_and_normalized(cloud):
    """GetRepoTag and ListRepoTag answer bare hex (the API example); the advisor keeps ``sha256:<hex>``."""
    factory = make_factory(cloud)
    repo = observe.find_repository(factory, REGION, INSTANCE_ID, "apps", "web")
    assert observe.get_tag(factory, REGION, repo, "v2").digest == "sha256:" + "ab" * 32
    assert {t.digest for t in observe.newest_tags(factory, REGION, repo, 10) if t.tag == "v2"} == {
        "sha256:" + "ab" * 32}


@pytest.mark.parametrize(("raw", "normalized"), [
    ("AB" * 32, "sha256:" + "ab" * 32),
    ("sha256:" + "ab" * 32, "sha256:" + "ab" * 32),
    ("SHA256:" + "AB" * 32, "sha256:" + "ab" * 32),
    (" " + "ab" * 32 + " ", "sha256:" + "ab" * 32),
    ("sha512:" + "ab" * 64, "sha512:" + "ab" * 64),
    ("abcd****", "abcd****"),
    (None, ""),
])
def test_normalize_digest_accepts_both_forms(raw, normalized):
    """Bare 64-hex and ``sha256:`` digests become one form; anything else is kept as it came."""
    assert normalize_digest(raw) == normalized


def test_a_missing_instance_is_not_a_gone_repository(cloud):
    """INSTANCE_NOT_EXIST is not "repository deleted": it raises, and ``instance_gone`` recognises it."""
    with pytest.raises(CloudCallError) as caught:
        observe.find_repository(make_factory(cloud), REGION, "cri-doesnotexist0001", "apps", "web")
    assert caught.value.code == "INSTANCE_NOT_EXIST" and observe.instance_gone(caught.value)
