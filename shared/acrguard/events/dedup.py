"""Idempotency: each event is processed once per job, although EventBridge delivers at least once.

The key of an event is its ``correlation_id``: ``source#id`` for EventBridge events (a re-send
reuses the id, https://www.alibabacloud.com/help/en/eventbridge/user-guide/event-overview),
``timer:<triggerName>@<triggerTime>`` for
timers. Processed keys live in the state store, per job, with an expiry, spread over
``DEDUP_SHARDS`` records by a hash of the key (``acrguard.state.keys.dedup_shard``): a claim reads and
writes one small record, whatever the number of events remembered. Each shard is kept bounded (its
share of ``max_entries``; the oldest entries go first).

The protocol (after Powertools for AWS Lambda's idempotency utility, ``aws_lambda_powertools/utilities/
idempotency/`` in https://github.com/aws-powertools/powertools-lambda-python):
``claim`` before doing the work (records the key as in progress, with a lock that expires),
``complete`` after (keeps it as done until the window ends), ``release`` on a failure that should
be retried (so FC's async retry can run it again). A claim on a key that is in progress and not
expired is ``IN_PROGRESS``: the caller should raise so the delivery is retried later, rather than
drop it (the holder may have died; its lock expires).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

from acrguard.errors import StateConflict
from acrguard.state import keys
from acrguard.state.base import StateStore

SECTION = keys.PROCESSED_EVENTS


class Claim(str, Enum):
    """The outcome of ``claim``."""

    NEW = "new"                  # go ahead: the key is now in progress
    DUPLICATE = "duplicate"      # already done within the window: skip
    IN_PROGRESS = "in_progress"  # someone holds it: retry later


@dataclass(frozen=True)
class DedupPolicy:
    """How long keys are remembered and how many are kept.

    ``window_s`` (default 48 h) covers EventBridge's longest retry schedule (about a day) and FC's
    async event age (5 h by default); ``lock_s`` should be at least the function's timeout;
    ``max_entries`` bounds the entries kept (each about 120 bytes), each shard holding at most its share.
    """

    window_s: float = 48 * 3600
    lock_s: float = 900
    max_entries: int = 1000


DEFAULT_POLICY = DedupPolicy()


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def idempotency_key(event: Any) -> str:
    """The key that identifies ``event`` across deliveries (its ``correlation_id``)."""
    key = getattr(event, "correlation_id", None)
    if not isinstance(key, str) or not key:
        raise TypeError(f"{type(event).__name__} has no correlation id")
    return key


def _entry_key(key: str, job: str) -> str:
    return f"{job}|{key}" if job else key


def _entries(value: Any) -> dict[str, Any]:
    """A shard's entries (a shard that is not an object starts afresh: losing it only risks re-processing)."""
    return value if isinstance(value, dict) else {}


def _bound(policy: DedupPolicy) -> int:
    """How many entries one shard keeps."""
    return max(1, -(-policy.max_entries // keys.DEDUP_SHARDS))


def _prune(entries: dict[str, Any], now: float, max_entries: int) -> None:
    """Drop expired entries (and malformed ones), then the oldest done, then the oldest in progress."""
    for name in [k for k, v in entries.items() if not isinstance(v, dict) or _num(v.get("expires")) <= now]:
        del entries[name]
    if len(entries) > max_entries:
        ordered = sorted(entries, key=lambda k: (entries[k].get("state") != "done", _num(entries[k].get("at"))))
        for name in ordered[: len(entries) - max_entries]:
            del entries[name]


def _change(store: StateStore, key: str, job: str, apply: Any) -> Any:
    """Apply ``apply(entries, entry_key)`` to the shard of ``key`` (a shard that is not an object is replaced)."""
    entry_key = _entry_key(key, job)
    shard = keys.dedup_shard(entry_key)
    found = store.get(shard)
    if found is not None and not isinstance(found.value, dict):
        with contextlib.suppress(StateConflict):
            store.put(shard, {}, found.version)
    return store.update(shard, lambda entries: apply(entries, entry_key))


def claim(store: StateStore, key: str, *, job: str = "", now: float | None = None,
          policy: DedupPolicy = DEFAULT_POLICY) -> Claim:
    """Record ``key`` as in progress for ``job`` unless it is already done or held."""
    moment = time.time() if now is None else now

    def change(entries: dict[str, Any], entry_key: str) -> Claim:
        _prune(entries, moment, _bound(policy))
        current = entries.get(entry_key)
        if current is not None:
            return Claim.DUPLICATE if current.get("state") == "done" else Claim.IN_PROGRESS
        entries[entry_key] = {"state": "in_progress", "at": moment, "expires": moment + policy.lock_s}
        _prune(entries, moment, _bound(policy))
        return Claim.NEW

    return _change(store, key, job, change)


def complete(store: StateStore, key: str, *, job: str = "", now: float | None = None,
             policy: DedupPolicy = DEFAULT_POLICY) -> None:
    """Mark ``key`` done for ``job``: later deliveries within the window are duplicates."""
    moment = time.time() if now is None else now

    def change(entries: dict[str, Any], entry_key: str) -> None:
        entries[entry_key] = {"state": "done", "at": moment, "expires": moment + policy.window_s}
        _prune(entries, moment, _bound(policy))

    _change(store, key, job, change)


def release(store: StateStore, key: str, *, job: str = "") -> None:
    """Forget ``key`` for ``job`` (after a failure that FC should retry)."""
    _change(store, key, job, lambda entries, entry_key: entries.pop(entry_key, None) and None)


def was_processed(store: StateStore, key: str, *, job: str = "", now: float | None = None) -> bool:
    """Whether ``key`` is recorded as done for ``job`` and not expired (read-only)."""
    moment = time.time() if now is None else now
    entry_key = _entry_key(key, job)
    entry = _entries(store.value(keys.dedup_shard(entry_key), {})).get(entry_key)
    return isinstance(entry, dict) and entry.get("state") == "done" and _num(entry.get("expires")) > moment


def processed(store: StateStore) -> dict[str, Any]:
    """Every remembered entry, by ``<job>|<key>`` (for people and tests; reads every shard)."""
    merged: dict[str, Any] = {}
    for value in store.values(f"{SECTION}/").values():
        merged.update(_entries(value))
    return merged
