"""The embedded state backend: one row in a SQLite file, versioned for compare-and-swap writes.

Opened ``read_only`` (every plan), the store creates nothing: no file, no directory, no
write-ahead log. A missing file is an empty state ("nothing remembered yet"). An existing file
is opened with SQLite's ``mode=ro`` URI parameter, and also ``immutable=1`` when no ``-wal``
file lies beside it: a read-only connection to a WAL database otherwise creates the ``-wal``
and ``-shm`` files, and leaves them (https://www.sqlite.org/wal.html, "Read-Only Databases";
https://www.sqlite.org/uri.html, ``mode`` and ``immutable``). When a ``-wal`` file exists
(a writer is open, or one crashed), its content is part of the state, so the file is opened
``mode=ro`` without ``immutable`` and the last committed document is read.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from acrguard.errors import StateConflict, StateError
from acrguard.state.base import Snapshot, StateStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS acrguard_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    data TEXT NOT NULL
)
"""


#: how long a connection waits for another writer's lock before giving up
_BUSY_TIMEOUT_S = 10.0


def _locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc).lower() or "busy" in str(exc).lower()


class SqliteStateStore(StateStore):
    """State in a SQLite file (created on first use, with its parent directory; never when ``read_only``)."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if read_only:
            self._open_read_only()
            return
        try:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=_BUSY_TIMEOUT_S, check_same_thread=False,
                                       isolation_level=None)
            self._use_write_ahead_log()
            self._db.execute(_SCHEMA)
        except sqlite3.OperationalError as exc:
            if _locked(exc):
                raise StateError(f"state file {self.path} stayed locked by another writer for "
                                 f"{_BUSY_TIMEOUT_S:.0f} s ({exc}); nothing was changed, try again") from None
            raise StateError(f"state file {self.path} is not a usable SQLite database ({exc}); "
                             "it was left untouched: move it aside to start with empty state") from None
        except sqlite3.DatabaseError as exc:
            raise StateError(f"state file {self.path} is not a usable SQLite database ({exc}); "
                             "it was left untouched: move it aside to start with empty state") from None

    def _open_read_only(self) -> None:
        """Open an existing file without creating or changing anything; a missing one stays unopened."""
        if str(self.path) == ":memory:" or not self.path.exists():
            return
        if not self.path.is_file():
            raise StateError(f"state file {self.path} is not a file")
        immutable = not Path(f"{self.path}-wal").exists()
        self._db = self._connect_read_only(immutable)

    def _connect_read_only(self, immutable: bool) -> sqlite3.Connection:
        uri = f"file:{quote(str(self.path.absolute()))}?mode=ro" + ("&immutable=1" if immutable else "")
        try:
            return sqlite3.connect(uri, uri=True, timeout=_BUSY_TIMEOUT_S, check_same_thread=False,
                                   isolation_level=None)
        except sqlite3.DatabaseError as exc:
            raise StateError(f"state file {self.path} cannot be opened read-only ({exc})") from None

    def _read_row(self) -> Any:
        """The state row (None: no document yet); a read-only file without the table is an empty state."""
        assert self._db is not None
        try:
            return self._db.execute("SELECT version, data FROM acrguard_state WHERE id = 1").fetchone()
        except sqlite3.OperationalError as exc:
            if self.read_only and "no such table" in str(exc):
                return None
            raise

    def _use_write_ahead_log(self) -> None:
        """Switch the file to write-ahead logging, once (the mode is stored in the file).

        A commit then costs a write, not an fsync, and a crash still leaves the last committed
        document or the one before it, never a torn one. Switching needs the file to itself, and
        SQLite does not wait for that (no busy timeout): two connections opening a new file at the
        same moment would see "database is locked", so the switch is retried until the timeout.
        """
        deadline = time.monotonic() + _BUSY_TIMEOUT_S
        while True:
            try:
                (mode,) = self._db.execute("PRAGMA journal_mode").fetchone()
                if str(mode).lower() != "wal":
                    self._db.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if not _locked(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)
        self._db.execute("PRAGMA synchronous=NORMAL")

    def load(self) -> Snapshot:
        """Read the document; a row that is not a JSON object is reported, not replaced."""
        with self._lock:
            if self._db is None:
                return Snapshot({}, None)  # read-only and no file: nothing remembered yet
            try:
                row = self._read_row()
            except sqlite3.DatabaseError as exc:
                if not self.read_only:
                    raise StateError(f"cannot read state from {self.path}: {exc}") from None
                try:  # a writer changed the file under an immutable read: read it as a WAL reader
                    self._db.close()
                    self._db = self._connect_read_only(immutable=False)
                    row = self._read_row()
                except sqlite3.DatabaseError as again:
                    raise StateError(f"cannot read state from {self.path}: {again}") from None
        if row is None:
            return Snapshot({}, None)
        version, text = row
        try:
            data: Any = json.loads(text)
        except ValueError as exc:
            raise StateError(f"state in {self.path} is corrupt (not JSON: {exc}); it was left untouched") from None
        if not isinstance(data, dict):
            raise StateError(f"state in {self.path} is corrupt (expected a JSON object); it was left untouched")
        return Snapshot(data, str(version))

    def save(self, snapshot: Snapshot) -> Snapshot:
        """Write if the stored version is still ``snapshot.version`` (``StateConflict`` otherwise)."""
        if self.read_only or self._db is None:
            raise StateError(f"state file {self.path} is open read-only: this run writes nothing")
        text = json.dumps(snapshot.data, sort_keys=True, separators=(",", ":"), default=str)
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                row = self._db.execute("SELECT version FROM acrguard_state WHERE id = 1").fetchone()
                current = None if row is None else str(row[0])
                if current != snapshot.version:
                    self._db.execute("ROLLBACK")
                    raise StateConflict(f"state in {self.path} is at version {current}, "
                                        f"not {snapshot.version} as read")
                new_version = 1 if row is None else int(row[0]) + 1
                self._db.execute("INSERT OR REPLACE INTO acrguard_state (id, version, data) VALUES (1, ?, ?)",
                                 (new_version, text))
                self._db.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StateError(f"cannot write state to {self.path}: {exc}") from None
        return Snapshot(snapshot.data, str(new_version))

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            if self._db is not None:
                self._db.close()
