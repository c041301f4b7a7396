"""The sweep record in the central state: every shard's status, and who sends the sweep's summary.

One record per sweep in the function's central state, ``org_sweeps/<sweep id>``::

    {"job": "whitelist_guard", "started": 1767225600.0,
     "shards": {"<account>/<region>": {"status": "pending", "attempts": 0, "final": false,
                                       "dispatched": 1767225600.0, "error": ""}},
     "summary": {"by": "<token>", "at": 1767225630.0}}

and the roster the last sweep resolved, ``org_roster/current``.

A shard's status is ``pending`` (dispatched, no outcome yet), ``done``, ``failed`` (``final`` once
FC has no attempt left, or the failure is permanent) or ``carried`` (not dispatched: the same shard
of an earlier sweep was still pending). Each write is one version-checked ``update`` of the sweep's
record, so a shard's outcome and the claim of the summary are one atomic step: the first run to
find the sweep complete (or, at the next sweep's start, unsummarized) claims it and sends its
summary; every later run finds it claimed. A redelivered outcome rewrites the same entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from acrguard.events.shard import ShardEvent
    from acrguard.state.base import StateStore

PREFIX = "org_sweeps/"
#: the last roster the coordinator resolved (events of member accounts are checked against it)
ROSTER = "org_roster/current"
PENDING, DONE, FAILED, CARRIED = "pending", "done", "failed", "carried"
#: sweeps kept in the state (older ones are deleted once summarized)
KEEP_SWEEPS = 20


@dataclass(frozen=True)
class ShardStatus:
    """One shard's line in the record."""

    key: str
    status: str
    attempts: int = 0
    final: bool = False
    error: str = ""
    dispatched: float = 0.0

    @property
    def settled(self) -> bool:
        """Done, carried, or failed with no attempt left."""
        return self.status in (DONE, CARRIED) or (self.status == FAILED and self.final)


@dataclass(frozen=True)
class SweepView:
    """One sweep as the record holds it."""

    sweep: str
    job: str
    started: float
    shards: tuple[ShardStatus, ...] = field(default_factory=tuple)
    summarized: bool = False

    @property
    def complete(self) -> bool:
        """Whether every shard is settled."""
        return all(s.settled for s in self.shards)

    def count(self, status: str) -> int:
        """How many shards have ``status``."""
        return sum(1 for s in self.shards if s.status == status)


def _key(sweep: str) -> str:
    return PREFIX + sweep


def view(sweep: str, entry: dict[str, Any]) -> SweepView:
    """A typed view of one sweep's entry."""
    shards = tuple(ShardStatus(key, str(s.get("status", PENDING)), int(s.get("attempts", 0) or 0),
                               bool(s.get("final")), str(s.get("error", "") or ""), float(s.get("dispatched", 0) or 0))
                   for key, s in sorted((entry.get("shards") or {}).items()) if isinstance(s, dict))
    return SweepView(sweep, str(entry.get("job", "")), float(entry.get("started", 0) or 0), shards,
                     bool(entry.get("summary")))


def _entries(store: StateStore) -> dict[str, dict[str, Any]]:
    """Every sweep's entry, by sweep id."""
    return {key[len(PREFIX):]: value for key, value in store.values(PREFIX).items() if isinstance(value, dict)}


def _prune(store: StateStore, keep: str) -> None:
    """Delete the oldest summarized sweeps beyond ``KEEP_SWEEPS`` (never ``keep``)."""
    entries = _entries(store)
    summarized = sorted((float(e.get("started", 0) or 0), s) for s, e in entries.items() if e.get("summary"))
    for _, name in summarized[:max(0, len(entries) - KEEP_SWEEPS)]:
        if name != keep:
            store.update(_key(name), lambda value: value.clear())  # an emptied record is deleted


def in_flight(store: StateStore, job: str, now: float, stale_after: float) -> dict[str, str]:
    """Shards of earlier sweeps of ``job`` still pending and dispatched less than ``stale_after`` ago: key -> sweep."""
    busy: dict[str, str] = {}
    for sweep, entry in _entries(store).items():
        if entry.get("job") != job:
            continue
        for shard in view(sweep, entry).shards:
            if shard.status == PENDING and now - shard.dispatched < stale_after:
                busy[shard.key] = sweep
    return busy


def start(store: StateStore, job: str, sweep: str, shards: list[ShardEvent], carried: dict[str, str],
          now: float) -> None:
    """Record a new sweep: its shards ``pending`` (dispatched now), or ``carried`` when an earlier one still runs."""
    def change(entry: dict[str, Any]) -> None:
        entry.setdefault("job", job)
        entry.setdefault("started", now)
        states = entry.setdefault("shards", {})
        for shard in shards:
            if shard.key in carried:
                states[shard.key] = {"status": CARRIED, "final": True, "dispatched": now,
                                     "error": f"still running in sweep {carried[shard.key]}"}
            else:
                states.setdefault(shard.key, {"status": PENDING, "attempts": 0, "dispatched": now})

    store.update(_key(sweep), change)
    _prune(store, sweep)


def record(store: StateStore, sweep: str, job: str, key: str, status: str, *, error: str = "", final: bool = False,
           attempt: bool = False, max_attempts: int | None = None, now: float,
           claim: str | None = None) -> tuple[SweepView, bool]:
    """Set one shard's status; with ``claim``, also claim the summary if this completes the sweep.

    Returns the sweep as written and whether this call claimed its summary. A shard of a sweep the
    state does not hold (pruned, or forged) is added to it, so its outcome is never lost.
    ``attempt``: count one more failed attempt (FC retries the invocation); the failure is final once
    the attempts reach ``max_attempts`` (FC's first attempt and its retries).
    """
    def change(entry: dict[str, Any]) -> tuple[SweepView, bool]:
        entry.setdefault("job", job)
        entry.setdefault("started", now)
        shard = entry.setdefault("shards", {}).setdefault(key, {"status": PENDING, "attempts": 0, "dispatched": now})
        if shard.get("status") == DONE and status != DONE:
            return view(sweep, entry), False  # a late failure report of an attempt that a retry already finished
        attempts = int(shard.get("attempts", 0) or 0) + (1 if attempt else 0)
        settled = final or (max_attempts is not None and attempts >= max_attempts)
        shard.update(status=status, final=settled, error=error[:500], at=now, attempts=attempts)
        current = view(sweep, entry)
        if claim is not None and current.complete and not entry.get("summary"):
            entry["summary"] = {"by": claim, "at": now}
            return view(sweep, entry), True
        return current, False

    return store.update(_key(sweep), change)


def claim_unsummarized(store: StateStore, job: str, but: str, token: str, now: float) -> list[SweepView]:
    """Claim the summary of every earlier sweep of ``job`` nobody has summarized (the next sweep's start does this)."""
    claimed = []
    for sweep, entry in sorted(_entries(store).items()):
        if sweep == but or entry.get("job") != job or entry.get("summary"):
            continue

        def change(value: dict[str, Any], sweep: str = sweep) -> SweepView | None:
            if not value or value.get("summary"):
                return None  # summarized (or deleted) meanwhile by another run
            value["summary"] = {"by": token, "at": now}
            return view(sweep, value)

        found = store.update(_key(sweep), change)
        if found is not None:
            claimed.append(found)
    return claimed


def save_roster(store: StateStore, members: list[dict[str, Any]], source: str, now: float) -> None:
    """Keep the roster the coordinator resolved (events of member accounts are checked against it)."""
    def change(value: dict[str, Any]) -> None:
        value.clear()
        value.update(at=now, source=source, members=members)

    store.update(ROSTER, change)


def saved_roster(store: StateStore) -> dict[str, Any] | None:
    """The roster the last sweep resolved, or None."""
    roster = store.value(ROSTER)
    return roster if isinstance(roster, dict) and isinstance(roster.get("members"), list) else None
