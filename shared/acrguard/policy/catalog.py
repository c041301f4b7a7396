"""The catalog of ACR (``cr``) RAM actions and their access levels.

Loaded from ``acrguard/data/cr_actions.json``, which ``catalog_gen`` derives from the installed
``alibabacloud-cr20181201`` SDK plus a reviewed level table. It lets ``cr:Get*`` expand to the real
actions it grants and tells a write from a read. Actions of other services are not catalogued; the
evaluator reasons about them by pattern (see ``risk``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from importlib import resources
from typing import Any

from acrguard.policy.matching import action_matches


class AccessLevel(str, Enum):
    """How an action touches its resource (the levels of the ACR authorization pages)."""

    READ = "read"
    LIST = "list"
    WRITE = "write"


@dataclass(frozen=True)
class CatalogAction:
    """One ``cr`` action: ``action`` is the full name (``cr:PullRepository``)."""

    action: str
    level: AccessLevel
    origin: str  # "sdk", "registry" (docker pull/push) or "docs" (documented alias)
    api: str | None = None
    reviewed: bool = True
    note: str = ""

    @property
    def is_write(self) -> bool:
        """Whether the action changes something."""
        return self.level is AccessLevel.WRITE


class ActionCatalog:
    """The known actions of one service, searchable by pattern."""

    def __init__(self, service: str, actions: list[CatalogAction], sdk: dict[str, Any] | None = None) -> None:
        self.service = service.lower()
        self.sdk = dict(sdk or {})
        self._by_key = {a.action.lower(): a for a in actions}

    def __iter__(self) -> Iterator[CatalogAction]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, action: object) -> bool:
        return isinstance(action, str) and action.lower() in self._by_key

    def get(self, action: str) -> CatalogAction | None:
        """The catalog entry for ``action`` (any case), or None."""
        return self._by_key.get(action.lower())

    def expand(self, pattern: str) -> list[CatalogAction]:
        """Every catalogued action the Action pattern matches (``cr:Get*Token`` -> GetAuthorizationToken)."""
        return [a for a in self._by_key.values() if action_matches(pattern, a.action)]

    def canonical(self, action: str) -> str:
        """The documented spelling of ``action`` when catalogued (``CR:pullrepository`` -> ``cr:PullRepository``)."""
        entry = self.get(action)
        return entry.action if entry else action

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ActionCatalog:
        """Build a catalog from the data file's JSON structure."""
        actions = [CatalogAction(action=row["action"], level=AccessLevel(row["level"]), origin=row["origin"],
                                 api=row.get("api"), reviewed=bool(row.get("reviewed", True)), note=row.get("note", ""))
                   for row in data["actions"]]
        return cls(data["service"], actions, data.get("sdk"))


@lru_cache(maxsize=1)
def load_catalog() -> ActionCatalog:
    """The ``cr`` catalog shipped with acrguard (read once per process)."""
    text = resources.files("acrguard").joinpath("data", "cr_actions.json").read_text(encoding="utf-8")
    return ActionCatalog.from_data(json.loads(text))
