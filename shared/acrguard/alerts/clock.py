"""The time source of the alert pipeline: read the time, and wait (to pace sends under a rate limit).

Injected so tests can share the local cloud's clock (whose chat sinks enforce the same limits)
and pass time without sleeping.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """What the pipeline needs from a clock."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        ...


class SystemClock:
    """Wall-clock time and real sleeping."""

    def now(self) -> float:
        """``time.time()``."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        """``time.sleep`` (nothing for zero or less)."""
        if seconds > 0:
            time.sleep(seconds)
