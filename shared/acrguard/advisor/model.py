"""What the advisor observes: repositories, tags, acceleration rules and the instance's edition."""

from __future__ import annotations

from dataclasses import dataclass

#: tag suffixes of the accelerated variants ACR writes itself (index-only and full mode); checking
#: them would advise on ACR's own conversion output (``shared/reference/acr-network.md`` §5; ACS docs)
ACCELERATED_SUFFIXES: tuple[str, ...] = ("_accelerated", "_containerd_accelerated")


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
    """One tag as ``GetRepoTag`` / ``ListRepoTag`` report it (``size`` in bytes)."""

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
