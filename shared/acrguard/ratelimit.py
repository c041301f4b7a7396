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
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


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
