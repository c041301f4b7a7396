"""A store opened read-only (every plan) creates nothing and writes nothing, yet reads the last committed state."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from acrguard.config.state import StateConfig
from acrguard.state import OssStateStore, SqliteStateStore, StateError, open_store
from support import REGION


def _files(directory) -> list[str]:
    return sorted(os.listdir(directory))


def test_a_missing_file_is_an_empty_state_and_stays_missing(tmp_path):
    """No file yet: no record, and neither the file nor its directory is created."""
    store = SqliteStateStore(tmp_path / "deep" / "state.db", read_only=True)
    assert store.get("hysteresis/s") is None and store.list("") == []
    store.close()
    assert _files(tmp_path) == []


def test_an_existing_file_is_read_without_a_wal_or_shm(tmp_path):
    """A closed WAL database is read as it is; no ``-wal``/``-shm`` file appears, the file is unchanged."""
    path = tmp_path / "state.db"
    writer = SqliteStateStore(path)
    writer.update("hold", lambda value: value.update(x=1))
    writer.close()
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    store = SqliteStateStore(path, read_only=True)
    assert store.get("hold").value == {"x": 1}
    store.close()
    assert _files(tmp_path) == ["state.db"]
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_a_writer_holding_the_file_open_is_read_through_its_log(tmp_path):
    """While another process has the database open (its ``-wal`` exists), the reader sees its last commit."""
    path = tmp_path / "state.db"
    writer = SqliteStateStore(path)
    writer.update("n", lambda value: value.update(n=1))
    writer.update("n", lambda value: value.update(n=2))
    assert (tmp_path / "state.db-wal").exists()
    store = SqliteStateStore(path, read_only=True)
    try:
        assert store.get("n").value == {"n": 2}
    finally:
        store.close()
        writer.close()


def test_writes_are_refused(tmp_path):
    """``put`` (and so ``update`` of a changed value) raises ``StateError``: a plan that tried would be a bug."""
    store = SqliteStateStore(tmp_path / "state.db", read_only=True)
    with pytest.raises(StateError, match="read-only"):
        store.update("x", lambda value: value.__setitem__("x", 1))
    store.close()
    assert _files(tmp_path) == []


def test_an_empty_or_foreign_file(tmp_path):
    """An empty file is an empty state; a file that is not SQLite is a StateError, left untouched."""
    (tmp_path / "empty.db").write_bytes(b"")
    assert SqliteStateStore(tmp_path / "empty.db", read_only=True).list("") == []
    (tmp_path / "junk.db").write_bytes(b"not a database " * 100)
    with pytest.raises(StateError):
        SqliteStateStore(tmp_path / "junk.db", read_only=True).get("x")
    assert (tmp_path / "junk.db").read_bytes() == b"not a database " * 100


def test_an_unmigrated_document_is_read_as_records_and_left_as_it_is(tmp_path):
    """A plan on a file of before (one document) sees its records, and the file is not changed at all."""
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE acrguard_state (id INTEGER PRIMARY KEY, version INTEGER, data TEXT)")
        db.execute("INSERT INTO acrguard_state VALUES (1, 3, ?)",
                   (json.dumps({"schema": 1, "hysteresis": {"routes:cri-1": {"oss": {}}}}),))
    before = path.read_bytes()
    store = SqliteStateStore(path, read_only=True)
    assert store.get("hysteresis/routes%3Acri-1").value == {"oss": {}}
    assert store.list("") == ["hysteresis/routes%3Acri-1"]
    store.close()
    assert path.read_bytes() == before and _files(tmp_path) == ["state.db"]


def test_open_store_read_only(tmp_path):
    """``open_store(..., read_only=True)`` opens SQLite read-only."""
    store = open_store(StateConfig(backend="sqlite", path=str(tmp_path / "s" / "state.db")), read_only=True)
    assert isinstance(store, SqliteStateStore) and store.read_only
    assert store.list("") == []
    assert _files(tmp_path) == []


def test_an_oss_store_opened_read_only_reads_and_refuses_to_write(cloud, factory):
    """The OSS backend reads the records and refuses to write them; no write request is sent."""
    config = StateConfig(backend="oss", bucket="acrguard-state", key="s.json", region=REGION)
    open_store(config, factory, job="whitelist_guard").update("x", lambda value: value.update(x=1))
    store = open_store(config, factory, read_only=True, job="whitelist_guard")
    assert isinstance(store, OssStateStore) and store.read_only
    assert store.get("x").value == {"x": 1}
    mark = cloud.requests.last_seq()
    with pytest.raises(StateError, match="read-only"):
        store.update("x", lambda value: value.__setitem__("x", 2))
    assert [r.action for r in cloud.requests.filter(product="oss", since=mark)
            if r.action not in ("GetObject", "HeadObject", "ListObjectsV2")] == []
