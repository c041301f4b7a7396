"""The state store interface: one small JSON document, read whole and written with a version check.

acrguard's state is small (last-seen times and hold-down counters, the notification log,
processed event ids), so each backend stores one JSON document with a version. ``update`` reads
it, lets the caller change it, and writes it back only if nobody else wrote in between; on a
conflict it re-reads and re-applies the change (bounded). Writers are also serialized by FC
reserved concurrency 1; the version check is the second line of defence.

A document that cannot be parsed is reported (``StateError``), never silently replaced.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from acrguard.errors import StateConflict

T = TypeVar("T")
SCHEMA_VERSION = 1


@dataclass
class Snapshot:
    """The state document and the version it was read at (None: the document does not exist yet)."""

    data: dict[str, Any] = field(default_factory=dict)
    version: str | None = None


class StateStore(ABC):
    """Where acrguard keeps its state between invocations."""

    #: how many times ``update`` re-applies a change after losing a race
    max_conflict_retries: int = 5

    @abstractmethod
    def load(self) -> Snapshot:
        """Read the whole document (an empty snapshot if none exists); ``StateError`` if unreadable."""

    @abstractmethod
    def save(self, snapshot: Snapshot) -> Snapshot:
        """Write ``snapshot.data`` if the stored version is still ``snapshot.version``.

        Returns the new snapshot (with its new version); raises ``StateConflict`` otherwise.
        """

    def update(self, change: Callable[[dict[str, Any]], T]) -> T:
        """Apply ``change`` to the document and save it, re-applying on a conflict.

        ``change`` mutates the dict it is given and may return a value, which ``update`` returns.
        Nothing is written when ``change`` leaves the document as it was.
        """
        for _attempt in range(self.max_conflict_retries + 1):
            snapshot = self.load()
            before = copy.deepcopy(snapshot.data)
            result = change(snapshot.data)
            if snapshot.data == before:
                return result
            snapshot.data.setdefault("schema", SCHEMA_VERSION)
            try:
                self.save(snapshot)
            except StateConflict:
                continue
            return result
        raise StateConflict(f"state changed underneath us {self.max_conflict_retries + 1} times in a row; "
                            "is another writer running without reserved concurrency 1?")

    def section(self, name: str) -> dict[str, Any]:
        """A read-only copy of one top-level section (``{}`` when absent)."""
        return copy.deepcopy(self.load().data.get(name, {}))

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (connections)."""
