"""Bounded polling for asynchronous route writes.

Route writes are asynchronous (``Pending``/``Creating`` before ``Available``/``Active``) and a table
refuses a write while another entry is still changing (CreateRouteEntry: ``IncorrectRouteEntryStatus``,
``TaskConflict``; CreateTransitRouterRouteEntry: ``Creating`` until ``Active``). A ``Waiter``
polls until a condition holds, or retries a write that answered "busy", never longer than
``timeout_s`` of sleeping. ``sleep`` is injectable so the local cloud's clock can stand in for time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TypeVar

from acrguard.errors import CloudCallError

T = TypeVar("T")


@dataclass(frozen=True)
class Waiter:
    """Poll every ``interval_s`` for at most ``timeout_s`` (counted as time slept)."""

    timeout_s: float = 120.0
    interval_s: float = 2.0
    sleep: Callable[[float], None] = time.sleep

    def until(self, probe: Callable[[], bool], *, known_false: bool = False) -> bool:
        """Call ``probe`` until it returns True; False when the time is up.

        ``known_false``: the caller has just seen the condition fail, so the first poll comes after
        one interval rather than at once (a poll that could only repeat that answer is not made).
        """
        slept = 0.0
        if known_false:
            if self.timeout_s <= 0:
                return False
            self.sleep(self.interval_s)
            slept += self.interval_s
        while True:
            if probe():
                return True
            if slept >= self.timeout_s:
                return False
            self.sleep(self.interval_s)
            slept += self.interval_s

    def retrying(self, write: Callable[[], T], busy_codes: Collection[str]) -> T:
        """Run ``write``, retrying while it fails with one of ``busy_codes``; re-raise when the time is up."""
        slept = 0.0
        while True:
            try:
                return write()
            except CloudCallError as exc:
                if exc.code not in busy_codes or slept >= self.timeout_s:
                    raise
            self.sleep(self.interval_s)
            slept += self.interval_s
