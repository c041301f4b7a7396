"""How long the local cloud itself spent answering, so a handler's in-process time can exclude it.

The local cloud runs in the bench's process, on its own threads. ``ServerTimer`` wraps the request
handling of the front ends a job talks to (the OpenAPI gateway from the parsed request to the
written response, the registry's ``/v2/`` answer, each DNS query) and keeps every (start, end);
``busy(start, end)`` is the length of the union of those intervals inside a window: the time at
least one cloud request was being answered. A handler's in-process time is its wall time minus
that. What happens before a front end parses a request and after it answers (socket transfer, the
SDK's signing and parsing) counts as in-process, so the figure overstates the handler's own time a
little rather than understating it.

This is measurement only: it wraps one method of each front end's handler class for the life of
the timer and restores it afterwards.
"""

from __future__ import annotations

import threading
import time
from typing import Any


def _targets(cloud: Any) -> list[tuple[Any, str]]:
    """``(class, method)`` of each front end whose answers are timed."""
    endpoints = cloud.endpoints()
    servers = getattr(cloud, "_servers", [])
    found: list[tuple[Any, str]] = []
    for server in servers:
        address = getattr(server, "address", None)
        if address == endpoints["openapi"] and hasattr(server, "httpd"):
            found.append((server.httpd.RequestHandlerClass, "_handle"))
        elif address == endpoints["registry"] and hasattr(server, "httpd"):
            found.append((server.httpd.RequestHandlerClass, "do_GET"))
        elif address == endpoints["dns"] and hasattr(server, "udp"):
            found.append((server.udp.server.RequestHandlerClass, "handle"))
    if not any(method == "_handle" for _, method in found):
        raise RuntimeError("the local cloud's OpenAPI server is not running")
    return found


class ServerTimer:
    """Records when the local cloud's front ends were busy (use as a context manager)."""

    def __init__(self, cloud: Any) -> None:
        self._targets = [(owner, name, getattr(owner, name)) for owner, name in _targets(cloud)]
        self._lock = threading.Lock()
        self.intervals: list[tuple[float, float]] = []

    def __enter__(self) -> ServerTimer:
        for owner, name, original in self._targets:
            setattr(owner, name, self._timed(original))
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in self._targets:
            setattr(owner, name, original)

    def _timed(self, original: Any) -> Any:
        intervals, lock = self.intervals, self._lock

        def timed(handler: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(handler)
            finally:
                ended = time.perf_counter()
                with lock:
                    intervals.append((started, ended))

        return timed

    def busy(self, start: float, end: float) -> float:
        """Seconds within ``[start, end]`` during which some request was being answered."""
        with self._lock:
            spans = sorted((max(a, start), min(b, end)) for a, b in self.intervals if b > start and a < end)
        total, current_start, current_end = 0.0, 0.0, None
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
