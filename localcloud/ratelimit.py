"""API rate limits per account and operation, answered with ``Throttling.User`` as the gateway does.

Alibaba Cloud throttles each OpenAPI operation per account: the "QPS limit for a single user" is
the total of the account, its RAM users and its roles. Quota Center shows each operation's quota
as ``N/T(s)`` ("200/60 s": 200 calls a minute; "5/1 s": 5 a second), and a call over it is
denied (https://help.aliyun.com/en/openapi/throttling-and-quota-management). The SDK sees
``Throttling.User`` with HTTP 400 as a ``ClientException`` (``../shared/reference/sdk-feasibility.md``
§4, step 10); with an ``x-acs-retry-after`` header it raises ``ThrottlingException`` instead.

No per-operation figure for RAM, ACR, VPC or CEN was found in the reference notes
(``ram-audit.md`` "Rate limits": none documented) or the published pages searched, so nothing is
limited unless a world or a caller asks for it:

* world ``rate_limits: [{product: ram, action: "List*", limit: 100, period_s: 1}, ...]``, or
  ``rate_limits: default`` for ``DEFAULT_RULES``;
* ``rate_limits(cloud).add(product="ram", limit=100)`` on a running cloud.

Emulator's choices, not documented behaviour: ``DEFAULT_RULES`` (100 calls a second for each
operation of every product); a sliding window (at most ``limit`` admitted calls in any
``period_s``) rather than fixed minute buckets; only admitted calls count toward the window; the
window runs on the cloud's clock (``LocalCloud.advance`` moves it); the message text.
"""

from __future__ import annotations

import fnmatch
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localcloud.errors import CloudError

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

THROTTLED_CODE = "Throttling.User"
THROTTLED_MESSAGE = "Request was denied due to user flow control."


@dataclass(frozen=True)
class RateRule:
    """At most ``limit`` calls in any ``period_s`` seconds, for each (account, product, action) it matches.

    ``product``/``action`` are ``fnmatch`` patterns; ``*`` gives every matching operation its own
    window (the gateway counts per operation). ``retry_after_ms`` adds ``x-acs-retry-after``.
    """

    limit: int
    period_s: float = 1.0
    product: str = "*"
    action: str = "*"
    retry_after_ms: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.limit, int) or isinstance(self.limit, bool) or self.limit < 1:
            raise ValueError(f"limit must be a positive integer, got {self.limit!r}")
        if not isinstance(self.period_s, (int, float)) or self.period_s <= 0:
            raise ValueError(f"period_s must be a positive number, got {self.period_s!r}")
        if self.retry_after_ms is not None and (not isinstance(self.retry_after_ms, int) or self.retry_after_ms < 1):
            raise ValueError(f"retry_after_ms must be a positive integer, got {self.retry_after_ms!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RateRule:
        """A rule from a world or caller mapping (unknown keys are an error)."""
        allowed = set(cls.__dataclass_fields__)
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown rate limit keys: {sorted(unknown)}; allowed: {sorted(allowed)}")
        if "limit" not in data:
            raise ValueError("a rate limit needs 'limit' (calls per period_s)")
        return cls(**data)

    def matches(self, product: str, action: str) -> bool:
        """Whether this rule governs ``product``/``action``."""
        return fnmatch.fnmatchcase(product, self.product) and fnmatch.fnmatchcase(action, self.action)

    @property
    def rate(self) -> float:
        """Calls a second this rule allows in the long run."""
        return self.limit / self.period_s

    def error(self) -> CloudError:
        """The answer to a call over the limit."""
        extra = {"x-acs-retry-after": str(self.retry_after_ms)} if self.retry_after_ms else {}
        return CloudError(THROTTLED_CODE, THROTTLED_MESSAGE, 400, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {"product": self.product, "action": self.action, "limit": self.limit, "period_s": self.period_s,
                "retry_after_ms": self.retry_after_ms}


#: The emulator's stated choice when a world asks for ``rate_limits: default`` (not a documented figure).
DEFAULT_RULES: tuple[RateRule, ...] = (RateRule(limit=100, period_s=1.0),)


@dataclass
class _Window:
    admitted: deque[float] = field(default_factory=deque)
    denied: int = 0


class RateLimits:
    """The rules, and the sliding window of each (account, product, action) they govern."""

    def __init__(self, rules: Iterable[RateRule] = (), clock: Callable[[], float] | None = None) -> None:
        import time

        self._rules = list(rules)
        self._clock = clock or time.monotonic
        self._windows: dict[tuple[str, str, str], _Window] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_world(cls, data: Any, clock: Callable[[], float] | None = None) -> RateLimits:
        """Limits from a world's ``rate_limits`` value: absent, ``default``, or a list of rule mappings."""
        if data is None or data is False:
            return cls((), clock)
        if data == "default" or data is True:
            return cls(DEFAULT_RULES, clock)
        if not isinstance(data, list):
            raise ValueError("world: rate_limits must be 'default' or a list of {product, action, limit, period_s}")
        rules = []
        for index, item in enumerate(data):
            if not isinstance(item, dict):
                raise ValueError(f"world: rate_limits[{index}]: expected a mapping, got {type(item).__name__}")
            try:
                rules.append(RateRule.from_dict(item))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"world: rate_limits[{index}]: {exc}") from None
        return cls(rules, clock)

    def add(self, rule: RateRule | None = None, **fields: Any) -> RateRule:
        """Add a rule after the others (``add(RateRule(...))`` or ``add(limit=100, product="ram")``)."""
        chosen = rule if rule is not None else RateRule.from_dict(fields)
        with self._lock:
            self._rules.append(chosen)
        return chosen

    def clear(self) -> None:
        """Remove every rule and forget every window."""
        with self._lock:
            self._rules.clear()
            self._windows.clear()

    def rules(self) -> list[RateRule]:
        """A copy of the rules, in order."""
        with self._lock:
            return list(self._rules)

    def rule_for(self, product: str, action: str) -> RateRule | None:
        """The first rule governing ``product``/``action`` (None: unlimited)."""
        with self._lock:
            return next((r for r in self._rules if r.matches(product, action)), None)

    def admit(self, account_id: str, product: str, action: str) -> RateRule | None:
        """Count a call if its window has room; else return the rule that denies it (its ``error()`` answers)."""
        with self._lock:
            rule = next((r for r in self._rules if r.matches(product, action)), None)
            if rule is None:
                return None
            now = self._clock()
            window = self._windows.setdefault((account_id, product, action), _Window())
            while window.admitted and window.admitted[0] <= now - rule.period_s:
                window.admitted.popleft()
            if len(window.admitted) >= rule.limit:
                window.denied += 1
                return rule
            window.admitted.append(now)
            return None

    def denied(self, product: str | None = None, action: str | None = None) -> int:
        """How many calls were throttled (optionally of one product/action)."""
        with self._lock:
            return sum(w.denied for (_, p, a), w in self._windows.items()
                       if product in (None, p) and action in (None, a))


_ATTRIBUTE = "_localcloud_rate_limits"
_lock = threading.Lock()


def rate_limits(cloud: LocalCloud) -> RateLimits:
    """The cloud's rate limits, built from ``cloud.world["rate_limits"]`` (again after a new world is loaded).

    The limits live beside the cloud rather than in it; a world error is raised here, naming
    ``rate_limits[i]``. Rules added by a caller last until another world object is loaded.
    """
    with _lock:
        held = getattr(cloud, _ATTRIBUTE, None)
        if held is None or held[0] is not cloud.world:
            limits = RateLimits.from_world(cloud.world.get("rate_limits"), clock=cloud.clock.now)
            held = (cloud.world, limits)
            setattr(cloud, _ATTRIBUTE, held)
        return held[1]
