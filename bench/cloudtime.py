"""How long the local cloud itself spent answering, so a handler's in-process time can exclude it.

The local cloud runs in the bench's process, on its own threads. ``ServerTimer`` wraps the
OpenAPI front end's request handling (from the parsed request to the written response) and keeps
each request's (start, end); ``busy(start, end)`` is the length of the union of those intervals
inside a window: the time at least one cloud request was being answered. A handler's in-process
time is then its wall time minus that. It counts as in-process what happens before the cloud
parses a request and after it answers (socket transfer, the SDK's signing and parsing), so it
overstates the handler's own time a little rather than understating it.

This is measurement only: it reads the front end's handler class and wraps one method of it for
the life of the timer, and restores it afterwards.
"""

from __future__ import annotations

import threading
import time
from typing import Any


class ServerTimer:
    """Records when the local cloud's OpenAPI front end was busy (use as a context manager)."""

    def __init__(self, cloud: Any) -> None:
        address = cloud.endpoints()["openapi"]
        servers = [s for s in getattr(cloud, "_servers", []) if getattr(s, "address", None) == address]
        if not servers:
            raise RuntimeError("the local cloud's OpenAPI server is not running")
        self._handler_cls = servers[0].httpd.RequestHandlerClass
        self._original = self._handler_cls._handle
        self._lock = threading.Lock()
        self.intervals: list[tuple[float, float]] = []

    def __enter__(self) -> ServerTimer:
        original, intervals, lock = self._original, self.intervals, self._lock

        def timed(handler: Any) -> None:
            started = time.perf_counter()
            try:
                original(handler)
            finally:
                ended = time.perf_counter()
                with lock:
                    intervals.append((started, ended))

        self._handler_cls._handle = timed
        return self

    def __exit__(self, *exc: object) -> None:
        self._handler_cls._handle = self._original

    def busy(self, start: float, end: float) -> float:
        """Seconds within ``[start, end]`` during which some request was being answered."""
        with self._lock:
            spans = sorted((max(a, start), min(b, end)) for a, b in self.intervals if b > start and a < end)
        total, current_start, current_end = 0.0, None, None
        for a, b in spans:
            if current_end is None or a > current_end:
                if current_end is not None:
                    total += current_end - current_start
                current_start, current_end = a, b
            else:
                current_end = max(current_end, b)
        if current_end is not None:
            total += current_end - current_start
        return total
