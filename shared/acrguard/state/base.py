"""The state store interface: one small JSON document, read whole and written with a version check.

acrguard's state is small (last-seen times and hold-down counters, the notification log,
processed event ids), so each backend stores one JSON document with a version. ``update`` reads
it, lets the caller change it, and writes it back only if nobody else wrote in between; on a
conflict it re-reads and re-applies the change (bounded). Writers are also serialized by FC
reserved concurrency 1; the version check is the second line of defence. Inside one process, the
threads of a job take turns in ``update`` (one lock per store), so they do not lose races to
each other; every write is still a compare-and-swap.

A document that cannot be parsed is reported (``StateError``), never silently replaced.
"""

from __future__ import annotations

import copy
import marshal
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from acrguard.errors import StateConflict

T = TypeVar("T")
SCHEMA_VERSION = 1
_LOCKS_GUARD = threading.Lock()


def _frozen(data: Any) -> bytes | None:
    """``data`` frozen as bytes (``marshal`` format 2); None when it holds something marshal cannot encode.

    Format 2 writes no object references, so the bytes depend only on the content and the key order,
    never on which objects happen to be shared. Equal bytes therefore mean an equal document, and
    ``marshal.loads`` gives back an independent copy. Both are C code, several times faster than a
    deep copy of the whole document, which ``update`` used to make for every change (after a full
    audit the document holds every alert group).
    """
    try:
        return marshal.dumps(data, 2)
    except ValueError:
        return None


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
        """Read the whole document (an empty snapshot if none exists); ``StateError`` if unreadable.

        Each call returns a document of its own (parsed afresh), which the caller may change.
        """

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
        with self._update_lock():
            for _attempt in range(self.max_conflict_retries + 1):
                snapshot = self.load()
                frozen = _frozen(snapshot.data)
                before = copy.deepcopy(snapshot.data) if frozen is None else None
                result = change(snapshot.data)
                if frozen is not None and _frozen(snapshot.data) == frozen:
                    return result  # the same bytes: untouched (the common case, decided without a copy)
                if before is None and frozen is not None:
                    before = marshal.loads(frozen)  # the document as read, to compare by value (key order aside)
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

    def _update_lock(self) -> threading.RLock:
        """This store's lock for ``update`` (created on first use; re-entrant)."""
        lock = self.__dict__.get("_acrguard_update_lock")
        if lock is None:
            with _LOCKS_GUARD:
                lock = self.__dict__.setdefault("_acrguard_update_lock", threading.RLock())
        return lock

    def section(self, name: str) -> dict[str, Any]:
        """One top-level section (``{}`` when absent), from a fresh ``load``: changing it changes nothing stored."""
        return self.load().data.get(name, {})

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (connections)."""
