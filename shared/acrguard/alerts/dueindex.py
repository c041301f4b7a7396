"""The due index: which alert groups need the planner, and from when, so a run reads only those.

Each group that may need a message is filed under the moment ``acrguard.alerts.due.next_due``
gives, in the record ``_alerts/due/<minute>/<shard>`` (the minute since the epoch, zero-padded so
keys sort by time; the shard a hash of the group key, so one minute that holds thousands of groups,
the repeat of one big digest, is spread over ``SHARDS`` small records). An entry is
``{<group key>: [<due at>, <token>]}``. A run lists the records of the minutes up to now (usually
none), reads the groups whose entries are due, plans and delivers them, files each again under its
next moment, and removes the entries it handled. A run with nothing due reads one key listing.

The index may say too much, never too little: for every group there is an entry no later than the
moment the group needs the planner. So:

* whoever writes a group files it afterwards (``file``), with a new token; an entry already there for
  that group in that record keeps the earlier of the two moments, and takes the new token;
* the planner removes only the entries it read, by their token (``remove``), after filing each
  group again from a read made after its own writes; an entry a writer filed meanwhile carries
  another token and stays;
* an entry whose group is gone, or not due after all, costs one visit: the planner files the group
  under its true moment (or nowhere) and removes the entry.

A writer that crashed between writing a group and filing it is covered by FC's retry, which
observes the same findings and files the group again. When the alert configuration changes (a new
channel, other intervals, a silence), every group's moment may change: the planner files every group
again once (``rebuild``), and records the configuration it filed for (``_alerts/due-config``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from acrguard.state.base import StateStore

PREFIX = "_alerts/due/"
CONFIG = "_alerts/due-config"
#: the time an index record covers
MINUTE_S = 60
#: records per minute (a hash of the group key picks one)
SHARDS = 64


@dataclass(frozen=True)
class Entry:
    """One filed group: where it is filed, when it is due, and the token of the filing."""

    record: str
    group_key: str
    due_at: float
    token: str


def _minute(moment: float) -> str:
    return f"{max(0, int(moment // MINUTE_S)):010d}"


def record_of(group_key: str, due_at: float) -> str:
    """The index record a group due at ``due_at`` is filed in."""
    shard = hashlib.sha256(group_key.encode("utf-8")).digest()[0] % SHARDS
    return f"{PREFIX}{_minute(due_at)}/{shard:02d}"


def config_hash(config: Any) -> str:
    """A hash of the alert configuration (channels, intervals, silences); when it changes, groups are filed anew."""
    data = config.model_dump(mode="json") if hasattr(config, "model_dump") else config
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:32]


def _parse(value: Any) -> dict[str, tuple[float, str]]:
    out: dict[str, tuple[float, str]] = {}
    for key, entry in (value.items() if isinstance(value, dict) else ()):
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], (int, float)):
            out[str(key)] = (float(entry[0]), str(entry[1]))
    return out


def file(store: StateStore, moments: Mapping[str, float | None]) -> None:
    """File each group (group key -> its next moment; None: nowhere), with a new token."""
    by_record: dict[str, dict[str, float]] = {}
    for group_key, due_at in moments.items():
        if due_at is not None:
            by_record.setdefault(record_of(group_key, due_at), {})[group_key] = due_at
    for record, entries in sorted(by_record.items()):
        token = uuid.uuid4().hex[:8]

        def change(value: dict[str, Any], entries: dict[str, float] = entries, token: str = token) -> None:
            known = _parse(value)
            if len(known) != len(value):
                value.clear()
                value.update({k: [d, t] for k, (d, t) in known.items()})
            for group_key, due_at in entries.items():
                earlier = known.get(group_key)
                value[group_key] = [min(due_at, earlier[0]) if earlier else due_at, token]

        store.update(record, change)


def due(store: StateStore, now: float) -> list[Entry]:
    """Every filed entry due at ``now`` or earlier (reads only the records of the minutes up to now)."""
    keys = store.list(PREFIX, before=f"{PREFIX}{int(_minute(now)) + 1:010d}")
    if not keys:
        return []
    found = []
    for record in store.get_many(keys).values():
        for group_key, (due_at, token) in _parse(record.value).items():
            if due_at <= now:
                found.append(Entry(record.key, group_key, due_at, token))
    return sorted(found, key=lambda e: (e.due_at, e.group_key))


def remove(store: StateStore, entries: Iterable[Entry]) -> None:
    """Remove the entries the planner handled, each only if it still carries the token it was read with."""
    by_record: dict[str, dict[str, str]] = {}
    for entry in entries:
        by_record.setdefault(entry.record, {})[entry.group_key] = entry.token
    for record, handled in sorted(by_record.items()):

        def change(value: dict[str, Any], handled: dict[str, str] = handled) -> None:
            if not isinstance(value, dict):
                return
            for group_key, token in handled.items():
                current = value.get(group_key)
                if isinstance(current, list) and len(current) == 2 and current[1] == token:
                    del value[group_key]
            for group_key in [k for k, v in value.items() if not (isinstance(v, list) and len(v) == 2)]:
                del value[group_key]  # unreadable entries: the rebuild after a config change files groups anew

        store.update(record, change)


def filed_for(store: StateStore) -> str | None:
    """The configuration hash the index was last rebuilt for (None: never)."""
    value = store.value(CONFIG)
    return value.get("hash") if isinstance(value, dict) else None


def mark_rebuilt(store: StateStore, digest: str) -> None:
    """Record that every group was filed for the configuration ``digest``."""
    store.update(CONFIG, lambda value: value.update(hash=digest))
