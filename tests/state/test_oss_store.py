"""The OSS backend's own behaviour: one object per record, the per-record lock, failures, what it leaves behind."""

from __future__ import annotations

import json
import threading
import time

import alibabacloud_oss_v2 as oss
import pytest

from acrguard.errors import TransientCloudError
from acrguard.state import OssStateStore, StateConflict, StateError

FOREIGN_LOCK = json.dumps({"token": "someone-else", "host": "crashed-host", "pid": 4242}).encode()
KEY = "hysteresis/s"
RECORD = f"acrguard/records/{KEY}"
LOCK = f"acrguard/locks/{KEY}"


def _plant_lock(oss_backend) -> str:
    """Create a lock of the record held by another writer; return its ETag."""
    request = oss.PutObjectRequest(bucket=oss_backend.bucket, key=LOCK, body=FOREIGN_LOCK)
    return oss_backend.client.put_object(request).etag


def _calls_since(cloud, seq):
    return [(r.action, r.params.get("Key")) for r in cloud.requests.filter(product="oss", since=seq)]


def test_a_create_is_one_put_and_an_update_locks_checks_writes_and_unlocks(cloud, oss_backend):
    """A new record is one PutObject with forbid-overwrite; changing it takes its lock, checks, writes, releases."""
    store = oss_backend.open()
    since = cloud.requests.last_seq()
    version = store.put(KEY, {"a": 1}, None)
    assert _calls_since(cloud, since) == [("GetObject", "acrguard/records/_meta/migration"), ("PutObject", RECORD)]
    since = cloud.requests.last_seq()
    store.put(KEY, {"a": 2}, version)
    assert _calls_since(cloud, since) == [("PutObject", LOCK), ("HeadObject", RECORD), ("PutObject", RECORD),
                                          ("DeleteObject", LOCK)]
    assert oss_backend.raw(LOCK, record=False) is None


def test_the_record_is_utf8_json_and_its_version_is_the_etag(oss_backend):
    """The object holds plain UTF-8 JSON (non-ASCII unescaped) and the record's version is its ETag."""
    version = oss_backend.open().put(KEY, {"note": "café 🚀"}, None)
    raw = oss_backend.raw(KEY)
    assert json.loads(raw.decode("utf-8")) == {"note": "café 🚀"} and "🚀".encode() in raw
    head = oss_backend.client.head_object(oss.HeadObjectRequest(bucket=oss_backend.bucket, key=RECORD))
    assert version == head.etag


def test_a_list_pages_through_many_records(cloud, oss_backend, monkeypatch):
    """Listing follows NextContinuationToken until the last page, and stops early at ``before``."""
    from acrguard.state import oss as oss_module

    monkeypatch.setattr(oss_module, "LIST_PAGE", 3)  # small pages, so a few records need several
    store = oss_backend.open()
    for n in range(7):
        store.put(f"p/{n}", {"n": n}, None)
    since = cloud.requests.last_seq()
    assert store.list("p/") == [f"p/{n}" for n in range(7)]
    assert len(cloud.requests.filter(product="oss", action="ListObjectsV2", since=since)) == 3
    assert store.list("p/", before="p/2") == ["p/0", "p/1"]
    assert sorted(store.get_many(prefix="p/")) == [f"p/{n}" for n in range(7)]


@pytest.mark.parametrize(("after", "failing"), [(0, "the lock"), (1, "the record write")])
def test_an_injected_503_surfaces_as_transient_and_leaves_state_intact(cloud, oss_backend, after, failing):
    """A 503 on every PutObject attempt (of the lock, or of the record) raises TransientCloudError;
    the stored record is unchanged and no lock is left behind."""
    store = oss_backend.open()
    store.update(KEY, lambda value: value.__setitem__("value", 1))
    cloud.inject(product="oss", action="PutObject", code="ServiceUnavailable", status=503, after=after)
    with pytest.raises(TransientCloudError) as caught:
        store.update(KEY, lambda value: value.__setitem__("value", 2))
    assert caught.value.code == "ServiceUnavailable", failing
    cloud.faults.clear()
    assert store.get(KEY).value["value"] == 1
    assert oss_backend.raw(LOCK, record=False) is None
    store.update(KEY, lambda value: value.__setitem__("value", 3))
    assert store.get(KEY).value["value"] == 3


def test_a_failed_read_is_an_error_not_an_empty_state(cloud, oss_backend):
    """A 503 on GetObject raises TransientCloudError: unknown state is never taken for no state."""
    oss_backend.open().update(KEY, lambda value: value.__setitem__("value", 1))
    cloud.inject(product="oss", action="GetObject", code="ServiceUnavailable", status=503)
    with pytest.raises(TransientCloudError):
        oss_backend.open().get(KEY)


def test_a_missing_bucket_is_a_state_error_naming_it(oss_backend):
    """A state bucket that does not exist is reported as StateError with the OSS code."""
    store = OssStateStore(oss_backend.client, "no-such-bucket", "state/")
    with pytest.raises(StateError, match=r"oss://no-such-bucket/state/records/.*NoSuchBucket"):
        store.get(KEY)


def test_a_stale_lock_of_a_crashed_writer_is_broken(cloud, oss_backend):
    """A lock older than its TTL on the server's clock is broken (tombstone first) and the write goes ahead."""
    store = oss_backend.open(lock_ttl_seconds=120)
    store.put(KEY, {"before": "crash"}, None)
    lock_etag = _plant_lock(oss_backend)
    cloud.advance(121)
    store.update(KEY, lambda value: value.__setitem__("after", "crash"))
    assert store.get(KEY).value["after"] == "crash"
    tombstone = oss_backend.raw(f"acrguard/locks-broken/{KEY}/{lock_etag.strip(chr(34))}", record=False)
    assert json.loads(tombstone)["holder"] == "writer crashed-host/4242"
    assert oss_backend.raw(LOCK, record=False) is None


def test_a_live_lock_makes_the_writer_give_up_with_a_conflict(oss_backend):
    """A lock younger than its TTL is respected: after the bounded wait the writer raises StateConflict."""
    store = oss_backend.open(lock_wait_seconds=0.2)
    version = store.put(KEY, {"value": 0}, None)
    _plant_lock(oss_backend)
    with pytest.raises(StateConflict, match="locked by writer crashed-host/4242"):
        store.put(KEY, {"value": 1}, version)
    assert json.loads(oss_backend.raw(KEY)) == {"value": 0}
    assert oss_backend.raw(LOCK, record=False) == FOREIGN_LOCK


def test_a_writer_waits_for_a_lock_that_is_released(oss_backend):
    """When the holder releases within the wait, the waiting writer takes the lock and writes."""
    oss_backend.open().put(KEY, {"value": 0}, None)
    _plant_lock(oss_backend)
    release = threading.Timer(0.3, lambda: oss_backend.client.delete_object(
        oss.DeleteObjectRequest(bucket=oss_backend.bucket, key=LOCK)))
    release.start()
    started = time.monotonic()
    try:
        oss_backend.open(lock_wait_seconds=5).update(KEY, lambda value: value.__setitem__("value", 1))
    finally:
        release.join()
    assert time.monotonic() - started >= 0.3
    assert oss_backend.open().get(KEY).value["value"] == 1


def test_a_change_made_by_the_lock_holder_is_a_conflict_at_once(oss_backend):
    """If the record changes while another writer holds its lock, the waiter conflicts without waiting it out."""
    store = oss_backend.open(lock_wait_seconds=5)
    version = store.put(KEY, {"value": 0}, None)
    _plant_lock(oss_backend)
    oss_backend.corrupt(KEY, b'{"written": "by the holder"}')
    started = time.monotonic()
    with pytest.raises(StateConflict, match="held its lock"):
        store.put(KEY, {"value": 1}, version)
    assert time.monotonic() - started < 2


def test_locks_of_different_records_do_not_block_each_other(oss_backend):
    """A lock held on one record does not stop a write of another."""
    store = oss_backend.open(lock_wait_seconds=0.2)
    other = store.put("hysteresis/t", {"v": 0}, None)
    _plant_lock(oss_backend)
    store.put("hysteresis/t", {"v": 1}, other)
    assert store.get("hysteresis/t").value == {"v": 1}
