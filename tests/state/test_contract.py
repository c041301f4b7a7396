"""The state store contract: every backend (SQLite rows, OSS objects) behaves the same way."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from acrguard.state import StateConflict, StateError


def test_a_missing_record_is_none_and_an_empty_prefix_lists_nothing(backend):
    """Nothing stored yet: no record, no key."""
    store = backend.open()
    assert store.get("hysteresis/s") is None and store.list("") == [] and store.get_many(prefix="") == {}


def test_a_put_value_round_trips_with_its_new_version(backend):
    """What put writes, get (in this and another store) returns, at the version put reported."""
    value = {"routes": {"cri-1": {"seen": ["10.0.0.1/32"], "misses": 0}}, "log": [1, 2.5, None, True]}
    version = backend.open().put("a/b", value, None)
    for store in (backend.open(), backend.open()):
        record = store.get("a/b")
        assert record.value == value and record.version == version and record.key == "a/b"


def test_get_many_and_list_see_keys_and_prefixes_in_order(backend):
    """Records are found by their keys or by a prefix (sorted), and ``before`` cuts a listing short."""
    store = backend.open()
    for key in ("x/2", "x/1", "x/3", "y/1", "x0"):
        store.put(key, {"key": key}, None)
    assert store.list("x/") == ["x/1", "x/2", "x/3"]
    assert store.list("x/", before="x/3") == ["x/1", "x/2"]
    assert sorted(store.get_many(["x/2", "y/1", "nope"])) == ["x/2", "y/1"]
    assert {k: r.value["key"] for k, r in store.get_many(prefix="x/").items()} == {"x/1": "x/1", "x/2": "x/2",
                                                                                   "x/3": "x/3"}


def test_a_put_from_a_stale_read_conflicts_and_the_first_write_stays(backend):
    """Two writers read one version; the second to write gets StateConflict."""
    first, second = backend.open(), backend.open()
    first.put("k", {"seed": 0}, None)
    read_by_first, read_by_second = first.get("k"), second.get("k")
    first.put("k", {"winner": "first"}, read_by_first.version)
    with pytest.raises(StateConflict):
        second.put("k", {"winner": "second"}, read_by_second.version)
    assert backend.open().get("k").value == {"winner": "first"}


def test_creating_a_record_that_exists_conflicts(backend):
    """A put that read no record (version None) conflicts once another writer created it."""
    first, second = backend.open(), backend.open()
    first.put("k", {"by": "first"}, None)
    with pytest.raises(StateConflict):
        second.put("k", {"by": "second"}, None)
    assert backend.open().get("k").value == {"by": "first"}


def test_a_delete_checks_the_version_and_a_gone_record_is_no_conflict(backend):
    """delete() refuses a changed record, removes an unchanged one, and accepts one already gone."""
    store = backend.open()
    old = store.put("k", {"v": 1}, None)
    new = store.put("k", {"v": 2}, old)
    with pytest.raises(StateConflict):
        store.delete("k", old)
    store.delete("k", new)
    assert store.get("k") is None
    store.delete("k", new)


def test_a_record_deleted_and_created_again_never_comes_back_at_an_old_version(backend):
    """A version is never reused for a key: a writer holding one from before the delete conflicts."""
    store = backend.open()
    first = store.put("k", {"v": 1}, None)
    store.delete("k", first)
    store.put("k", {"v": 2}, None)
    with pytest.raises(StateConflict):
        store.put("k", {"v": 3}, first)


def test_update_returns_the_changes_value_and_persists_it(backend):
    """update() hands back what the change returned, and the change is stored."""
    result = backend.open().update("c", lambda value: value.setdefault("counter", 41) + 1)
    assert result == 42
    assert backend.open().get("c").value == {"counter": 41}


def test_update_that_changes_nothing_writes_nothing(backend):
    """A change that leaves the value as it was does not write (nor change the version)."""
    store = backend.open()
    store.update("c", lambda value: value.setdefault("counter", 1))
    writes, version = backend.writes(), store.get("c").version
    assert store.update("c", lambda value: value.get("counter")) == 1
    assert backend.writes() == writes == 1
    assert store.get("c").version == version


def test_update_that_empties_a_value_deletes_the_record(backend):
    """A value left empty is no record at all (and an empty new value creates nothing)."""
    store = backend.open()
    store.update("c", lambda value: value.update(x=1))
    store.update("c", lambda value: value.clear())
    assert store.get("c") is None and store.list("") == []
    store.update("d", lambda value: None)
    assert store.get("d") is None


def test_update_reapplies_its_change_after_losing_a_race(backend):
    """Another writer writes between update's read and write: update re-reads, re-applies, both changes survive."""
    store, other = backend.open(), backend.open()
    calls = []

    def change(value):
        calls.append(dict(value))
        if len(calls) == 1:
            other.update("k", lambda v: v.__setitem__("other", "was here"))
        value["mine"] = "too"
        return "done"

    assert store.update("k", change) == "done"
    assert len(calls) == 2 and calls[1].get("other") == "was here"
    assert backend.open().get("k").value == {"other": "was here", "mine": "too"}


def test_update_gives_up_after_losing_every_race(backend):
    """When another writer wins every time, update raises StateConflict after its bounded retries."""
    store, other = backend.open(), backend.open()
    store.max_conflict_retries = 2
    attempts = []

    def change(value):
        attempts.append(1)
        other.update("k", lambda v: v.__setitem__("other", len(attempts)))
        value["mine"] = True

    with pytest.raises(StateConflict):
        store.update("k", change)
    assert len(attempts) == 3
    assert "mine" not in backend.open().get("k").value


@pytest.mark.parametrize("damage", [b'{"routes": {', b"\xff\xfe not text"])
def test_a_corrupt_record_is_reported_and_left_untouched(backend, damage):
    """An unparsable record is a StateError naming it; neither get nor update replaces it."""
    backend.corrupt("hysteresis/s", damage)
    writes = backend.writes()
    with pytest.raises(StateError, match="corrupt") as caught:
        backend.open().get("hysteresis/s")
    assert "hysteresis/s" in str(caught.value)
    with pytest.raises(StateError):
        backend.open().update("hysteresis/s", lambda value: value.__setitem__("fresh", True))
    assert backend.writes() == writes
    assert backend.raw("hysteresis/s") is not None


def test_unicode_content_round_trips(backend):
    """Non-ASCII text (CJK, accents, emoji) is stored and read back unchanged."""
    value = {"note": "主机已更新 — café ✓", "emoji": "🚀", "keys": {"ключ": "значение"}}
    backend.open().put("u", value, None)
    assert backend.open().get("u").value == value


def test_threads_sharing_one_store_take_turns_and_lose_no_update(backend):
    """Concurrent updates through one store object never conflict with each other, even with no retries."""
    store = backend.open()
    store.max_conflict_retries = 0

    def bump(_: int) -> None:
        store.update("n", lambda value: value.__setitem__("counter", value.get("counter", 0) + 1))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(bump, range(12)))
    assert backend.open().get("n").value["counter"] == 12


def test_equal_content_in_another_key_order_is_no_change(backend):
    """Equal content is no change, even when the change rebuilt it with the keys in another order."""
    store = backend.open()
    store.update("k", lambda value: value.update(b=1, a={"y": 2, "x": [1, 2]}))
    writes = backend.writes()

    def rebuild(value):
        items = dict(reversed(list(value.items())))
        value.clear()
        value.update(items)
        value["a"] = {"x": [1, 2], "y": 2}

    store.update("k", rebuild)
    assert backend.writes() == writes
    store.update("k", lambda value: value["a"].__setitem__("y", 3))
    assert backend.writes() == writes + 1 and backend.open().get("k").value["a"] == {"x": [1, 2], "y": 3}


def test_a_scoped_store_composes_its_prefix_with_the_backends(backend):
    """``scoped(prefix)`` sees and writes only the records under its prefix, with relative keys."""
    store = backend.open()
    account = store.scoped("accounts/1234/")
    account.update("hysteresis/s", lambda value: value.update(k={}))
    store.put("hysteresis/s", {"root": True}, None)
    assert account.list("") == ["hysteresis/s"] and account.get("hysteresis/s").value == {"k": {}}
    assert store.list("") == ["accounts/1234/hysteresis/s", "hysteresis/s"]
    with pytest.raises(ValueError, match="ends with '/'"):
        store.scoped("accounts")


def test_keys_are_checked(backend):
    """A key with an empty segment, a space or a non-ASCII character is refused before anything is written."""
    store = backend.open()
    for key in ("", "a//b", "/a", "a b", "ключ"):
        with pytest.raises(ValueError, match="invalid state key"):
            store.put(key, {}, None)


def test_the_store_counts_what_it_writes(backend):
    """``stats`` counts reads, writes and the bytes written (what the handler reports per invocation)."""
    store = backend.open()
    store.put("k", {"v": "x" * 100}, None)
    store.get("k")
    assert store.stats.writes >= 1 and store.stats.reads >= 1 and store.stats.bytes_written >= 100
