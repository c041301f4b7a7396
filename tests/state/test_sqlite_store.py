"""The SQLite backend's own behaviour: write-ahead logging, many writers opening a new file at once, namespaces."""

from __future__ import annotations

import sqlite3
import threading

from acrguard.state import SqliteStateStore


def test_the_file_uses_a_write_ahead_log(tmp_path):
    """A new state file is switched to WAL once; the mode stays in the file for every later connection."""
    path = tmp_path / "state.db"
    store = SqliteStateStore(path)
    store.update("k", lambda value: value.update(hello="world"))
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert SqliteStateStore(path).get("k").value == {"hello": "world"}


def test_one_row_per_record_keyed_by_namespace_and_key(tmp_path):
    """Each record is a row (namespace, key, version, value); a namespace keeps its rows apart in one file."""
    path = tmp_path / "state.db"
    SqliteStateStore(path).put("hysteresis/s", {"k": {}}, None)
    SqliteStateStore(path, namespace="accounts/1/").put("hysteresis/s", {"other": {}}, None)
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT namespace, key, value FROM acrguard_records ORDER BY namespace").fetchall()
    assert rows == [("", "hysteresis/s", '{"k":{}}'), ("accounts/1/", "hysteresis/s", '{"other":{}}')]
    assert SqliteStateStore(path, namespace="accounts/1/").list("") == ["hysteresis/s"]


def test_writers_opening_a_new_file_at_the_same_moment_all_get_in(tmp_path):
    """Eight stores opened together on a file that does not exist yet: none is refused, every write lands."""
    path = tmp_path / "state.db"
    start = threading.Barrier(8)
    errors: list[Exception] = []

    def writer(n: int) -> None:
        start.wait()
        try:
            store = SqliteStateStore(path)
            store.update("writers", lambda value: value.setdefault("all", []).append(n))
            store.close()
        except Exception as exc:  # the test reports what any writer raised
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(SqliteStateStore(path).get("writers").value["all"]) == list(range(8))
