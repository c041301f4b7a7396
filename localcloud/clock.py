"""A clock the tests can move forward (STS expiry, async route states, hysteresis)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone


class Clock:
    """Wall-clock time plus an offset that only ever grows."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, as the local cloud sees them."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (never backwards)."""
        if seconds < 0:
            raise ValueError("the local cloud clock only moves forward")
        with self._lock:
            self._offset += seconds

    def utcnow(self) -> datetime:
        """The current time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), tz=timezone.utc)

    def iso(self, offset_seconds: float = 0.0) -> str:
        """ISO 8601 UTC time (``2026-11-25T19:30:29Z``), optionally shifted."""
        moment = datetime.fromtimestamp(self.now() + offset_seconds, tz=timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
