"""The request log: every API call the local cloud answered, for tests and benchmarks to count."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the local cloud saw it, and how it answered."""

    seq: int
    time: float
    product: str
    action: str
    version: str
    account_id: str | None
    region: str | None
    access_key_id: str | None
    params: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    error_code: str | None = None
    fault: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return asdict(self)


class RequestLog:
    """Thread-safe append-only list of ``RecordedRequest``."""

    def __init__(self) -> None:
        self._items: list[RecordedRequest] = []
        self._lock = threading.Lock()

    def append(self, **fields: Any) -> RecordedRequest:
        """Record a request; ``seq`` is assigned here."""
        with self._lock:
            item = RecordedRequest(seq=len(self._items) + 1, **fields)
            self._items.append(item)
            return item

    def clear(self) -> None:
        """Forget every recorded request."""
        with self._lock:
            self._items.clear()

    def all(self) -> list[RecordedRequest]:
        """A copy of every recorded request, oldest first."""
        with self._lock:
            return list(self._items)

    def filter(self, product: str | None = None, action: str | Iterable[str] | None = None,
               ok: bool | None = None, since: int = 0) -> list[RecordedRequest]:
        """Requests matching the product, action(s), outcome and ``seq > since``."""
        actions = {action} if isinstance(action, str) else set(action) if action is not None else None
        out = []
        for item in self.all():
            if item.seq <= since:
                continue
            if product is not None and item.product != product:
                continue
            if actions is not None and item.action not in actions:
                continue
            if ok is not None and (item.status < 400) != ok:
                continue
            out.append(item)
        return out

    def count(self, product: str | None = None, action: str | Iterable[str] | None = None,
              ok: bool | None = None, since: int = 0) -> int:
        """How many requests match (see ``filter``)."""
        return len(self.filter(product, action, ok, since))

    def last_seq(self) -> int:
        """The ``seq`` of the newest request (0 when empty); pass it as ``since`` later."""
        with self._lock:
            return len(self._items)
