"""A client-side limit on how often each API operation is called, so a concurrent job is not throttled.

Alibaba Cloud throttles each OpenAPI operation per account (Quota Center shows ``N/T(s)``; a call
over it is denied with ``Throttling.User``, https://help.aliyun.com/en/openapi/throttling-and-quota-management). A
throttled call is retried by the SDK after a back-off, which costs a round trip and a pause; a
job that reads with many threads at once would meet that often. ``CallPacer`` instead holds a call
back until its operation has room: at most ``limit`` calls in any ``period_s``, counted per
operation name, the sliding window the gateway applies.

The gateway counts a call when it arrives, which the client does not see: some time after the call
was sent and before its answer came back. So a call's place in the window is held from the moment
it starts until ``period_s`` after its answer (``slot``): two calls that share a place then arrive
at least ``period_s`` apart, whatever the network did, and no window at the gateway ever holds more
than ``limit`` of them. The price is the round trip: a place serves one call per ``period_s`` plus
one round trip (at 30 ms, 3 % under the limit).

``FlowControl`` applies this to every API call acrguard makes (``acrguard.clients.call``), each
operation paced to its own published quota: the figures ship in ``acrguard/data/flow_control.json``
(each with its source, or "assumed" where no figure was found), and ``cloud.flow_control`` in the config
sets the share of each quota acrguard uses (``DEFAULT_SHARE``) or overrides a figure. A quota of ``N`` calls
per ``T`` seconds used at share ``s`` becomes ``ceil(s x N)`` places per ``T x ceil(s x N) / (s x N)``
seconds: never more than ``N`` calls in any ``T``, and ``s x N / T`` calls a second in the long run, also
for small quotas (3/1(s) at 0.9 is 3 places per 1.11 s, not 2 per second). Throttling that still happens
(another client of the account using the same quota) is counted per operation (``FlowControl.stats``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


class _Place:
    """One of an operation's ``limit`` places: busy while its call runs, then until ``ended + window``."""

    __slots__ = ("ended",)

    def __init__(self) -> None:
        self.ended: float | None = None


@dataclass
class CallPacer:
    """At most ``limit`` calls of each operation in any ``period_s × (1 + margin)`` (see the module docstring)."""

    limit: int
    period_s: float = 1.0
    margin: float = 0.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _places: dict[str, list[_Place]] = field(default_factory=dict, init=False, repr=False)
    _changed: threading.Condition = field(default_factory=threading.Condition, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.limit, int) or isinstance(self.limit, bool) or self.limit < 1:
            raise ValueError(f"limit must be a positive integer, got {self.limit!r}")
        if self.period_s <= 0 or self.margin < 0:
            raise ValueError(f"period_s must be positive and margin not negative, got {self.period_s}, {self.margin}")

    @classmethod
    def per_second(cls, rate: float | None) -> CallPacer | None:
        """A pacer for ``rate`` calls a second per operation (None: no limit)."""
        if rate is None:
            return None
        if rate >= 1:
            return cls(int(rate), 1.0)
        return cls(1, 1.0 / rate)

    @property
    def window_s(self) -> float:
        """How long after its call's answer a place stays taken."""
        return self.period_s * (1 + self.margin)

    @contextmanager
    def slot(self, operation: str) -> Iterator[float]:
        """Hold a place for one call of ``operation`` (waiting for one if needed); yields the seconds waited."""
        place, waited = self._take(operation)
        try:
            yield waited
        finally:
            with self._changed:
                place.ended = self.clock()
                self._changed.notify_all()

    def _take(self, operation: str) -> tuple[_Place, float]:
        waited = 0.0
        while True:
            with self._changed:
                now = self.clock()
                places = self._places.setdefault(operation, [])
                places[:] = [p for p in places if p.ended is None or p.ended > now - self.window_s]
                if len(places) < self.limit:
                    place = _Place()
                    places.append(place)
                    return place, waited
                ended = [p.ended for p in places if p.ended is not None]
                if not ended:  # every place is in a call that has not answered yet: wait for one
                    started = self.clock()
                    self._changed.wait()
                    waited += self.clock() - started
                    continue
                pause = min(ended) + self.window_s - now
            self.sleep(pause)
            waited += pause


# -- every call paced to its operation's published quota ------------------------------------------------

log = logging.getLogger("acrguard.flow_control")

#: the share of each published quota acrguard uses by default: the rest is left to the account's other clients
#: (the console, Terraform, other tools share the same per-account quota), and 10 % keeps a sweep well clear of
#: throttling while costing it at most a tenth of its speed where a quota sets the pace
DEFAULT_SHARE = 0.9
#: error codes that mean "over the flow-control quota" (the SDKs' retry lists, the gateway's documented answer)
THROTTLING_CODES = frozenset({"Throttling", "Throttling.User", "Throttling.Api", "Throttling.Concurrent"})


@dataclass(frozen=True)
class Quota:
    """At most ``limit`` calls in any ``period_s`` seconds of the operations a rule names, and where that comes from."""

    product: str
    actions: tuple[str, ...]
    limit: int
    period_s: float
    source: str
    published: bool

    def matches(self, product: str, action: str) -> bool:
        """Whether this rule governs ``product``/``action`` (``fnmatch`` patterns)."""
        from fnmatch import fnmatchcase  # imported when first paced, not at every function's cold start

        return fnmatchcase(product, self.product) and any(fnmatchcase(action, a) for a in self.actions)

    @property
    def rate(self) -> float:
        """Calls a second in the long run."""
        return self.limit / self.period_s


@lru_cache(maxsize=1)
def published_quotas() -> tuple[Quota, ...]:
    """The shipped figures (``acrguard/data/flow_control.json``), in matching order."""
    import json
    from importlib import resources

    data = json.loads(resources.files("acrguard").joinpath("data", "flow_control.json").read_text("utf-8"))
    return tuple(Quota(r["product"], tuple(r["actions"]), int(r["limit"]), float(r["period_s"]), r["source"],
                       bool(r["published"])) for r in data["rules"])


def quota_for(product: str, action: str, rules: tuple[Quota, ...] | None = None) -> Quota | None:
    """The first rule governing ``product``/``action`` (None: no rule, not paced)."""
    return next((q for q in (published_quotas() if rules is None else rules) if q.matches(product, action)), None)


@dataclass(frozen=True)
class Override:
    """One operation's setting in ``cloud.flow_control.operations``: a figure of its own, a share, or no pacing."""

    limit: int | None = None
    period_s: float | None = None
    share: float | None = None
    pace: bool = True


@dataclass(frozen=True)
class Pace:
    """How one operation is paced: its figure, the share used, and the places and window that come of them."""

    operation: str
    limit: int
    period_s: float
    share: float
    source: str
    places: int
    window_s: float

    @classmethod
    def of(cls, operation: str, limit: int, period_s: float, share: float, source: str) -> Pace:
        """``ceil(share x limit)`` places per ``period_s x places / (share x limit)`` (see the module docstring)."""
        places = max(1, math.ceil(share * limit - 1e-9))
        return cls(operation, limit, period_s, share, source, places, period_s * places / (share * limit))


@dataclass
class _Counts:
    calls: int = 0
    waited_s: float = 0.0
    throttled: int = 0


class FlowControl:
    """Every call waits for a place under its operation's quota (``slot``); throttled answers are counted.

    ``share``: of each quota (``DEFAULT_SHARE``). ``overrides``: ``"product:Action"`` or ``"product:*"``
    -> ``Override`` (an exact name wins over ``product:*``). ``rules``: the figures (default: the shipped ones).
    One ``FlowControl`` serves one account: the quotas are per account, so every client factory of an
    account shares it.
    """

    def __init__(self, share: float = DEFAULT_SHARE, overrides: Mapping[str, Override] | None = None, *,
                 rules: tuple[Quota, ...] | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not 0 < share <= 1:
            raise ValueError(f"share must be above 0 and at most 1, got {share!r}")
        self.share = share
        self.overrides = dict(overrides or {})
        self.rules = rules
        self._clock, self._sleep = clock, sleep
        self._paces: dict[str, Pace | None] = {}
        self._pacers: dict[str, CallPacer] = {}
        self._counts: dict[str, _Counts] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Any) -> FlowControl | None:
        """From a ``cloud.flow_control`` section (``FlowControlConfig``); None when pacing is switched off."""
        if config is None or not config.enabled:
            return None
        overrides = {name: Override(o.limit, o.period_s, o.share, o.pace) for name, o in config.operations.items()}
        return cls(config.share, overrides)

    def fresh(self) -> FlowControl:
        """The same settings with no place taken: for another account's calls (its quotas are its own)."""
        return FlowControl(self.share, self.overrides, rules=self.rules, clock=self._clock, sleep=self._sleep)

    def pace(self, product: str, action: str) -> Pace | None:
        """How ``product``/``action`` is paced (None: not paced)."""
        operation = f"{product}:{action}"
        with self._lock:
            if operation not in self._paces:
                self._paces[operation] = self._resolve(product, action)
            return self._paces[operation]

    def _resolve(self, product: str, action: str) -> Pace | None:
        operation = f"{product}:{action}"
        override = self.overrides.get(operation) or self.overrides.get(f"{product}:*") or Override()
        if not override.pace:
            return None
        share = override.share if override.share is not None else self.share
        if override.limit is not None:
            return Pace.of(operation, override.limit, override.period_s or 1.0, share, "cloud.flow_control.operations")
        rule = quota_for(product, action, self.rules)
        if rule is None:
            return None
        return Pace.of(operation, rule.limit, override.period_s or rule.period_s, share, rule.source)

    @contextmanager
    def slot(self, product: str, action: str) -> Iterator[float]:
        """Hold a place for one call of ``product``/``action`` (waiting if needed); yields the seconds waited."""
        pace = self.pace(product, action)
        operation = f"{product}:{action}"
        if pace is None:
            self._count(operation, 0.0)
            yield 0.0
            return
        with self._lock:
            pacer = self._pacers.get(operation)
            if pacer is None:
                pacer = self._pacers[operation] = CallPacer(pace.places, pace.window_s, clock=self._clock,
                                                            sleep=self._sleep)
        with pacer.slot(operation) as waited:
            self._count(operation, waited)
            yield waited

    def throttled(self, product: str, action: str) -> None:
        """Count one answer of ``product``/``action`` that was throttled all the same (the first one is logged)."""
        operation = f"{product}:{action}"
        with self._lock:
            counts = self._counts.setdefault(operation, _Counts())
            counts.throttled += 1
            first = counts.throttled == 1
        if first:
            pace = self.pace(product, action)
            log.warning("%s was throttled although paced to %s: another client of the account is using its quota; "
                        "throttled calls are retried and counted", operation,
                        f"{pace.places} calls per {pace.window_s:.3g} s" if pace else "no limit")

    def _count(self, operation: str, waited: float) -> None:
        with self._lock:
            counts = self._counts.setdefault(operation, _Counts())
            counts.calls += 1
            counts.waited_s += waited

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per ``product:Action``: calls started, seconds spent waiting for a place, throttled answers, the pace."""
        with self._lock:
            counts = {op: _Counts(c.calls, c.waited_s, c.throttled) for op, c in self._counts.items()}
            paces = dict(self._paces)
        out = {}
        for operation, c in sorted(counts.items()):
            pace = paces.get(operation)
            out[operation] = {"calls": c.calls, "waited_s": round(c.waited_s, 3), "throttled": c.throttled,
                              "quota": f"{pace.limit}/{pace.period_s:g}(s)" if pace else None,
                              "share": pace.share if pace else None}
        return out

    @property
    def throttled_total(self) -> int:
        """Throttled answers of every operation so far."""
        with self._lock:
            return sum(c.throttled for c in self._counts.values())
