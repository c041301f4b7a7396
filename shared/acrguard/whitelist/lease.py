"""One guard run at a time removes entries from an instance's whitelist: a lease in the state store.

FC reserved concurrency 1 serializes the whitelist function; when it is lost (a redeploy that
dropped it, a second deployment, the CLI run by hand next to the function), two runs can plan
from the same read and each remove what the other still wants: with a round-robin hostname, run
A keeps address X and removes Y while run B keeps Y and removes X, and the whitelist is empty.
Before its first removal a run takes the lease of the instance (a version-checked write of its
record, ``whitelist_leases/<instance id>``, so only one run holds it); the re-read before each removal then sees every
removal of the run that held it before (``apply``). Adds never wait for the lease: they only
close doors, and restoring an emptied whitelist must not wait for anyone.

A run that cannot take the lease within ``WAIT_S`` (another run is removing, or the state cannot
be written) removes nothing this time: nothing is deleted on doubt; the next run converges. A run
that died holding the lease blocks removals for at most ``LEASE_S``.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from acrguard.errors import StateError
from acrguard.state import keys
from acrguard.state.base import StateStore

SECTION = "whitelist_leases"
#: how long a lease holds: longer than the whitelist function's 60 s timeout (s.yaml)
LEASE_S = 90.0
#: how long a run waits for another run's lease before it leaves its removals to the next run
WAIT_S = 10.0
POLL_S = 0.1


@dataclass
class RemovalLease:
    """The right to remove entries from one instance's whitelist, taken lazily and given back once."""

    store: StateStore
    instance_id: str
    wait_s: float | None = None  # None: WAIT_S
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    held: bool = False

    def acquire(self) -> str | None:
        """Take the lease (waiting at most ``wait_s``); None when held, else why removals must wait."""
        if self.held:
            return None
        limit = WAIT_S if self.wait_s is None else self.wait_s
        waited = 0.0
        while True:
            try:
                if self.store.update(keys.whitelist_lease(self.instance_id), self._take):
                    self.held = True
                    return None
            except StateError as exc:
                return f"the removal lease cannot be taken (state store: {exc})"
            if waited >= limit:
                return (f"another acrguard run is removing entries from this whitelist (waited {limit:g} s); "
                        "the next run converges")
            self.sleep(POLL_S)
            waited += POLL_S

    def release(self) -> None:
        """Give the lease back (only our own; a failure leaves it to expire)."""
        if not self.held:
            return
        self.held = False
        with contextlib.suppress(StateError):  # else it expires after LEASE_S
            self.store.update(keys.whitelist_lease(self.instance_id), self._give_back)

    def _take(self, current: dict[str, Any]) -> bool:
        if not isinstance(current, dict):
            raise StateError(f"the lease record of {self.instance_id} is malformed (expected an object)")
        now = self.clock()
        if current.get("token") not in (None, self.token) and float(current.get("until") or 0) > now:
            return False
        current.clear()
        current.update(token=self.token, until=now + LEASE_S)
        return True

    def _give_back(self, current: dict[str, Any]) -> None:
        if isinstance(current, dict) and current.get("token") == self.token:
            current.clear()
