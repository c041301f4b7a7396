"""``instances[].image_advisor:``: how large an image may be before on-demand loading is advised.

``report`` only reports; ``enforce`` also creates the repository's ``ACCELERATED_IMAGE`` build
rule where the instance's edition and region allow it (never with ``dry_run``). Push events are
checked for every repository of the instance except the ``ignore`` patterns; the daily sweep
checks the repositories matching ``repositories`` (none when empty).
"""

from __future__ import annotations

import fnmatch
import re
from typing import Annotated, Literal

from acrguard.advisor.sizes import GiB, parse_size
from acrguard.config.base import Strict
from acrguard.config.schema import AfterValidator, BeforeValidator, Field

_PATTERN = re.compile(r"^[a-z0-9*?][a-z0-9._*?-]*/[a-z0-9*?][a-z0-9._/*?-]*$")


def _repo_pattern(value: str) -> str:
    if not _PATTERN.match(value):
        raise ValueError(f"expected a namespace/repository pattern such as apps/web or apps/* (lower case, "
                         f"wildcards * and ?), got {value!r}")
    return value


def _size(value: object) -> int:
    return parse_size(value)  # type: ignore[arg-type]


RepoPattern = Annotated[str, AfterValidator(_repo_pattern)]
Size = Annotated[int, BeforeValidator(_size), Field(ge=1)]


class ImageAdvisorConfig(Strict):
    """Policy of the image weight advisor for one instance."""

    policy: Literal["report", "enforce"] = "report"
    size_threshold: Size = Field(default=GiB, description="images larger than this (bytes, or 1GiB, 800MB...) "
                                                          "should load on demand")
    repositories: tuple[RepoPattern, ...] = Field(default=(), description="namespace/repository patterns the "
                                                                          "daily sweep checks")
    ignore: tuple[RepoPattern, ...] = Field(default=(), description="namespace/repository patterns never checked")
    tags_per_repository: int = Field(default=5, ge=1, le=100, description="newest tags a sweep looks at")

    def sweeps(self, namespace: str, name: str) -> bool:
        """Whether the daily sweep checks ``namespace/name``."""
        return self._matches(self.repositories, namespace, name) and self.watches(namespace, name)

    def watches(self, namespace: str, name: str) -> bool:
        """Whether a push to ``namespace/name`` is checked (every repository not ignored)."""
        return not self._matches(self.ignore, namespace, name)

    @staticmethod
    def _matches(patterns: tuple[str, ...], namespace: str, name: str) -> bool:
        full = f"{namespace}/{name}"
        return any(fnmatch.fnmatchcase(full, p) for p in patterns)
