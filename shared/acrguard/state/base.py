"""The state store interface: small records, each under its own key with its own version.

acrguard's state is many small records (a hysteresis scope, an alert group, a shard of processed
event ids, an ownership ledger; ``acrguard.state.keys`` names them all), so an event reads and
writes only the records it touches and its cost does not grow with the size of the account.

Every write is a compare-and-swap on one record: ``put(key, value, expected_version)`` writes only
if the record is still at the version the caller read (``None``: only if it does not exist), and
raises ``StateConflict`` otherwise; ``delete`` likewise. ``update(key, change)`` reads a record,
lets the caller change it, and writes it back with that check, re-reading and re-applying the
change on a conflict (bounded). Writers are also serialized by FC reserved concurrency 1; the
version check is the second line of defence. Inside one process, the threads of a job take turns
in ``update`` (one lock per store), so they do not lose races to each other.

A record that cannot be parsed is reported (``StateError`` naming it), never silently replaced.

``scoped(prefix)`` is the same store seen under a key prefix (an organisation's account, for
instance): its keys are the prefix's, and it composes with the backend's own namespace (a
function's folder in OSS, a namespace column in SQLite).
"""

from __future__ import annotations

import copy
import marshal
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from acrguard.errors import StateConflict, StateError

T = TypeVar("T")
#: the layout of the records (``acrguard.state.keys``); 1 was the one JSON document
SCHEMA_VERSION = 2
_LOCKS_GUARD = threading.Lock()
#: a key: segments of printable ASCII without spaces, joined by "/" (``acrguard.state.keys`` quotes names)
_KEY = re.compile(r"^[!-.0-~]+(/[!-.0-~]+)*$")


def check_key(key: str) -> str:
    """``key`` if it is a valid record key, else ``ValueError`` saying why."""
    if not isinstance(key, str) or not _KEY.match(key) or len(key) > 700:
        raise ValueError(f"invalid state key {key!r}: expected '/'-separated segments of printable ASCII "
                         "(no spaces, no empty segment), at most 700 characters")
    return key


def prefix_end(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix`` (for range queries)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\x7f"


def _frozen(data: Any) -> bytes | None:
    """``data`` frozen as bytes (``marshal`` format 2); None when it holds something marshal cannot encode.

    Equal bytes mean an equal value (format 2 writes no object references), and ``marshal.loads``
    gives back an independent copy, both several times faster than a deep copy.
    """
    try:
        return marshal.dumps(data, 2)
    except ValueError:
        return None


@dataclass(frozen=True)
class Record:
    """One stored record: its key, its JSON value and the version it was read at."""

    key: str
    value: Any
    version: str


@dataclass
class StoreStats:
    """What a store did since it was opened (for the decision log and the benchmarks)."""

    reads: int = 0
    writes: int = 0
    deletes: int = 0
    bytes_written: int = 0

    def to_dict(self) -> dict[str, int]:
        """A JSON-ready copy."""
        return {"reads": self.reads, "writes": self.writes, "deletes": self.deletes,
                "bytes_written": self.bytes_written}


class StateStore(ABC):
    """Where acrguard keeps its state between invocations: versioned records under keys."""

    #: how many times ``update`` re-applies a change after losing a race
    max_conflict_retries: int = 5
    #: where the records live, for messages (``oss://bucket/folder/``, a file path)
    location: str = ""

    @property
    def stats(self) -> StoreStats:
        """What this store read and wrote since it was opened."""
        found = self.__dict__.get("_acrguard_stats")
        if found is None:
            found = self.__dict__.setdefault("_acrguard_stats", StoreStats())
        return found

    # -- the primitives every backend provides -------------------------------------------------------
    @abstractmethod
    def get(self, key: str) -> Record | None:
        """The record at ``key`` (None when there is none); ``StateError`` when it cannot be parsed.

        Each call parses the value afresh: the caller may change what it gets.
        """

    @abstractmethod
    def get_many(self, keys: Iterable[str] | None = None, *, prefix: str | None = None) -> dict[str, Record]:
        """The records at ``keys`` (missing ones left out), or every record whose key starts with ``prefix``."""

    @abstractmethod
    def list(self, prefix: str, *, before: str | None = None) -> list[str]:
        """The keys that start with ``prefix`` (and sort before ``before``, when given), in sorted order."""

    @abstractmethod
    def put(self, key: str, value: Any, expected_version: str | None) -> str:
        """Write ``value`` at ``key`` if the record is still at ``expected_version`` (None: does not exist).

        Returns the new version; raises ``StateConflict`` when the record changed since it was read.
        """

    @abstractmethod
    def delete(self, key: str, expected_version: str) -> None:
        """Delete the record at ``key`` if it is still at ``expected_version`` (``StateConflict`` otherwise;
        a record that is already gone is not a conflict)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (connections)."""

    # -- built on the primitives --------------------------------------------------------------------
    def update(self, key: str, change: Callable[[Any], T], *, default: Callable[[], Any] = dict) -> T:
        """Apply ``change`` to the record at ``key`` and write it, re-applying the change on a conflict.

        ``change`` mutates the value it is given (``default()`` when there is no record) and may return
        a value, which ``update`` returns. Nothing is written when the value is left as it was; a value
        left empty (``{}``, ``[]`` or None) deletes the record.
        """
        check_key(key)
        with self._update_lock():
            for _attempt in range(self.max_conflict_retries + 1):
                record = self.get(key)
                value = record.value if record is not None else default()
                frozen = _frozen(value)
                before = marshal.loads(frozen) if frozen is not None else copy.deepcopy(value)
                result = change(value)
                if record is not None and value == before:
                    return result  # untouched (equal content, whatever the key order)
                empty = value is None or (isinstance(value, (dict, list)) and not value)
                try:
                    if record is None:
                        if not empty:
                            self.put(key, value, None)
                    elif empty:
                        self.delete(key, record.version)
                    else:
                        self.put(key, value, record.version)
                except StateConflict:
                    continue
                return result
        raise StateConflict(f"state record {key} in {self.location} changed underneath us "
                            f"{self.max_conflict_retries + 1} times in a row; is another writer running without "
                            "reserved concurrency 1?")

    def value(self, key: str, default: Any = None) -> Any:
        """The value at ``key`` (``default`` when there is none)."""
        record = self.get(key)
        return default if record is None else record.value

    def values(self, prefix: str) -> dict[str, Any]:
        """Every value under ``prefix``, by key."""
        return {key: record.value for key, record in self.get_many(prefix=prefix).items()}

    def scoped(self, prefix: str) -> StateStore:
        """This store seen under ``prefix`` (``"accounts/1234/"``): its keys are relative to the prefix."""
        return ScopedStore(self, prefix)

    def _update_lock(self) -> threading.RLock:
        """This store's lock for ``update`` (created on first use; re-entrant)."""
        lock = self.__dict__.get("_acrguard_update_lock")
        if lock is None:
            with _LOCKS_GUARD:
                lock = self.__dict__.setdefault("_acrguard_update_lock", threading.RLock())
        return lock


class ScopedStore(StateStore):
    """Another store's records under a key prefix; writes go to the inner store, with its checks."""

    def __init__(self, inner: StateStore, prefix: str) -> None:
        if not prefix.endswith("/"):
            raise ValueError(f"a state scope ends with '/': {prefix!r}")
        check_key(prefix[:-1])
        self.inner = inner
        self.prefix = prefix
        self.location = f"{inner.location}{prefix}"
        self.max_conflict_retries = inner.max_conflict_retries

    @property
    def stats(self) -> StoreStats:
        """The inner store's counters."""
        return self.inner.stats

    def get(self, key: str) -> Record | None:
        """The inner store's record at the prefixed key."""
        found = self.inner.get(self.prefix + key)
        return None if found is None else Record(key, found.value, found.version)

    def get_many(self, keys: Iterable[str] | None = None, *, prefix: str | None = None) -> dict[str, Record]:
        """The inner store's records at the prefixed keys (or prefix)."""
        found = self.inner.get_many(None if keys is None else [self.prefix + k for k in keys],
                                    prefix=None if prefix is None else self.prefix + prefix)
        cut = len(self.prefix)
        return {k[cut:]: Record(k[cut:], r.value, r.version) for k, r in found.items()}

    def list(self, prefix: str, *, before: str | None = None) -> list[str]:
        """The inner store's keys under the prefixed prefix, without the scope's prefix."""
        cut = len(self.prefix)
        return [k[cut:] for k in self.inner.list(self.prefix + prefix,
                                                 before=None if before is None else self.prefix + before)]

    def put(self, key: str, value: Any, expected_version: str | None) -> str:
        """Write through to the inner store."""
        return self.inner.put(self.prefix + check_key(key), value, expected_version)

    def delete(self, key: str, expected_version: str) -> None:
        """Delete through the inner store."""
        self.inner.delete(self.prefix + key, expected_version)

    def close(self) -> None:
        """Close the inner store."""
        self.inner.close()

    def _update_lock(self) -> threading.RLock:
        return self.inner._update_lock()


class ReadOnlyStore(StateStore):
    """Another store, readable only: ``put`` and ``delete`` raise ``StateError`` (a run that must write nothing)."""

    def __init__(self, inner: StateStore) -> None:
        self.inner = inner
        self.location = inner.location

    @property
    def stats(self) -> StoreStats:
        """The inner store's counters."""
        return self.inner.stats

    def get(self, key: str) -> Record | None:
        """The inner store's record."""
        return self.inner.get(key)

    def get_many(self, keys: Iterable[str] | None = None, *, prefix: str | None = None) -> dict[str, Record]:
        """The inner store's records."""
        return self.inner.get_many(keys, prefix=prefix)

    def list(self, prefix: str, *, before: str | None = None) -> list[str]:
        """The inner store's keys."""
        return self.inner.list(prefix, before=before)

    def put(self, key: str, value: Any, expected_version: str | None) -> str:
        """Refused: this run writes nothing."""
        raise StateError("the state is open read-only: this run writes nothing")

    def delete(self, key: str, expected_version: str) -> None:
        """Refused: this run writes nothing."""
        raise StateError("the state is open read-only: this run writes nothing")

    def close(self) -> None:
        """Close the inner store."""
        self.inner.close()
