"""The credential report fetched while discovery goes on, from the moment it is sure to be the hygiene plan.

The hygiene plan (``acrguard.pullkeys.plan.choose_hygiene``) compares the per-user reads, one per
active key and one per pull user, with the report's fixed cost for the account's size. The per-user
count only grows as discovery finds pull users, so once the users found so far make the report the
cheaper plan, the full count will too: the report can be generated and read then, beside the rest
of discovery, instead of after it. The calls are the same; the wait for them overlaps discovery.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from acrguard.pullkeys import plan as plans
from acrguard.pullkeys.credreport import ReportFetch

REPORT = "credential-report"


class EarlyReport:
    """Counts the pull users discovery finds and starts ``fetch`` once (in a thread) when the report is sure."""

    def __init__(self, fetch: Callable[[], ReportFetch], mode: str, users: Callable[[], int | None]) -> None:
        """``mode``: ``credential_report`` (``auto``, ``never``, ``always``); ``users()``: the account's user count."""
        self._fetch = fetch
        self._mode = mode
        self._users = users
        self._lock = threading.Lock()
        self._active: dict[str, int] = {}
        self._thread: threading.Thread | None = None
        self._outcome: ReportFetch | None = None
        self._error: BaseException | None = None

    @property
    def started(self) -> bool:
        """Whether the report is being (or has been) fetched."""
        with self._lock:
            return self._thread is not None

    def found(self, user: str, active_keys: int) -> None:
        """A pull user with ``active_keys`` active keys was found; start the fetch if the report is now sure."""
        with self._lock:
            if self._thread is not None or user in self._active:
                return
            self._active[user] = active_keys
            counts = plans.HygieneCounts(len(self._active), sum(self._active.values()), self._users())
            if plans.choose_hygiene(counts, self._mode).plan != REPORT:
                return
            self._thread = threading.Thread(target=self._run, name="acrguard-credential-report", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._outcome = self._fetch()
        except BaseException as exc:  # handed to result(), in the auditor's thread
            self._error = exc

    def result(self) -> ReportFetch | None:
        """The fetch's outcome, waiting for it (None: it never started); what it raised is raised here."""
        with self._lock:
            thread = self._thread
        if thread is None:
            return None
        thread.join()
        if self._error is not None:
            raise self._error
        return self._outcome
