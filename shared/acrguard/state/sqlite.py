"""The embedded state backend: one row per record in a SQLite file, each versioned for compare-and-swap writes.

The table ``acrguard_records`` is keyed by (namespace, key), with a version (a random token, new
at every write, so a record deleted and created again never comes back at an old version) and the
value as JSON text. The file uses write-ahead logging: a commit costs a write, not an fsync, and a
crash leaves the last committed state or the one before it, never a torn one.

**Migration.** Before, the whole state was one JSON document in the row ``id = 1`` of the table
``acrguard_state``. A writer that opens such a file and finds no migration marker
(``acrguard.state.keys.MIGRATION``) splits the document into records (``keys.split_document``) and
writes them, with the marker, in one transaction: a crash leaves either nothing or everything, and
the records are inserted only where none exists, so running it twice changes nothing. The old
table is left as it was. A document that cannot be parsed is reported (``StateError``) and left as
it is, and nothing is written. Opened read-only, the store reads an unmigrated document as records
in memory, writing nothing.

Opened ``read_only`` (every plan), the store creates nothing: no file, no directory, no write-ahead
log. A missing file is an empty state ("nothing remembered yet"). An existing file is opened with
SQLite's ``mode=ro`` URI parameter, and also ``immutable=1`` when no ``-wal`` file lies beside it: a
read-only connection to a WAL database otherwise creates the ``-wal`` and ``-shm`` files, and leaves
them (https://www.sqlite.org/wal.html, "Read-Only Databases"; https://www.sqlite.org/uri.html,
``mode`` and ``immutable``). When a ``-wal`` file exists (a writer is open, or one crashed), its
content is part of the state, so the file is opened ``mode=ro`` without ``immutable`` and the last
committed records are read.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from acrguard.errors import StateConflict, StateError
from acrguard.state import keys as layout
from acrguard.state.base import Record, StateStore, check_key, prefix_end

_SCHEMA = """
CREATE TABLE IF NOT EXISTS acrguard_records (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    version TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID
"""
#: the table of the one document acrguard kept before (read once, to migrate)
_LEGACY = "acrguard_state"
#: how a ``key IN (...)`` query is split (SQLite's default limit of host parameters is 999 or more)
_CHUNK = 500
#: how long a connection waits for another writer's lock before giving up
_BUSY_TIMEOUT_S = 10.0


def _locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc).lower() or "busy" in str(exc).lower()


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _new_version() -> str:
    return uuid.uuid4().hex[:16]


class SqliteStateStore(StateStore):
    """State in a SQLite file (created on first use, with its parent directory; never when ``read_only``).

    ``namespace`` keeps several stores apart in one file (the column of the same name).
    """

    def __init__(self, path: str | Path, *, read_only: bool = False, namespace: str = "") -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.namespace = namespace
        self.location = str(self.path) + (f" (namespace {namespace})" if namespace else "")
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        #: an unmigrated document read as records (read-only stores only)
        self._overlay: dict[str, Record] | None = None
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
            raise self._unusable(exc) from None
        except sqlite3.DatabaseError as exc:
            raise self._unusable(exc) from None
        self._migrate()

    def _unusable(self, exc: Exception) -> StateError:
        return StateError(f"state file {self.path} is not a usable SQLite database ({exc}); it was left untouched: "
                          "move it aside to start with empty state")

    # -- opening -----------------------------------------------------------------------------------
    def _open_read_only(self) -> None:
        """Open an existing file without creating or changing anything; a missing one stays unopened."""
        if str(self.path) == ":memory:" or not self.path.exists():
            return
        if not self.path.is_file():
            raise StateError(f"state file {self.path} is not a file")
        immutable = not Path(f"{self.path}-wal").exists()
        self._db = self._connect_read_only(immutable)
        try:
            if self.namespace == "" and not self._has_marker():
                legacy = self._legacy_document()
                if legacy is not None:
                    self._overlay = {key: Record(key, value, "legacy")
                                     for key, value in layout.split_document(legacy).items()}
        except sqlite3.DatabaseError as exc:
            raise StateError(f"cannot read state from {self.path}: {exc}") from None

    def _connect_read_only(self, immutable: bool) -> sqlite3.Connection:
        uri = f"file:{quote(str(self.path.absolute()))}?mode=ro" + ("&immutable=1" if immutable else "")
        try:
            return sqlite3.connect(uri, uri=True, timeout=_BUSY_TIMEOUT_S, check_same_thread=False,
                                   isolation_level=None)
        except sqlite3.DatabaseError as exc:
            raise StateError(f"state file {self.path} cannot be opened read-only ({exc})") from None

    def _use_write_ahead_log(self) -> None:
        """Switch the file to write-ahead logging, once (the mode is stored in the file).

        Switching needs the file to itself, and SQLite does not wait for that (no busy timeout): two
        connections opening a new file at the same moment would see "database is locked", so the
        switch is retried until the timeout.
        """
        assert self._db is not None
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

    # -- migration ---------------------------------------------------------------------------------
    def _table_exists(self, table: str) -> bool:
        assert self._db is not None
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                (table,)).fetchone() is not None

    def _has_marker(self) -> bool:
        assert self._db is not None
        if not self._table_exists("acrguard_records"):
            return False
        return self._db.execute("SELECT 1 FROM acrguard_records WHERE namespace = ? AND key = ?",
                                (self.namespace, layout.MIGRATION)).fetchone() is not None

    def _legacy_document(self) -> dict[str, Any] | None:
        """The old single document (None when there is none); ``StateError`` when it cannot be parsed."""
        assert self._db is not None
        if not self._table_exists(_LEGACY):
            return None
        row = self._db.execute(f"SELECT data FROM {_LEGACY} WHERE id = 1").fetchone()
        if row is None:
            return None
        try:
            document: Any = json.loads(row[0])
        except (TypeError, ValueError) as exc:
            raise StateError(f"state in {self.path} is corrupt (the document of before is not JSON: {exc}); "
                             "it was left untouched") from None
        if not isinstance(document, dict):
            raise StateError(f"state in {self.path} is corrupt (the document of before is not a JSON object); "
                             "it was left untouched")
        return document

    def _migrate(self) -> None:
        """Carry the old single document over into records, once, in one transaction (see the module docstring)."""
        assert self._db is not None
        if self.namespace != "":
            return
        with self._lock:
            try:
                if self._has_marker():
                    return
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    document = self._legacy_document() if not self._has_marker() else None
                    if document is not None:
                        records = layout.split_document(document)
                        rows = [(self.namespace, check_key(key), _new_version(), _dump(value))
                                for key, value in records.items()]
                        self._db.executemany("INSERT OR IGNORE INTO acrguard_records (namespace, key, version, value) "
                                             "VALUES (?, ?, ?, ?)", rows)
                        marker = {"from": f"{self.path} table {_LEGACY}", "records": len(rows), "at": time.time()}
                        self._db.execute("INSERT OR IGNORE INTO acrguard_records (namespace, key, version, value) "
                                         "VALUES (?, ?, ?, ?)", (self.namespace, layout.MIGRATION, _new_version(),
                                                                 _dump(marker)))
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.DatabaseError as exc:
                raise StateError(f"cannot migrate the state in {self.path}: {exc}") from None

    # -- reading -----------------------------------------------------------------------------------
    def _rows(self, query: str, params: Iterable[Any]) -> list[tuple[Any, ...]]:
        """Run a read query (a read-only file changed under an immutable read is read again as a WAL reader)."""
        with self._lock:
            assert self._db is not None
            try:
                return self._db.execute(query, tuple(params)).fetchall()
            except sqlite3.OperationalError as exc:
                if self.read_only and "no such table" in str(exc):
                    return []
                if not self.read_only:
                    raise StateError(f"cannot read state from {self.path}: {exc}") from None
                return self._reread(query, params)
            except sqlite3.DatabaseError:
                if not self.read_only:
                    raise
                return self._reread(query, params)

    def _reread(self, query: str, params: Iterable[Any]) -> list[tuple[Any, ...]]:
        assert self._db is not None
        try:
            self._db.close()
            self._db = self._connect_read_only(immutable=False)
            return self._db.execute(query, tuple(params)).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise StateError(f"cannot read state from {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise StateError(f"cannot read state from {self.path}: {exc}") from None

    def _record(self, key: str, version: str, text: str) -> Record:
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise StateError(f"state record {key} in {self.path} is corrupt (not JSON: {exc}); it was left "
                             "untouched") from None
        self.stats.reads += 1
        return Record(key, value, str(version))

    def _overlaid(self, found: dict[str, Record], wanted: Iterable[str] | None, prefix: str | None
                  ) -> dict[str, Record]:
        if self._overlay is None:
            return found
        extra = {k: Record(k, json.loads(_dump(r.value)), r.version) for k, r in self._overlay.items()
                 if (wanted is None or k in wanted) and (prefix is None or k.startswith(prefix)) and k not in found}
        return {**found, **extra}

    def get(self, key: str) -> Record | None:
        """The record at ``key`` (None when there is none)."""
        return self.get_many([key]).get(key)

    def get_many(self, keys: Iterable[str] | None = None, *, prefix: str | None = None) -> dict[str, Record]:
        """The records at ``keys``, or under ``prefix``."""
        if self._db is None:
            return {}
        found: dict[str, Record] = {}
        if keys is not None:
            wanted = list(dict.fromkeys(keys))
            for chunk in _chunks(wanted):
                marks = ",".join("?" * len(chunk))
                for key, version, text in self._rows(
                        f"SELECT key, version, value FROM acrguard_records WHERE namespace = ? AND key IN ({marks})",
                        [self.namespace, *chunk]):
                    found[key] = self._record(key, version, text)
            return self._overlaid(found, set(wanted), None)
        if prefix is None:
            raise ValueError("get_many needs keys or a prefix")
        for key, version, text in self._rows(
                "SELECT key, version, value FROM acrguard_records WHERE namespace = ? AND key >= ? AND key < ? "
                "ORDER BY key", [self.namespace, prefix, prefix_end(prefix)]):
            found[key] = self._record(key, version, text)
        return self._overlaid(found, None, prefix)

    def list(self, prefix: str, *, before: str | None = None) -> list[str]:
        """The keys under ``prefix`` (before ``before``), sorted."""
        if self._db is None:
            return []
        end = prefix_end(prefix) if before is None else min(prefix_end(prefix), before)
        found = [row[0] for row in self._rows("SELECT key FROM acrguard_records WHERE namespace = ? AND key >= ? "
                                              "AND key < ? ORDER BY key", [self.namespace, prefix, end])]
        if self._overlay is not None:
            found = sorted(set(found) | {k for k in self._overlay if k.startswith(prefix) and k < end})
        return found

    # -- writing -----------------------------------------------------------------------------------
    def _write(self, key: str, expected_version: str | None, text: str | None) -> str | None:
        """Compare-and-swap one row: write ``text`` (None: delete) if the row is at ``expected_version``."""
        if self.read_only or self._db is None:
            raise StateError(f"state file {self.path} is open read-only: this run writes nothing")
        check_key(key)
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                row = self._db.execute("SELECT version FROM acrguard_records WHERE namespace = ? AND key = ?",
                                       (self.namespace, key)).fetchone()
                current = None if row is None else str(row[0])
                if text is None and current is None:
                    self._db.execute("ROLLBACK")
                    return None  # already gone
                if current != expected_version:
                    self._db.execute("ROLLBACK")
                    raise StateConflict(f"state record {key} in {self.path} is at version {current}, "
                                        f"not {expected_version} as read")
                if text is None:
                    self._db.execute("DELETE FROM acrguard_records WHERE namespace = ? AND key = ?",
                                     (self.namespace, key))
                    version = None
                else:
                    version = _new_version()
                    self._db.execute("INSERT OR REPLACE INTO acrguard_records (namespace, key, version, value) "
                                     "VALUES (?, ?, ?, ?)", (self.namespace, key, version, text))
                self._db.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StateError(f"cannot write state to {self.path}: {exc}") from None
        return version

    def put(self, key: str, value: Any, expected_version: str | None) -> str:
        """Write ``value`` if the row is still at ``expected_version`` (``StateConflict`` otherwise)."""
        text = _dump(value)
        version = self._write(key, expected_version, text)
        assert version is not None
        self.stats.writes += 1
        self.stats.bytes_written += len(key.encode("utf-8")) + len(text.encode("utf-8"))
        return version

    def delete(self, key: str, expected_version: str) -> None:
        """Delete the row if it is still at ``expected_version``."""
        self._write(key, expected_version, None)
        self.stats.deletes += 1

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            if self._db is not None:
                self._db.close()
