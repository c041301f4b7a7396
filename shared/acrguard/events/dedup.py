"""Idempotency: each event is processed once per job, although EventBridge delivers at least once.

The key of an event is its ``correlation_id``: ``source#id`` for EventBridge events (a re-send
reuses the id, https://www.alibabacloud.com/help/en/eventbridge/user-guide/event-overview),
``timer:<triggerName>@<triggerTime>`` for
timers. Processed keys live in one section of the state document (``processed_events``), per job,
with an expiry, and the section is kept bounded (oldest entries go first).

The protocol (after Powertools for AWS Lambda's idempotency utility, ``aws_lambda_powertools/utilities/
idempotency/`` in https://github.com/aws-powertools/powertools-lambda-python):
``claim`` before doing the work (records the key as in progress, with a lock that expires),
``complete`` after (keeps it as done until the window ends), ``release`` on a failure that should
be retried (so FC's async retry can run it again). A claim on a key that is in progress and not
expired is ``IN_PROGRESS``: the caller should raise so the delivery is retried later, rather than
drop it (the holder may have died; its lock expires).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

from acrguard.state.base import StateStore

SECTION = "processed_events"


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
    ``max_entries`` bounds the state document (each entry is about 120 bytes).
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


def _section(doc: dict[str, Any]) -> dict[str, Any]:
    """The section, started afresh if it is not an object (losing it only risks re-processing an event)."""
    if not isinstance(doc.get(SECTION), dict):
        doc[SECTION] = {}
    return doc[SECTION]


def _prune(entries: dict[str, Any], now: float, max_entries: int) -> None:
    """Drop expired entries (and malformed ones), then the oldest done, then the oldest in progress."""
    for name in [k for k, v in entries.items() if not isinstance(v, dict) or _num(v.get("expires")) <= now]:
        del entries[name]
    if len(entries) > max_entries:
        ordered = sorted(entries, key=lambda k: (entries[k].get("state") != "done", _num(entries[k].get("at"))))
        for name in ordered[: len(entries) - max_entries]:
            del entries[name]


def claim(store: StateStore, key: str, *, job: str = "", now: float | None = None,
          policy: DedupPolicy = DEFAULT_POLICY) -> Claim:
    """Record ``key`` as in progress for ``job`` unless it is already done or held."""
    moment = time.time() if now is None else now

    def change(doc: dict[str, Any]) -> Claim:
        entries = _section(doc)
        _prune(entries, moment, policy.max_entries)
        current = entries.get(_entry_key(key, job))
        if current is not None:
            return Claim.DUPLICATE if current.get("state") == "done" else Claim.IN_PROGRESS
        entries[_entry_key(key, job)] = {"state": "in_progress", "at": moment, "expires": moment + policy.lock_s}
        _prune(entries, moment, policy.max_entries)
        return Claim.NEW

    return store.update(change)


def complete(store: StateStore, key: str, *, job: str = "", now: float | None = None,
             policy: DedupPolicy = DEFAULT_POLICY) -> None:
    """Mark ``key`` done for ``job``: later deliveries within the window are duplicates."""
    moment = time.time() if now is None else now

    def change(doc: dict[str, Any]) -> None:
        entries = _section(doc)
        entries[_entry_key(key, job)] = {"state": "done", "at": moment, "expires": moment + policy.window_s}
        _prune(entries, moment, policy.max_entries)

    store.update(change)


def release(store: StateStore, key: str, *, job: str = "") -> None:
    """Forget ``key`` for ``job`` (after a failure that FC should retry)."""

    def change(doc: dict[str, Any]) -> None:
        _section(doc).pop(_entry_key(key, job), None)

    store.update(change)


def was_processed(store: StateStore, key: str, *, job: str = "", now: float | None = None) -> bool:
    """Whether ``key`` is recorded as done for ``job`` and not expired (read-only)."""
    moment = time.time() if now is None else now
    section = store.section(SECTION)
    entry = section.get(_entry_key(key, job)) if isinstance(section, dict) else None
    return isinstance(entry, dict) and entry.get("state") == "done" and _num(entry.get("expires")) > moment
