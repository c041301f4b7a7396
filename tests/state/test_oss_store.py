"""The OSS backend's own behaviour: the lock protocol, failures, and what it leaves in the bucket."""

from __future__ import annotations

import json
import re
import threading
import time

import alibabacloud_oss_v2 as oss
import pytest

from acrguard.errors import TransientCloudError
from acrguard.state import OssStateStore, Snapshot, StateConflict, StateError

FOREIGN_LOCK = json.dumps({"token": "someone-else", "host": "crashed-host", "pid": 4242}).encode()


def _plant_lock(oss_backend) -> str:
    """Create a lock held by another writer; return its ETag."""
    request = oss.PutObjectRequest(bucket=oss_backend.bucket, key=oss_backend.key + ".lock", body=FOREIGN_LOCK)
    return oss_backend.client.put_object(request).etag


def _calls_since(cloud, seq):
    return [(r.action, r.params.get("Key")) for r in cloud.requests.filter(product="oss", since=seq)]


def test_a_save_locks_checks_writes_and_unlocks(cloud, oss_backend):
    """One save is: create the lock, check the version, write the document, delete the lock."""
    key = oss_backend.key
    since = cloud.requests.last_seq()
    oss_backend.open().save(Snapshot({"a": 1}, None))
    assert _calls_since(cloud, since) == [("PutObject", key + ".lock"), ("HeadObject", key), ("PutObject", key),
                                          ("DeleteObject", key + ".lock")]
    assert oss_backend.raw(key + ".lock") is None


def test_the_document_is_utf8_json_and_its_version_is_the_etag(oss_backend):
    """The object holds plain UTF-8 JSON (non-ASCII unescaped) and the snapshot version is its ETag."""
    saved = oss_backend.open().save(Snapshot({"note": "café 🚀"}, None))
    raw = oss_backend.raw()
    assert json.loads(raw.decode("utf-8")) == {"note": "café 🚀"} and "🚀".encode() in raw
    head = oss_backend.client.head_object(oss.HeadObjectRequest(bucket=oss_backend.bucket, key=oss_backend.key))
    assert saved.version == head.etag


def test_undecodable_bytes_are_reported_and_left_untouched(oss_backend):
    """An object that is not UTF-8 is a StateError naming the object; it is not overwritten."""
    oss_backend.corrupt(b"\xff\xfe not text")
    with pytest.raises(StateError, match=re.escape("oss://acrguard-state/acrguard/state.json")):
        oss_backend.open().update(lambda d: d.__setitem__("fresh", True))
    assert oss_backend.raw() == b"\xff\xfe not text"


@pytest.mark.parametrize(("after", "failing"), [(0, "the lock"), (1, "the document write")])
def test_an_injected_503_surfaces_as_transient_and_leaves_state_intact(cloud, oss_backend, after, failing):
    """A 503 on every PutObject attempt (of the lock, or of the document) raises TransientCloudError;
    the stored state is unchanged and no lock is left behind."""
    store = oss_backend.open()
    store.update(lambda d: d.__setitem__("value", 1))
    cloud.inject(product="oss", action="PutObject", code="ServiceUnavailable", status=503, after=after)
    with pytest.raises(TransientCloudError) as caught:
        store.update(lambda d: d.__setitem__("value", 2))
    assert caught.value.code == "ServiceUnavailable", failing
    cloud.faults.clear()
    assert store.load().data["value"] == 1
    assert oss_backend.raw(oss_backend.key + ".lock") is None
    store.update(lambda d: d.__setitem__("value", 3))
    assert store.load().data["value"] == 3


def test_a_failed_read_is_an_error_not_an_empty_state(cloud, oss_backend):
    """A 503 on GetObject raises TransientCloudError: unknown state is never taken for no state."""
    oss_backend.open().update(lambda d: d.__setitem__("value", 1))
    cloud.inject(product="oss", action="GetObject", code="ServiceUnavailable", status=503)
    with pytest.raises(TransientCloudError):
        oss_backend.open().load()


def test_a_missing_bucket_is_a_state_error_naming_it(oss_backend):
    """A state bucket that does not exist is reported as StateError with the OSS code."""
    store = OssStateStore(oss_backend.client, "no-such-bucket", "state.json")
    with pytest.raises(StateError, match=r"oss://no-such-bucket/state.json.*NoSuchBucket"):
        store.load()


def test_a_stale_lock_of_a_crashed_writer_is_broken(cloud, oss_backend):
    """A lock older than its TTL on the server's clock is broken (tombstone first) and the save goes ahead."""
    lock_etag = _plant_lock(oss_backend)
    cloud.advance(121)
    store = oss_backend.open(lock_ttl_seconds=120)
    store.update(lambda d: d.__setitem__("after", "crash"))
    assert store.load().data["after"] == "crash"
    tombstone = oss_backend.raw(f"{oss_backend.key}.lock-broken/{lock_etag.strip(chr(34))}")
    assert json.loads(tombstone)["holder"] == "writer crashed-host/4242"
    assert oss_backend.raw(oss_backend.key + ".lock") is None


def test_a_live_lock_makes_the_writer_give_up_with_a_conflict(oss_backend):
    """A lock younger than its TTL is respected: after the bounded wait the writer raises StateConflict."""
    _plant_lock(oss_backend)
    store = oss_backend.open(lock_wait_seconds=0.2)
    snapshot = store.load()
    snapshot.data["value"] = 1
    with pytest.raises(StateConflict, match="locked by writer crashed-host/4242"):
        store.save(snapshot)
    assert oss_backend.raw() is None
    assert oss_backend.raw(oss_backend.key + ".lock") == FOREIGN_LOCK


def test_a_writer_waits_for_a_lock_that_is_released(oss_backend):
    """When the holder releases within the wait, the waiting writer takes the lock and saves."""
    _plant_lock(oss_backend)
    release = threading.Timer(0.3, lambda: oss_backend.client.delete_object(
        oss.DeleteObjectRequest(bucket=oss_backend.bucket, key=oss_backend.key + ".lock")))
    release.start()
    started = time.monotonic()
    try:
        oss_backend.open(lock_wait_seconds=5).update(lambda d: d.__setitem__("value", 1))
    finally:
        release.join()
    assert time.monotonic() - started >= 0.3
    assert oss_backend.open().load().data["value"] == 1


def test_a_change_made_by_the_lock_holder_is_a_conflict_at_once(oss_backend):
    """If the document changes while another writer holds the lock, the waiter conflicts without waiting it out."""
    store = oss_backend.open(lock_wait_seconds=5)
    stale = store.load()
    _plant_lock(oss_backend)
    oss_backend.corrupt(b'{"written": "by the holder"}')
    stale.data["value"] = 1
    started = time.monotonic()
    with pytest.raises(StateConflict, match="changed while writer crashed-host/4242 held its lock"):
        store.save(stale)
    assert time.monotonic() - started < 2
