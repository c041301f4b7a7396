"""Fault injection by rule: error codes, throttling, latency, dropped connections.

A rule matches requests by product and action (``fnmatch`` patterns) and fires on a schedule
(skip the first ``after`` matches, then fire ``times`` times) and/or at random with the cloud's
seeded generator (``probability``). Rules are checked in order; the first that fires wins.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FaultRule:
    """One fault to inject.

    ``code``/``status``: answer with this error (e.g. ``Throttling.User``/400, ``ServiceUnavailable``/503).
    ``latency_ms``: delay the answer (alone, or before the error).
    ``drop``: close the connection without answering (the client sees a timeout/disconnect).
    ``lose_answer``: carry the call out, then close the connection without answering: the write
    happened but the client cannot know (a crash or network cut after the change; it may retry).
    ``retry_after_ms``: add ``x-acs-retry-after`` so the SDK raises ``ThrottlingException``.
    ``product``/``action``: fnmatch patterns; ``*`` matches everything.
    ``after``/``times``: skip the first ``after`` matching requests, then fire at most ``times`` times.
    ``probability``: chance to fire on each eligible request (seeded).
    """

    action: str = "*"
    product: str = "*"
    code: str | None = None
    status: int = 400
    message: str | None = None
    latency_ms: int = 0
    drop: bool = False
    lose_answer: bool = False
    retry_after_ms: int | None = None
    after: int = 0
    times: int | None = None
    probability: float = 1.0
    matched: int = field(default=0, init=False)
    fired: int = field(default=0, init=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        """Build a rule from a world file or admin API mapping (unknown keys are an error)."""
        allowed = {f for f in cls.__dataclass_fields__ if f not in ("matched", "fired")}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault rule keys: {sorted(unknown)}; allowed: {sorted(allowed)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The rule and its counters, for the admin API."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class FaultInjector:
    """Holds the rules and decides, per request, which one (if any) fires."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> FaultRule:
        """Add a rule after the existing ones and return it (its counters are live)."""
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def reseed(self, seed: int) -> None:
        """Restart the random sequence."""
        with self._lock:
            self._random = random.Random(seed)

    def rules(self) -> list[FaultRule]:
        """A copy of the rule list."""
        with self._lock:
            return list(self._rules)

    def pick(self, product: str, action: str) -> FaultRule | None:
        """The rule that fires for this request, or None."""
        with self._lock:
            for rule in self._rules:
                if not (fnmatch.fnmatchcase(product, rule.product) and fnmatch.fnmatchcase(action, rule.action)):
                    continue
                rule.matched += 1
                if rule.matched <= rule.after:
                    continue
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule
        return None
