"""Reads through the cr SDK: the instance's edition, repositories, tags and acceleration rules.

Not-found answers become ``None`` (the repository or tag went away since the push: nothing to
advise). ACR answers them with ``Code=REPO_NOT_EXIST`` (terraform-provider-alicloud,
``alicloud/service_alicloud_cr_ee.go`` ``DescribeCrEERepo``), ``TAG_NOT_EXIST`` (by analogy; no
public client handles it), in the body with ``IsSuccess=false`` or as an error: ``acrguard.clients.call``
raises both the same way. Every other error propagates (``TransientCloudError`` makes FC retry; a
missing instance, ``INSTANCE_NOT_EXIST``, is turned into its own finding by ``run``).
``GetArtifactBuildRule`` answers a repository without a rule with an error whose code is not
published; a code naming a missing rule, or a successful answer without ``BuildRuleId``, both mean
"no rule". ``Digest`` is normalized (``model.normalize_digest``): the tag APIs answer bare hex.
"""

from __future__ import annotations

import re
from typing import Any

from acrguard.advisor.edition import Edition
from acrguard.advisor.model import Acceleration, ImageTag, RepoRef, is_accelerated_variant, normalize_digest
from acrguard.clients import ClientFactory, call
from acrguard.errors import CloudCallError, TransientCloudError

PAGE_SIZE = 100  # the most ListRepository / ListRepoTag return per page
MAX_PAGES = 20  # at most 2,000 tags or repositories are listed per repository or instance
_REPO_GONE = ("REPO_NOT_EXIST", "NAMESPACE_NOT_EXIST")
_TAG_GONE = ("TAG_NOT_EXIST", *_REPO_GONE)
_NO_RULE = re.compile(r"RULE.*(NOT_?EXIST|NOT_?FOUND)", re.IGNORECASE)
#: codes of an instance that is not there, or not usable now (terraform-provider-alicloud: NotFound)
INSTANCE_GONE = ("INSTANCE_NOT_EXIST", "INSTANCE_STATUS_NOT_SUPPORT")


def instance_gone(exc: CloudCallError) -> bool:
    """Whether ``exc`` says the instance is missing (or in a state without this operation)."""
    return not isinstance(exc, TransientCloudError) and (exc.code or "").upper() in INSTANCE_GONE


def _models() -> Any:
    from alibabacloud_cr20181201 import models

    return models


def _gone(exc: CloudCallError, codes: tuple[str, ...]) -> bool:
    return not isinstance(exc, TransientCloudError) and (exc.code or "").upper() in codes


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def instance_edition(factory: ClientFactory, region: str, instance_id: str) -> Edition:
    """``GetInstance``: the ``InstanceSpecification`` (``Enterprise_Basic``…) and name, with the region."""
    body = call("cr", "GetInstance", factory.cr(region).get_instance,
                _models().GetInstanceRequest(instance_id=instance_id))
    return Edition(specification=body.instance_specification or "", region=region,
                   instance_name=body.instance_name or "")


def find_repository(factory: ClientFactory, region: str, instance_id: str, namespace: str,
                    name: str) -> RepoRef | None:
    """``GetRepository`` by namespace and name: the repository with its ``RepoId`` (None when gone)."""
    try:
        body = call("cr", "GetRepository", factory.cr(region).get_repository,
                    _models().GetRepositoryRequest(instance_id=instance_id, repo_namespace_name=namespace,
                                                   repo_name=name))
    except CloudCallError as exc:
        if _gone(exc, _REPO_GONE):
            return None
        raise
    return RepoRef(instance_id, body.repo_namespace_name or namespace, body.repo_name or name, body.repo_id)


def list_repositories(factory: ClientFactory, region: str, instance_id: str) -> list[RepoRef]:
    """``ListRepository``, every page (``PageSize`` 100, at most ``MAX_PAGES``)."""
    found: list[RepoRef] = []
    for page in range(1, MAX_PAGES + 1):
        body = call("cr", "ListRepository", factory.cr(region).list_repository,
                    _models().ListRepositoryRequest(instance_id=instance_id, page_no=page, page_size=PAGE_SIZE))
        items = body.repositories or []
        found += [RepoRef(instance_id, r.repo_namespace_name, r.repo_name, r.repo_id) for r in items
                  if r.repo_namespace_name and r.repo_name and r.repo_id]
        total = _int(body.total_count)
        if len(items) < PAGE_SIZE or (total is not None and page * PAGE_SIZE >= total):
            break
    return found


def get_tag(factory: ClientFactory, region: str, repo: RepoRef, tag: str) -> ImageTag | None:
    """``GetRepoTag``: the tag's live ``ImageSize`` and ``Digest`` (None when the tag is gone)."""
    try:
        body = call("cr", "GetRepoTag", factory.cr(region).get_repo_tag,
                    _models().GetRepoTagRequest(instance_id=repo.instance_id, repo_id=repo.repo_id, tag=tag))
    except CloudCallError as exc:
        if _gone(exc, _TAG_GONE):
            return None
        raise
    return ImageTag(tag=body.tag or tag, digest=normalize_digest(body.digest), size=int(body.image_size or 0),
                    updated_ms=_int(body.image_update), status=body.status)


def newest_tags(factory: ClientFactory, region: str, repo: RepoRef, count: int) -> list[ImageTag]:
    """The ``count`` most recently updated tags (``ListRepoTag``, every page), accelerated variants left out.

    The order ``ListRepoTag`` answers in is not documented, so every page is read and sorted here.
    """
    tags: list[ImageTag] = []
    for page in range(1, MAX_PAGES + 1):
        body = call("cr", "ListRepoTag", factory.cr(region).list_repo_tag,
                    _models().ListRepoTagRequest(instance_id=repo.instance_id, repo_id=repo.repo_id, page_no=page,
                                                 page_size=PAGE_SIZE))
        items = body.images or []
        tags += [ImageTag(tag=i.tag, digest=normalize_digest(i.digest), size=int(i.image_size or 0),
                          updated_ms=_int(i.image_update), status=i.status)
                 for i in items if i.tag and not is_accelerated_variant(i.tag)]
        total = _int(body.total_count)
        if len(items) < PAGE_SIZE or (total is not None and page * PAGE_SIZE >= total):
            break
    tags.sort(key=lambda t: (t.updated_ms or 0, t.tag), reverse=True)
    return tags[:count]


def acceleration(factory: ClientFactory, region: str, repo: RepoRef) -> Acceleration:
    """``GetArtifactBuildRule`` (``ScopeType=REPOSITORY``, ``ArtifactType=ACCELERATED_IMAGE``) for the repository."""
    try:
        body = call("cr", "GetArtifactBuildRule", factory.cr(region).get_artifact_build_rule,
                    _models().GetArtifactBuildRuleRequest(instance_id=repo.instance_id, scope_type="REPOSITORY",
                                                          scope_id=repo.repo_id, artifact_type="ACCELERATED_IMAGE"))
    except CloudCallError as exc:
        if not isinstance(exc, TransientCloudError) and _NO_RULE.search(exc.code or ""):
            return Acceleration()
        raise
    if not body.build_rule_id:
        return Acceleration()
    parameters = body.parameters
    return Acceleration(build_rule_id=body.build_rule_id,
                        index_only=bool(getattr(parameters, "image_index_only", False)))
