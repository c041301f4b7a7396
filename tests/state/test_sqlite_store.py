"""The SQLite backend's own behaviour: write-ahead logging, and many writers opening a new file at once."""

from __future__ import annotations

import sqlite3
import threading

from acrguard.state import SqliteStateStore


def test_the_file_uses_a_write_ahead_log(tmp_path):
    """A new state file is switched to WAL once; the mode stays in the file for every later connection."""
    path = tmp_path / "state.db"
    store = SqliteStateStore(path)
    store.update(lambda doc: doc.update(hello="world"))
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert SqliteStateStore(path).load().data["hello"] == "world"


def test_writers_opening_a_new_file_at_the_same_moment_all_get_in(tmp_path):
    """Eight stores opened together on a file that does not exist yet: none is refused, every write lands."""
    path = tmp_path / "state.db"
    start = threading.Barrier(8)
    errors: list[Exception] = []

    def writer(n: int) -> None:
        start.wait()
        try:
            store = SqliteStateStore(path)
            store.update(lambda doc: doc.setdefault("writers", []).append(n))
            store.close()
        except Exception as exc:  # the test reports what any writer raised
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(SqliteStateStore(path).load().data["writers"]) == list(range(8))
