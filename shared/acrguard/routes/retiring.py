"""The hold before a managed prefix leaves a target: removal needs it, whatever says the prefix is ours.

A marker on a route entry says the entry is acrguard's, and the ownership ledger says which IPsec
``LocalSubnet`` items acrguard added; neither says the prefix may go *now*. A managed prefix that
is no longer desired on a target is *retiring* there: it gets a record like the hysteresis's
(``acrguard.hysteresis.Tracked``), one more miss per run in which its family was observed
completely, and it may be removed only once it has ``safety.hold_runs`` misses over
``safety.hold_hours`` hours. An address the hysteresis has just released enters with its
(expired) record, so its removal goes ahead at once, as before; a managed prefix nobody tracked (a
marked entry the state does not know about, a line that appeared in the ledger) starts a fresh hold.
A prefix that is desired again, or that is gone from a target read this run, is forgotten.

The records are kept per instance, ``routes/retiring/<instance id>`` (``acrguard.state.keys.routes``),
its value ``{<target key>: {<prefix>: {"family": ..., <Tracked fields>}}}``. Unreadable records count as
fresh ones (a longer hold, never a shorter one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from acrguard.config.routes import ALL_FAMILIES, Family
from acrguard.errors import StateError
from acrguard.hysteresis import HoldPolicy, Tracked
from acrguard.state import keys

if TYPE_CHECKING:
    from acrguard.state.base import StateStore

SECTION = "routes"
RETIRING = "retiring"


@dataclass(frozen=True)
class Retiring:
    """One managed prefix no longer desired on one target, and how far it is from removal."""

    prefix: str
    family: Family
    record: Tracked
    runs_left: int
    hours_left: float

    @property
    def expired(self) -> bool:
        """The hold is over: the prefix may be removed (if the other guards agree)."""
        return self.runs_left == 0 and self.hours_left == 0.0

    @property
    def why(self) -> str:
        """Why the prefix is still routed, for plans and alerts."""
        waiting = []
        if self.runs_left:
            waiting.append(f"{self.runs_left} more fully observed run(s)")
        if self.hours_left:
            waiting.append(f"{self.hours_left:.1f} more hour(s)")
        misses = self.record.misses
        return (f"no longer desired ({misses} fully observed run(s) without it so far); removed after "
                f"{' and '.join(waiting) or 'the next run'}")


def _left(record: Tracked, now: float, policy: HoldPolicy) -> tuple[int, float]:
    runs_left = max(0, policy.runs - record.misses)
    if record.first_missed is None:
        return runs_left, policy.hours
    return runs_left, max(0.0, policy.hours - max(0.0, now - record.first_missed) / 3600.0)


def judge(prefix: str, family: Family, record: Tracked, now: float, policy: HoldPolicy) -> Retiring:
    """The ``Retiring`` view of one record at ``now``."""
    runs_left, hours_left = _left(record, now, policy)
    return Retiring(prefix, family, record, runs_left, hours_left)


def advance(before: Mapping[str, tuple[Family, Tracked]], undesired: Mapping[str, Family],
            released: Mapping[str, Tracked], certain: Iterable[Family], now: float, policy: HoldPolicy
            ) -> dict[str, tuple[Family, Tracked]]:
    """One run of one target's retiring records (pure).

    ``before``: prefix -> (family, record) from the state; ``undesired``: the target's managed
    prefixes that are not desired there now; ``released``: /32s the hysteresis released this run,
    with their last record; ``certain``: families observed completely this run (only they count a
    miss). Prefixes not in ``undesired`` are dropped (desired again, or gone from the target).
    """
    counted = set(certain)
    out: dict[str, tuple[Family, Tracked]] = {}
    for prefix, family in undesired.items():
        known = before.get(prefix)
        if known is not None and known[0] == family:
            record = known[1]
        elif prefix in released:
            out[prefix] = (family, released[prefix])  # its miss was counted by the hysteresis this run
            continue
        else:
            record = Tracked(now, now)
        if family in counted:
            record = Tracked(record.first_seen, record.last_seen, record.misses + 1,
                             record.first_missed if record.first_missed is not None else now)
        out[prefix] = (family, record)
    return out


def _parse(entries: Any) -> dict[str, tuple[Family, Tracked]]:
    out: dict[str, tuple[Family, Tracked]] = {}
    if not isinstance(entries, dict):
        return out
    for prefix, data in entries.items():
        if not isinstance(data, dict) or data.get("family") not in ALL_FAMILIES:
            continue
        try:
            record = Tracked.from_json({k: v for k, v in data.items() if k != "family"}, f"retiring.{prefix}")
        except StateError:
            continue
        out[str(prefix)] = (data["family"], record)
    return out


def load_retiring(store: StateStore, instance_id: str) -> dict[str, dict[str, tuple[Family, Tracked]]]:
    """Every target's retiring records of one instance (unreadable records are left out)."""
    targets = store.value(keys.routes(RETIRING, instance_id))
    if not isinstance(targets, dict):
        return {}
    return {str(key): _parse(entries) for key, entries in targets.items()}


def _dump(records: Mapping[str, tuple[Family, Tracked]]) -> dict[str, Any]:
    return {prefix: {"family": family, **record.to_json()} for prefix, (family, record) in sorted(records.items())}


def save_retiring(store: StateStore, instance_id: str, targets: Mapping[str, Mapping[str, tuple[Family, Tracked]]],
                  *, configured: Iterable[str]) -> None:
    """Replace the records of the ``targets`` given; drop those of targets no longer ``configured``.

    Nothing is written when nothing changes.
    """
    keep = set(configured)

    record = keys.routes(RETIRING, instance_id)
    found = store.get(record)
    if found is not None and not isinstance(found.value, dict):
        store.put(record, {}, found.version)  # unreadable: fresh holds (longer, never shorter)

    def change(saved: Any) -> None:
        for key in [k for k in saved if k not in keep]:
            del saved[key]
        for key, records in targets.items():
            if records:
                saved[key] = _dump(records)
            else:
                saved.pop(key, None)

    store.update(record, change)
