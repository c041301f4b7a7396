"""cr repositories, tags and artifact build rules in the local cloud, through the real SDK."""

from __future__ import annotations

import json
import re

import pytest
from alibabacloud_cr20181201 import models

from acrguard.clients import call
from acrguard.errors import CloudCallError
from acrguard.events import decode_events, route
from support import ACCOUNT, INSTANCE_ID, REGION, base_world

BASIC_ID = "cri-basic000000000001"
STANDARD_ID = "cri-standard000000001"
HEX64 = re.compile(r"[0-9a-f]{64}")
TAGS = 150


@pytest.fixture
def world():
    data = base_world()
    instances = data["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"]
    instances[0]["repositories"] = [
        {"namespace": "apps", "name": "web", "id": "crr-web0000000000001",
         "tags": [{"tag": f"t{i:03d}", "image_size": 1000 + i, "image_update": 1735689600000 + i * 1000}
                  for i in range(TAGS)]},
        {"namespace": "apps", "name": "fast", "accelerated": True, "build_rule_id": "crabr-fast00000001",
         "tags": [{"tag": "v1", "image_size": 5}]},
    ]
    instances.append({"id": BASIC_ID, "name": "basicreg", "specification": "Enterprise_Basic",
                      "repositories": [{"namespace": "apps", "name": "web", "tags": []}]})
    instances.append({"id": STANDARD_ID, "name": "stdreg", "specification": "Enterprise_Standard",
                      "repositories": [{"namespace": "apps", "name": "web", "tags": []}]})
    return data


def cr(factory, api: str, request):
    method = "".join("_" + c.lower() if c.isupper() else c for c in api).lstrip("_")
    return call("cr", api, getattr(factory.cr(), method), request)


def test_repository_is_found_by_name_or_id_and_a_missing_one_is_repo_not_exist(factory):
    """GetRepository maps namespace + name to RepoId; an unknown repository is REPO_NOT_EXIST.

    Source: alibabacloud_cr20181201/models/_get_repository_request.py; Terraform alicloud/service_alicloud_cr_ee.go
    (DescribeCrEERepo).
    """
    body = cr(factory, "GetRepository", models.GetRepositoryRequest(instance_id=INSTANCE_ID, repo_namespace_name="apps",
                                                                     repo_name="web"))
    assert (body.repo_id, body.repo_namespace_name, body.repo_name) == ("crr-web0000000000001", "apps", "web")
    by_id = cr(factory, "GetRepository", models.GetRepositoryRequest(instance_id=INSTANCE_ID, repo_id=body.repo_id))
    assert by_id.repo_name == "web"
    with pytest.raises(CloudCallError) as error:
        cr(factory, "GetRepository", models.GetRepositoryRequest(instance_id=INSTANCE_ID, repo_namespace_name="apps",
                                                                 repo_name="nope"))
    assert error.value.code == "REPO_NOT_EXIST"


def test_list_repository_pages_and_counts_as_text(factory):
    """ListRepository pages by PageNo/PageSize and answers TotalCount as a string, as the model types it.

    Source: alibabacloud_cr20181201/models/_list_repository_response_body.py.
    """
    first = cr(factory, "ListRepository", models.ListRepositoryRequest(instance_id=INSTANCE_ID, page_no=1,
                                                                        page_size=1))
    second = cr(factory, "ListRepository", models.ListRepositoryRequest(instance_id=INSTANCE_ID, page_no=2,
                                                                         page_size=1))
    assert first.total_count == "2"
    assert [r.repo_name for r in first.repositories + second.repositories] == ["fast", "web"]


def test_list_repo_tag_pages_newest_first(factory):
    """ListRepoTag returns at most 100 tags a page, newest ImageUpdate first, with sizes and digests.

    Source: alibabacloud_cr20181201/models/_list_repo_tag_request.py (100 a page); the order: emulator's choice.
    """
    pages = [cr(factory, "ListRepoTag", models.ListRepoTagRequest(instance_id=INSTANCE_ID, page_no=n, page_size=100,
                                                                  repo_id="crr-web0000000000001")) for n in (1, 2)]
    tags = [i for page in pages for i in page.images]
    assert [len(p.images) for p in pages] == [100, TAGS - 100]
    assert pages[0].total_count == str(TAGS)
    assert tags[0].tag == f"t{TAGS - 1:03d}" and tags[-1].tag == "t000"
    assert tags[0].image_size == 1000 + TAGS - 1 and HEX64.fullmatch(tags[0].digest)


def test_get_repo_tag_reports_size_and_a_bare_hex_digest_or_tag_not_exist(cloud, factory):
    """GetRepoTag answers ImageSize (bytes) and Digest as bare hex (API example); an unknown tag is TAG_NOT_EXIST.

    Source: alibabacloud_cr20181201/models/_get_repo_tag_response_body.py (Digest example); TAG_NOT_EXIST: emulator's
    choice.
    """
    body = cr(factory, "GetRepoTag", models.GetRepoTagRequest(instance_id=INSTANCE_ID, repo_id="crr-web0000000000001",
                                                              tag="t007"))
    assert body.image_size == 1007 and HEX64.fullmatch(body.digest) and body.status == "NORMAL"
    with pytest.raises(CloudCallError) as error:
        cr(factory, "GetRepoTag", models.GetRepoTagRequest(instance_id=INSTANCE_ID, repo_id="crr-web0000000000001",
                                                           tag="nope"))
    assert error.value.code == "TAG_NOT_EXIST"
    assert cloud.requests.filter(action="GetRepoTag")[-1].status == 200


def test_a_seeded_sha256_digest_is_answered_bare(cloud, factory):
    """A digest seeded (or pushed) as ``sha256:<hex>`` is answered by the tag APIs without the prefix.

    Source: alibabacloud_cr20181201/models/_get_repo_tag_response_body.py, _list_repo_tag_response_body.py.
    """
    event = cloud.backend("cr", ACCOUNT, REGION).push_image(INSTANCE_ID, "apps", "web", "pushed", 42,
                                                             digest="sha256:" + "ab" * 32)
    assert event["data"]["Digest"] == "sha256:" + "ab" * 32
    body = cr(factory, "GetRepoTag", models.GetRepoTagRequest(instance_id=INSTANCE_ID, repo_id="crr-web0000000000001",
                                                              tag="pushed"))
    assert body.digest == "ab" * 32


def test_missing_repository_and_instance_answer_in_the_body(cloud, factory):
    """REPO_NOT_EXIST and INSTANCE_NOT_EXIST come as HTTP 200 with IsSuccess=false, as Terraform reads them.

    Source: Terraform alicloud/service_alicloud_cr_ee.go, alicloud/service_alicloud_cr_v2.go.
    """
    with pytest.raises(CloudCallError) as repo:
        cr(factory, "ListRepoTag", models.ListRepoTagRequest(instance_id=INSTANCE_ID, repo_id="crr-nope"))
    with pytest.raises(CloudCallError) as instance:
        cr(factory, "GetInstance", models.GetInstanceRequest(instance_id="cri-doesnotexist01"))
    assert (repo.value.code, instance.value.code) == ("REPO_NOT_EXIST", "INSTANCE_NOT_EXIST")
    assert [r.status for r in cloud.requests.filter(product="cr")] == [200, 200]


def rule_request(repo_id: str, instance_id: str = INSTANCE_ID):
    return models.GetArtifactBuildRuleRequest(instance_id=instance_id, scope_type="REPOSITORY", scope_id=repo_id,
                                              artifact_type="ACCELERATED_IMAGE")


def test_build_rule_is_missing_until_created_then_found_once(factory):
    """No rule answers ARTIFACT_BUILD_RULE_NOT_EXIST; CreateArtifactBuildRule makes one; a second is refused.

    Source: emulator's choice (the codes; no error table is published).
    """
    with pytest.raises(CloudCallError) as error:
        cr(factory, "GetArtifactBuildRule", rule_request("crr-web0000000000001"))
    assert error.value.code == "ARTIFACT_BUILD_RULE_NOT_EXIST"
    created = cr(factory, "CreateArtifactBuildRule", models.CreateArtifactBuildRuleRequest(
        instance_id=INSTANCE_ID, scope_type="REPOSITORY", scope_id="crr-web0000000000001",
        artifact_type="ACCELERATED_IMAGE", parameters={"ImageIndexOnly": True}))
    found = cr(factory, "GetArtifactBuildRule", rule_request("crr-web0000000000001"))
    assert found.build_rule_id == created.build_rule_id and found.build_rule_id.startswith("crabr-")
    assert found.parameters.image_index_only is True and found.scope_type == "REPOSITORY"
    with pytest.raises(CloudCallError) as again:
        cr(factory, "CreateArtifactBuildRule", models.CreateArtifactBuildRuleRequest(
            instance_id=INSTANCE_ID, scope_type="REPOSITORY", scope_id="crr-web0000000000001",
            artifact_type="ACCELERATED_IMAGE"))
    assert again.value.code == "ARTIFACT_BUILD_RULE_ALREADY_EXIST"


def test_seeded_acceleration_is_a_rule(factory):
    """A repository seeded with ``accelerated: true`` has its ACCELERATED_IMAGE rule."""
    repo = cr(factory, "GetRepository", models.GetRepositoryRequest(instance_id=INSTANCE_ID,
                                                                     repo_namespace_name="apps", repo_name="fast"))
    assert cr(factory, "GetArtifactBuildRule", rule_request(repo.repo_id)).build_rule_id == "crabr-fast00000001"


def test_basic_instances_cannot_create_acceleration_rules(cloud, factory):
    """CreateArtifactBuildRule is refused on a Basic instance, and nothing is stored.

    Source: both CreateArtifactBuildRule pages exclude Basic; the code: emulator's choice.
    """
    repo = cr(factory, "GetRepository", models.GetRepositoryRequest(instance_id=BASIC_ID, repo_namespace_name="apps",
                                                                     repo_name="web"))
    with pytest.raises(CloudCallError) as error:
        cr(factory, "CreateArtifactBuildRule", models.CreateArtifactBuildRuleRequest(
            instance_id=BASIC_ID, scope_type="REPOSITORY", scope_id=repo.repo_id, artifact_type="ACCELERATED_IMAGE"))
    assert error.value.code == "UNSUPPORTED_INSTANCE_SPECIFICATION"
    assert cloud.backend("cr", ACCOUNT, REGION).instances[BASIC_ID].build_rules == []


def test_standard_instances_may_create_acceleration_rules_as_the_chinese_page_says(cloud, factory):
    """A Standard instance creates the rule (Chinese page: Standard and Advanced).

    Source: https://help.aliyun.com/document_detail/601109.html.
    """
    repo = cr(factory, "GetRepository", models.GetRepositoryRequest(instance_id=STANDARD_ID,
                                                                     repo_namespace_name="apps", repo_name="web"))
    created = cr(factory, "CreateArtifactBuildRule", models.CreateArtifactBuildRuleRequest(
        instance_id=STANDARD_ID, scope_type="REPOSITORY", scope_id=repo.repo_id, artifact_type="ACCELERATED_IMAGE"))
    assert created.build_rule_id.startswith("crabr-")


def test_a_world_may_answer_as_the_english_page_advanced_only(cloud, factory):
    """With ``acceleration_editions: [Enterprise_Advanced]`` a Standard instance is refused.

    Source: https://alibabacloud.com/help/en/acr/developer-reference/api-cr-2018-12-01-createartifactbuildrule.
    """
    cloud.backend("cr", ACCOUNT, REGION).instances[STANDARD_ID].extra["acceleration_editions"] = [
        "Enterprise_Advanced"]
    repo = cr(factory, "GetRepository", models.GetRepositoryRequest(instance_id=STANDARD_ID,
                                                                     repo_namespace_name="apps", repo_name="web"))
    with pytest.raises(CloudCallError) as error:
        cr(factory, "CreateArtifactBuildRule", models.CreateArtifactBuildRuleRequest(
            instance_id=STANDARD_ID, scope_type="REPOSITORY", scope_id=repo.repo_id,
            artifact_type="ACCELERATED_IMAGE"))
    assert error.value.code == "UNSUPPORTED_INSTANCE_SPECIFICATION"


def test_other_scope_and_artifact_types_are_invalid_parameters(factory):
    """Only REPOSITORY scope and ACCELERATED_IMAGE artifacts are emulated; others are InvalidParameter.

    Source: emulator's choice.
    """
    with pytest.raises(CloudCallError) as error:
        cr(factory, "GetArtifactBuildRule", models.GetArtifactBuildRuleRequest(
            instance_id=INSTANCE_ID, scope_type="NAMESPACE", scope_id="x", artifact_type="ACCELERATED_IMAGE"))
    assert error.value.code == "InvalidParameter"


def test_push_stores_the_tag_and_returns_a_routable_event(cloud, factory):
    """push_image records the tag (GetRepoTag sees it) and returns a PushCompleted event routed to the advisor.

    Source: https://www.alibabacloud.com/help/en/eventbridge/user-guide/container-registry-events (type); the extra
    keys: emulator's choice.
    """
    event = cloud.backend("cr", ACCOUNT, REGION).push_image(INSTANCE_ID, "apps", "new", "v9", 42)
    repo = cr(factory, "GetRepository", models.GetRepositoryRequest(instance_id=INSTANCE_ID, repo_namespace_name="apps",
                                                                     repo_name="new"))
    tag = cr(factory, "GetRepoTag", models.GetRepoTagRequest(instance_id=INSTANCE_ID, repo_id=repo.repo_id, tag="v9"))
    assert tag.image_size == 42 and "sha256:" + tag.digest == event["data"]["Digest"]
    routed = route(decode_events(json.dumps(event).encode())[0])
    assert routed.functions == ("image_advisor",)
    assert f"cr-tag/{INSTANCE_ID}/apps/new:v9" in {str(r) for r in routed.resources}


def test_a_bad_repository_seed_names_its_place():
    """A tag seeded without an integer size is a world error that says where it is."""
    from localcloud import LocalCloud

    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"][0]["repositories"] = [
        {"namespace": "apps", "name": "web", "tags": [{"tag": "v1", "image_size": "big"}]}]
    with pytest.raises(ValueError, match=r"instances\[0\]\.repositories\[0\]\.tags\[0\].*image_size"):
        LocalCloud(data)
