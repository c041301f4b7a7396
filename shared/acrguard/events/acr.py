"""ACR's own events: ``cr:Artifact:*`` from EventBridge, and the legacy per-repository webhook body.

``cr:Artifact:*`` (source ``acs.cr``): the only published ``data`` sample is BuildCompleted, with
PascalCase keys ``InstanceId``, ``InstanceName``, ``RegionId``, ``RepoId``, ``RepoName``,
``RepoNamespaceName``, ``RepoBuildType``, ``BuildStatus``, ``Tag``, ``ImageUpdate`` (local time,
``YYYY-MM-DD HH:MM:SS``). No sample is published for PushCompleted, ScanCompleted and the others
(https://www.alibabacloud.com/help/en/eventbridge/user-guide/container-registry-events), so each field is
looked up under a few plausible
names (our guesses, listed in ``_ALIASES``), unknown keys are ignored, and the raw ``data`` is kept
so that a parse miss can be shown.

The legacy webhook (not EventBridge) POSTs ``{push_data{digest, pushed_at, tag}, repository{
date_created, name, namespace, region, repo_authentication_type, repo_full_name, repo_origin_type,
repo_type}}`` (https://www.alibabacloud.com/help/doc-detail/60949.htm). acrguard recognises it and
explains it, but does not act on it: it carries no event id and is not delivered by EventBridge.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from acrguard.events._fields import Ctx, as_object, describe_type, get_object, get_str, lookup

#: field -> the ``data`` keys it may be found under (case-insensitive), most likely first
_ALIASES: dict[str, tuple[str, ...]] = {
    "instance_id": ("InstanceId",),
    "instance_name": ("InstanceName",),
    "region_id": ("RegionId", "Region"),
    "namespace": ("RepoNamespaceName", "RepoNamespace", "NamespaceName", "Namespace"),
    "repository": ("RepoName", "RepositoryName", "Repository"),
    "repo_id": ("RepoId", "RepositoryId"),
    "tag": ("Tag", "ImageTag", "TagName"),
    "digest": ("Digest", "ImageDigest", "ManifestDigest"),
    "status": ("Status", "PushStatus", "BuildStatus", "ScanStatus", "SigningStatus", "SyncStatus",
               "SynchronizationStatus", "DeliveryChainStatus"),
    "image_update": ("ImageUpdate", "ImageUpdateTime", "PushTime"),
}
_INSTANCE_IN_TEXT = re.compile(r"\bcri-[a-z0-9]+\b")


def _first_str(data: Mapping[str, Any], names: tuple[str, ...], ctx: Ctx) -> str | None:
    """The first of ``names`` holding a string or number; a wrong type is an error only if nothing else matched."""
    wrong: tuple[str, Any] | None = None
    for name in names:
        key, value = lookup(data, name)
        if key is None or value is None or value == "":
            continue
        if isinstance(value, str):
            if len(value) > 1024:
                ctx.key(key).fail(f"is {len(value)} characters long; at most 1024 are accepted")
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        wrong = wrong or (key, value)
    if wrong is not None:
        ctx.key(wrong[0]).fail(f"expected a string, found {describe_type(wrong[1])}")
    return None


def _size(data: Mapping[str, Any], ctx: Ctx) -> int | None:
    key, value = lookup(data, "ImageSize", "Size")
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    ctx.key(key or "ImageSize").fail(f"expected a size in bytes, found {describe_type(value)}")


@dataclass(frozen=True)
class AcrArtifactEvent:
    """A ``cr:Artifact:<event>`` payload: which image of which repository of which instance."""

    event: str  # PushCompleted, BuildCompleted, ScanCompleted, ...
    instance_id: str | None = None
    instance_name: str | None = None
    region_id: str | None = None
    namespace: str | None = None
    repository: str | None = None
    repo_id: str | None = None
    tag: str | None = None
    digest: str | None = None
    status: str | None = None
    image_size: int | None = None
    image_update: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def repo_full_name(self) -> str | None:
        """``namespace/repository`` when both are known."""
        return f"{self.namespace}/{self.repository}" if self.namespace and self.repository else None

    @property
    def image(self) -> str | None:
        """``namespace/repository:tag`` (or ``@digest``) when known, for messages."""
        if not self.repo_full_name:
            return None
        if self.tag:
            return f"{self.repo_full_name}:{self.tag}"
        return f"{self.repo_full_name}@{self.digest}" if self.digest else self.repo_full_name


def parse_acr_artifact(event: str, data: Any, ctx: Ctx, *, subject: str | None = None) -> AcrArtifactEvent:
    """Type the ``data`` of a ``cr:Artifact:<event>`` CloudEvent (absent or null data gives empty fields)."""
    obj = {} if data is None or data == "" else as_object(data, ctx)
    values = {name: _first_str(obj, aliases, ctx) for name, aliases in _ALIASES.items()}
    if values["instance_id"] is None and subject:
        found = _INSTANCE_IN_TEXT.search(subject)
        values["instance_id"] = found.group(0) if found else None
    return AcrArtifactEvent(event=event, image_size=_size(obj, ctx), raw=obj, **values)


@dataclass(frozen=True)
class LegacyAcrWebhook:
    """The body of ACR's per-repository webhook (recognised, explained, not handled)."""

    tag: str | None = None
    digest: str | None = None
    pushed_at: str | None = None
    repo_name: str | None = None
    namespace: str | None = None
    region: str | None = None
    repo_full_name: str | None = None
    repo_type: str | None = None

    @property
    def correlation_id(self) -> str:
        """No event id exists: the repository, tag and digest identify the push."""
        return f"acr-webhook:{self.repo_full_name or '?'}:{self.tag or '?'}@{self.digest or '?'}"


def looks_like_legacy_webhook(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` has the webhook's two top-level members."""
    return lookup(obj, "push_data")[0] is not None and lookup(obj, "repository")[0] is not None


def parse_legacy_webhook(obj: Mapping[str, Any], ctx: Ctx) -> LegacyAcrWebhook:
    """Type a legacy webhook body (both ``push_data`` and ``repository`` must be objects)."""
    push = get_object(obj, "push_data", ctx, required=True) or {}
    repo = get_object(obj, "repository", ctx, required=True) or {}
    pctx, rctx = ctx.key("push_data"), ctx.key("repository")
    namespace, name = get_str(repo, "namespace", rctx), get_str(repo, "name", rctx)
    return LegacyAcrWebhook(
        tag=get_str(push, "tag", pctx), digest=get_str(push, "digest", pctx),
        pushed_at=get_str(push, "pushed_at", pctx, max_chars=64),
        repo_name=name, namespace=namespace, region=get_str(repo, "region", rctx),
        repo_full_name=get_str(repo, "repo_full_name", rctx) or (f"{namespace}/{name}" if namespace and name else None),
        repo_type=get_str(repo, "repo_type", rctx))
