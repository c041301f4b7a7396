"""Hysteresis for observed addresses: add at once, remove only after a long, certain absence.

Shared by the endpoint keeper (addresses per instance and family) and the whitelist guard
(addresses per declared hostname). For every tracked address we keep when it was first and last
seen, how many *successful* observations in a row did not contain it, and when it was first
missed. An address is released (may be removed) only when it was absent from ``hold_runs``
successful observations **and** at least ``hold_hours`` hours have passed since it was first
missed (``safety.hold_runs`` / ``safety.hold_hours``; defaults 3 runs and 24 h: tools that sync rules with
rotating addresses keep a stale entry "for a while" and purge it late, e.g.
https://github.com/hyprspace/hyprspace/issues/19).

An observation is one of:

* complete (``Observation.success``): the source answered fully, so a tracked address that is
  missing really was not served; its miss counter goes up;
* partial (``Observation.partial``): addresses it names are added or refreshed, nothing else changes;
* unknown (``Observation.unknown()``): nothing changes at all. Unknown is never absent.

``step`` is pure (state in, state out, the time passed in), so the rules are tested exhaustively;
``HysteresisTracker`` keeps the state in a ``StateStore``, one record per scope.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from acrguard.errors import StateError
from acrguard.state import keys

if TYPE_CHECKING:
    from acrguard.config.safety import SafetyConfig
    from acrguard.state.base import StateStore

Status = Literal["added", "seen", "missing", "unobserved", "released"]


@dataclass(frozen=True)
class HoldPolicy:
    """How long an address must be absent before it may be removed."""

    runs: int = 3
    hours: float = 24.0

    def __post_init__(self) -> None:
        if self.runs < 1:
            raise ValueError("HoldPolicy.runs must be at least 1")
        if self.hours < 0 or math.isnan(self.hours):
            raise ValueError("HoldPolicy.hours must be zero or more")

    @classmethod
    def from_safety(cls, safety: SafetyConfig) -> HoldPolicy:
        """The policy of the ``safety:`` config section."""
        return cls(safety.hold_runs, safety.hold_hours)


@dataclass(frozen=True)
class Tracked:
    """What we remember about one address (times are seconds since the epoch)."""

    first_seen: float
    last_seen: float
    misses: int = 0
    first_missed: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The state-document form."""
        return {"first_seen": self.first_seen, "last_seen": self.last_seen, "misses": self.misses,
                "first_missed": self.first_missed}

    @classmethod
    def from_json(cls, data: Any, where: str) -> Tracked:
        """Parse the state-document form; ``StateError`` naming ``where`` when it is malformed."""
        try:
            if not isinstance(data, dict):
                raise TypeError("expected an object")
            first_missed = data.get("first_missed")
            record = cls(float(data["first_seen"]), float(data["last_seen"]), int(data.get("misses", 0)),
                         None if first_missed is None else float(first_missed))
        except (KeyError, TypeError, ValueError) as exc:
            raise StateError(f"state {where} is malformed ({exc}); it was left untouched") from None
        if record.misses < 0 or (record.misses > 0) != (record.first_missed is not None):
            raise StateError(f"state {where} is inconsistent (misses={record.misses}, "
                             f"first_missed={record.first_missed}); it was left untouched")
        return record


@dataclass(frozen=True)
class Observation:
    """What one run saw: ``seen`` addresses, and whether the look was ``complete``."""

    seen: frozenset[str]
    complete: bool

    @classmethod
    def success(cls, seen: Iterable[str]) -> Observation:
        """A full, successful observation: tracked addresses not in ``seen`` were missed."""
        return cls(frozenset(seen), True)

    @classmethod
    def partial(cls, seen: Iterable[str]) -> Observation:
        """Addresses that were seen, from a look that may have missed others."""
        return cls(frozenset(seen), False)

    @classmethod
    def unknown(cls) -> Observation:
        """Nothing was learnt (timeout, error): changes no counter."""
        return cls(frozenset(), False)

    @property
    def is_unknown(self) -> bool:
        """Whether this observation carries no information at all."""
        return not self.complete and not self.seen


@dataclass(frozen=True)
class Decision:
    """What happened to one address in one step, and how far it is from removal."""

    address: str
    status: Status
    record: Tracked  # after the step (for ``released``: the last record before it was dropped)
    runs_left: int = 0
    hours_left: float = 0.0

    @property
    def kept(self) -> bool:
        """Whether the address stays desired."""
        return self.status != "released"

    @property
    def pending_removal(self) -> bool:
        """Kept, but already missed at least once: a removal held back by hysteresis."""
        return self.kept and self.record.misses > 0


@dataclass(frozen=True)
class StepResult:
    """The new state and one decision per address."""

    tracked: Mapping[str, Tracked]
    decisions: tuple[Decision, ...]

    @property
    def keep(self) -> frozenset[str]:
        """Addresses that stay desired (seen now, or held back)."""
        return frozenset(self.tracked)

    def with_status(self, *statuses: Status) -> tuple[Decision, ...]:
        """Decisions with one of ``statuses``."""
        return tuple(d for d in self.decisions if d.status in statuses)

    @property
    def held(self) -> tuple[Decision, ...]:
        """Removals held back: kept addresses that were missed at least once."""
        return tuple(d for d in self.decisions if d.pending_removal)

    @property
    def released(self) -> tuple[Decision, ...]:
        """Addresses whose hold expired in this step (no longer desired)."""
        return self.with_status("released")


def _left(record: Tracked, now: float, policy: HoldPolicy) -> tuple[int, float]:
    runs_left = max(0, policy.runs - record.misses)
    if record.first_missed is None:
        return runs_left, policy.hours
    elapsed_h = max(0.0, now - record.first_missed) / 3600.0
    return runs_left, max(0.0, policy.hours - elapsed_h)


def step(tracked: Mapping[str, Tracked], observation: Observation, now: float, policy: HoldPolicy) -> StepResult:
    """Apply one observation at time ``now`` to the tracked addresses (pure).

    * a seen address is added (``added``) or refreshed with its miss count reset (``seen``);
    * after a complete observation, a tracked address it lacks gets one more miss (``missing``),
      and is dropped (``released``) once it has ``policy.runs`` misses and ``policy.hours`` have
      passed since its first miss; a clock that went backwards counts as no time passed;
    * otherwise a tracked address is left exactly as it was (``unobserved``).
    """
    new: dict[str, Tracked] = {}
    decisions: list[Decision] = []
    for address in sorted(set(tracked) | observation.seen):
        before = tracked.get(address)
        if address in observation.seen:
            record = Tracked(before.first_seen if before else now, now)
            new[address] = record
            decisions.append(Decision(address, "seen" if before else "added", record, policy.runs, policy.hours))
            continue
        assert before is not None
        if not observation.complete:
            new[address] = before
            runs_left, hours_left = _left(before, now, policy)
            decisions.append(Decision(address, "unobserved", before, runs_left, hours_left))
            continue
        record = Tracked(before.first_seen, before.last_seen, before.misses + 1,
                         before.first_missed if before.first_missed is not None else now)
        runs_left, hours_left = _left(record, now, policy)
        if runs_left == 0 and hours_left == 0.0:
            decisions.append(Decision(address, "released", record))
            continue
        new[address] = record
        decisions.append(Decision(address, "missing", record, runs_left, hours_left))
    return StepResult(new, tuple(decisions))


def adopt(tracked: Mapping[str, Tracked], addresses: Iterable[str], now: float) -> dict[str, Tracked]:
    """Start tracking ``addresses`` that are live but not tracked (as if first seen ``now``); pure.

    For entries we own that the state does not know (a lost state document, a first run after an
    upgrade): adopted, they are removed only after the same hold as any other address. Tracked
    addresses are left exactly as they are.
    """
    merged = dict(tracked)
    for address in addresses:
        merged.setdefault(address, Tracked(now, now))
    return merged


def parse_tracked(data: Any, where: str) -> dict[str, Tracked]:
    """``{address: record}`` from the state document (``StateError`` naming ``where`` when malformed)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise StateError(f"state {where} is malformed (expected an object); it was left untouched")
    return {address: Tracked.from_json(record, f"{where}.{address}") for address, record in data.items()}


def dump_tracked(tracked: Mapping[str, Tracked]) -> dict[str, Any]:
    """The state-document form of ``{address: record}``."""
    return {address: tracked[address].to_json() for address in sorted(tracked)}


class HysteresisTracker:
    """Tracks addresses per ``(scope, key)`` in a ``StateStore``, one record per scope.

    ``scope`` is what the addresses belong to (``routes:cri-…``, ``whitelist:cri-…``), ``key`` the
    family or hostname inside it. The record of a scope is ``<section>/<scope>``
    (``acrguard.state.keys.tracker_scope``), its value ``{key: {address: record}}``.
    """

    def __init__(self, store: StateStore, policy: HoldPolicy, *, section: str = "hysteresis",
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.policy = policy
        self.section = section
        self.clock = clock

    def _where(self, scope: str) -> str:
        return f"{self.section}.{scope}"

    def _keys(self, value: Any, scope: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise StateError(f"state {self._where(scope)} is malformed (expected an object); it was left untouched")
        return value

    def scope_keys(self, scope: str) -> dict[str, Any]:
        """The raw record of ``scope``: ``{key: {address: record}}`` (empty when never observed)."""
        return self._keys(self.store.value(keys.tracker_scope(self.section, scope)), scope)

    def current(self, scope: str, key: str) -> dict[str, Tracked]:
        """The tracked addresses of one key (empty when never observed)."""
        return parse_tracked(self.scope_keys(scope).get(key), f"{self._where(scope)}.{key}")

    def observe(self, scope: str, observations: Mapping[str, Observation], *, now: float | None = None,
                commit: bool = True, adopt_live: Mapping[str, Iterable[str]] | None = None) -> dict[str, StepResult]:
        """Apply one observation per key of ``scope`` and return each key's ``StepResult``.

        With ``commit`` False nothing is written (a preview, e.g. ``routes plan``: running a plan
        twice must not count as two runs). With ``commit`` True the change is saved with the
        store's version check and re-applied on a conflict. ``adopt_live``: per key, live addresses
        we own; when the state has no record of the key at all (a lost state document, a first run),
        they are adopted (see ``adopt``) before the observation. A key the state knows is never
        adopted into: an address it released may still be listed on a target whose removal lags
        (still deleting, or failed this run), and adopting it would route it again everywhere.
        """
        moment = self.clock() if now is None else now

        def change(value: Any) -> dict[str, StepResult]:
            known = self._keys(value, scope)
            results: dict[str, StepResult] = {}
            for key, observation in observations.items():
                before = parse_tracked(known.get(key), f"{self._where(scope)}.{key}")
                if adopt_live and key in adopt_live and key not in known:
                    before = adopt(before, adopt_live[key], moment)
                results[key] = step(before, observation, moment, self.policy)
                if commit:
                    dumped = dump_tracked(results[key].tracked)
                    if dumped or key in known:
                        known[key] = dumped
            return results

        record = keys.tracker_scope(self.section, scope)
        if not commit:
            return change(self.store.value(record))
        found = self.store.get(record)
        if found is not None and not isinstance(found.value, dict):
            change(found.value)  # raises: a malformed scope is reported and left untouched
        return self.store.update(record, change)

    def forget(self, scope: str, key: str | None = None) -> None:
        """Drop what is remembered for a scope (or one key of it); removes no route or entry."""

        def change(value: Any) -> None:
            if not isinstance(value, dict):
                return
            if key is None:
                value.clear()
            else:
                value.pop(key, None)

        self.store.update(keys.tracker_scope(self.section, scope), change)
