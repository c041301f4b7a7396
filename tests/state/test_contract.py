"""The state store contract: every backend (SQLite file, OSS object) behaves the same way."""

from __future__ import annotations

import pytest

from acrguard.state import SCHEMA_VERSION, Snapshot, StateConflict, StateError


def test_an_empty_store_loads_as_an_empty_snapshot(backend):
    """Nothing stored yet: empty data and no version."""
    snapshot = backend.open().load()
    assert snapshot.data == {} and snapshot.version is None


def test_saved_data_round_trips_with_its_new_version(backend):
    """What save writes, load (in this and another store) returns, at the version save reported."""
    data = {"routes": {"cri-1": {"seen": ["10.0.0.1/32"], "misses": 0}}, "log": [1, 2.5, None, True]}
    saved = backend.open().save(Snapshot(data, None))
    assert saved.version is not None
    for store in (backend.open(), backend.open()):
        loaded = store.load()
        assert loaded.data == data and loaded.version == saved.version


def test_update_returns_the_callbacks_value_and_persists_the_change(backend):
    """update() hands back what the change returned, and the change is stored with the schema version."""
    result = backend.open().update(lambda d: d.setdefault("counter", 41) + 1)
    assert result == 42
    assert backend.open().load().data == {"counter": 41, "schema": SCHEMA_VERSION}


def test_update_that_changes_nothing_writes_nothing(backend):
    """A change that leaves the document as it was does not write (nor bump the version)."""
    store = backend.open()
    store.update(lambda d: d.setdefault("counter", 1))
    writes, version = backend.writes(), store.load().version
    assert store.update(lambda d: d.get("counter")) == 1
    assert backend.writes() == writes == 1
    assert store.load().version == version


def test_a_save_from_a_stale_read_conflicts(backend):
    """Two writers read the same version; the second to save gets StateConflict and the first's data stays."""
    first, second = backend.open(), backend.open()
    first.save(Snapshot({"seed": 0}, None))
    read_by_first, read_by_second = first.load(), second.load()
    read_by_first.data["winner"] = "first"
    first.save(read_by_first)
    read_by_second.data["winner"] = "second"
    with pytest.raises(StateConflict):
        second.save(read_by_second)
    assert backend.open().load().data == {"seed": 0, "winner": "first"}


def test_creating_a_document_that_already_exists_conflicts(backend):
    """A save that read no document (version None) conflicts once another writer created it."""
    first, second = backend.open(), backend.open()
    first.save(Snapshot({"by": "first"}, None))
    with pytest.raises(StateConflict):
        second.save(Snapshot({"by": "second"}, None))
    assert backend.open().load().data == {"by": "first"}


def test_update_reapplies_its_change_after_losing_a_race(backend):
    """Another writer saves between update's read and write: update re-reads, re-applies, both changes survive."""
    store, other = backend.open(), backend.open()
    calls = []

    def change(data):
        calls.append(dict(data))
        if len(calls) == 1:
            other.update(lambda d: d.__setitem__("other", "was here"))
        data["mine"] = "too"
        return "done"

    assert store.update(change) == "done"
    assert len(calls) == 2 and calls[1].get("other") == "was here"
    assert backend.open().load().data == {"other": "was here", "mine": "too", "schema": SCHEMA_VERSION}


def test_update_gives_up_after_losing_every_race(backend):
    """When another writer wins every time, update raises StateConflict after its bounded retries."""
    store, other = backend.open(), backend.open()
    store.max_conflict_retries = 2
    attempts = []

    def change(data):
        attempts.append(1)
        other.update(lambda d: d.__setitem__("other", len(attempts)))
        data["mine"] = True

    with pytest.raises(StateConflict):
        store.update(change)
    assert len(attempts) == 3
    assert "mine" not in backend.open().load().data


@pytest.mark.parametrize("damage", [b'{"routes": {', b"[1, 2, 3]"])
def test_a_corrupt_document_is_reported_and_left_untouched(backend, damage):
    """Unparsable state is a StateError naming where it is; neither load nor update replaces it."""
    backend.corrupt(damage)
    writes = backend.writes()
    with pytest.raises(StateError, match="corrupt") as caught:
        backend.open().load()
    assert backend.location in str(caught.value)
    with pytest.raises(StateError):
        backend.open().update(lambda d: d.__setitem__("fresh", True))
    assert backend.raw() == damage
    assert backend.writes() == writes


def test_unicode_content_round_trips(backend):
    """Non-ASCII text (CJK, accents, emoji) is stored and read back unchanged."""
    data = {"note": "主机已更新 — café ✓", "emoji": "🚀", "keys": {"ключ": "значение"}}
    backend.open().save(Snapshot(data, None))
    assert backend.open().load().data == data


def test_threads_sharing_one_store_take_turns_and_lose_no_update(backend):
    """Concurrent updates through one store object never conflict with each other, even with no retries."""
    from concurrent.futures import ThreadPoolExecutor

    store = backend.open()
    store.max_conflict_retries = 0

    def bump(_: int) -> None:
        store.update(lambda d: d.__setitem__("counter", d.get("counter", 0) + 1))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(bump, range(12)))
    assert backend.open().load().data["counter"] == 12 and backend.writes() == 12


def test_a_change_that_rewrites_equal_values_in_another_key_order_writes_nothing(backend):
    """Equal content is no change, even when the change rebuilt it with the keys in another order."""
    store = backend.open()
    store.update(lambda d: d.update(b=1, a={"y": 2, "x": [1, 2]}))
    writes = backend.writes()

    def rebuild(data):
        items = dict(reversed(list(data.items())))
        data.clear()
        data.update(items)
        data["a"] = {"x": [1, 2], "y": 2}

    store.update(rebuild)
    assert backend.writes() == writes
    store.update(lambda d: d["a"].__setitem__("y", 3))
    assert backend.writes() == writes + 1 and backend.open().load().data["a"] == {"x": [1, 2], "y": 3}
