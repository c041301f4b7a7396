"""A store opened read-only (every plan) creates nothing and writes nothing, yet reads the last committed state."""

from __future__ import annotations

import os

import pytest

from acrguard.config.state import StateConfig
from acrguard.state import ReadOnlyStore, SqliteStateStore, StateError, open_store
from support import REGION


def _files(directory) -> list[str]:
    return sorted(os.listdir(directory))


def test_a_missing_file_is_an_empty_state_and_stays_missing(tmp_path):
    """No file yet: an empty document, and neither the file nor its directory is created."""
    store = SqliteStateStore(tmp_path / "deep" / "state.db", read_only=True)
    assert (store.load().data, store.load().version) == ({}, None)
    store.close()
    assert _files(tmp_path) == []


def test_an_existing_file_is_read_without_a_wal_or_shm(tmp_path):
    """A closed WAL database is read as it is; no ``-wal``/``-shm`` file appears, the file is unchanged."""
    path = tmp_path / "state.db"
    writer = SqliteStateStore(path)
    writer.update(lambda doc: doc.__setitem__("hold", {"x": 1}))
    writer.close()
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    store = SqliteStateStore(path, read_only=True)
    assert store.load().data["hold"] == {"x": 1}
    store.close()
    assert _files(tmp_path) == ["state.db"]
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_a_writer_holding_the_file_open_is_read_through_its_log(tmp_path):
    """While another process has the database open (its ``-wal`` exists), the reader sees its last commit."""
    path = tmp_path / "state.db"
    writer = SqliteStateStore(path)
    writer.update(lambda doc: doc.__setitem__("n", 1))
    writer.update(lambda doc: doc.__setitem__("n", 2))
    assert (tmp_path / "state.db-wal").exists()
    store = SqliteStateStore(path, read_only=True)
    try:
        assert store.load().data["n"] == 2
    finally:
        store.close()
        writer.close()


def test_writes_are_refused(tmp_path):
    """``save`` (and so ``update`` of a changed document) raises ``StateError``: a plan that tried would be a bug."""
    store = SqliteStateStore(tmp_path / "state.db", read_only=True)
    with pytest.raises(StateError, match="read-only"):
        store.update(lambda doc: doc.__setitem__("x", 1))
    store.close()
    assert _files(tmp_path) == []


def test_an_empty_or_foreign_file(tmp_path):
    """An empty file is an empty state; a file that is not SQLite is a StateError, left untouched."""
    (tmp_path / "empty.db").write_bytes(b"")
    assert SqliteStateStore(tmp_path / "empty.db", read_only=True).load().data == {}
    (tmp_path / "junk.db").write_bytes(b"not a database " * 100)
    with pytest.raises(StateError):
        SqliteStateStore(tmp_path / "junk.db", read_only=True).load()
    assert (tmp_path / "junk.db").read_bytes() == b"not a database " * 100


def test_open_store_read_only(tmp_path):
    """``open_store(..., read_only=True)`` opens SQLite read-only."""
    store = open_store(StateConfig(backend="sqlite", path=str(tmp_path / "s" / "state.db")), read_only=True)
    assert isinstance(store, SqliteStateStore) and store.read_only
    assert store.load().data == {}
    assert _files(tmp_path) == []


def test_an_oss_store_is_wrapped_read_only(cloud, factory):
    """The OSS backend reads the object and refuses to write it."""
    writer = open_store(StateConfig(backend="oss", bucket="acrguard-state", key="s.json", region=REGION), factory)
    writer.update(lambda doc: doc.__setitem__("x", 1))
    store = open_store(StateConfig(backend="oss", bucket="acrguard-state", key="s.json", region=REGION), factory,
                       read_only=True)
    assert isinstance(store, ReadOnlyStore)
    assert store.load().data["x"] == 1
    mark = cloud.requests.last_seq()
    with pytest.raises(StateError, match="read-only"):
        store.update(lambda doc: doc.__setitem__("x", 2))
    assert [r.action for r in cloud.requests.filter(product="oss", since=mark)
            if r.action not in ("GetObject", "HeadObject")] == []
