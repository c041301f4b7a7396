"""What the advisor observes: repositories, tags, acceleration rules and the instance's edition."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: tag suffixes of the accelerated variants ACR writes itself (index-only and full mode); checking
#: them would advise on ACR's own conversion output
#: (https://help.aliyun.com/en/acr/user-guide/load-resources-of-a-container-image-on-demand; ACS docs)
ACCELERATED_SUFFIXES: tuple[str, ...] = ("_accelerated", "_containerd_accelerated")


_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


def normalize_digest(value: str | None) -> str:
    """A manifest digest as ``sha256:<hex>``, whichever form the source used ("" when unknown).

    ``GetRepoTag`` and ``ListRepoTag`` answer bare hex (their API pages' and the SDK docstrings'
    example: ``67bfbcc12b67...``); push events and registries use ``sha256:<hex>``. Both compare equal
    once normalized; anything else is kept as it came.
    """
    text = (value or "").strip()
    if _HEX_DIGEST.fullmatch(text):
        return "sha256:" + text.lower()
    if text.lower().startswith("sha256:") and _HEX_DIGEST.fullmatch(text[7:]):
        return "sha256:" + text[7:].lower()
    return text


def is_accelerated_variant(tag: str) -> bool:
    """Whether ``tag`` is an accelerated variant ACR produced (``v1_accelerated``...)."""
    return tag.endswith(ACCELERATED_SUFFIXES)


@dataclass(frozen=True)
class RepoRef:
    """A repository of an instance; ``repo_id`` (``crr-…``) once looked up."""

    instance_id: str
    namespace: str
    name: str
    repo_id: str | None = None

    @property
    def full_name(self) -> str:
        """``namespace/name``."""
        return f"{self.namespace}/{self.name}"

    @property
    def key(self) -> str:
        """``<instance>/<namespace>/<name>``: the finding's resource and scope (one per repository)."""
        return f"{self.instance_id}/{self.namespace}/{self.name}"


@dataclass(frozen=True)
class ImageTag:
    """One tag as ``GetRepoTag`` / ``ListRepoTag`` report it (``size`` in bytes, ``digest`` normalized)."""

    tag: str
    digest: str
    size: int
    updated_ms: int | None = None
    status: str | None = None


@dataclass(frozen=True)
class Acceleration:
    """The repository's ``ACCELERATED_IMAGE`` build rule, if it has one."""

    build_rule_id: str | None = None
    index_only: bool = False

    @property
    def enabled(self) -> bool:
        """Whether the repository's images are converted for on-demand loading."""
        return self.build_rule_id is not None
