"""Rate limits of chat robots, as a sliding window over the times of accepted messages.

The send times live in the state store (``alerts.robots``), so a limit holds across function
invocations. Each channel module states its platform's limit, with its source; this module
only does the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

WINDOW_S = 60.0


@dataclass(frozen=True)
class RateLimit:
    """How often one robot may be sent to.

    ``per_minute``: messages in any 60 s window (None: no such limit). ``per_second``: pace
    messages at least ``1 / per_second`` apart. ``block_s``: how long to stop after the platform
    answered "too fast" (DingTalk blocks the robot for 10 minutes) when it gives no Retry-After.
    """

    per_minute: int | None = None
    per_second: float | None = None
    block_s: float = 60.0

    def lowered_to(self, per_minute: int | None) -> RateLimit:
        """This limit with a per-minute budget no higher than ``per_minute`` (None: unchanged)."""
        if per_minute is None:
            return self
        current = self.per_minute if self.per_minute is not None else per_minute
        return replace(self, per_minute=min(current, per_minute))

    @property
    def min_gap_s(self) -> float:
        """The least time between two messages."""
        return 1.0 / self.per_second if self.per_second else 0.0


def remaining(limit: RateLimit, sent: list[float], now: float) -> int | None:
    """Messages the robot still accepts in the current window (None: unlimited)."""
    if limit.per_minute is None:
        return None
    recent = [t for t in sent if t > now - WINDOW_S]
    return max(0, limit.per_minute - len(recent))


def wait_before_next(limit: RateLimit, sent: list[float], now: float) -> float:
    """Seconds to wait before the next message so it keeps ``min_gap_s`` from the last one."""
    if not sent or limit.min_gap_s <= 0:
        return 0.0
    return max(0.0, max(sent) + limit.min_gap_s - now)
