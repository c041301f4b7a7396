"""Idempotency: one processing per event and job, within a bounded, expiring record."""

from __future__ import annotations

from pathlib import Path

import pytest

from acrguard.events import decode_event, decode_events
from acrguard.events.dedup import (
    Claim,
    DedupPolicy,
    claim,
    complete,
    idempotency_key,
    processed,
    release,
    was_processed,
)
from acrguard.state import keys
from acrguard.state.sqlite import SqliteStateStore

FIXTURES = Path(__file__).parent / "fixtures"
T0 = 1_715_650_000.0


@pytest.fixture
def store():
    """An empty in-memory state store."""
    s = SqliteStateStore(":memory:")
    yield s
    s.close()


def test_keys_are_source_and_id_or_timer_name_and_time():
    """EventBridge events key on source+id; timers on triggerName+triggerTime."""
    assert idempotency_key(decode_event((FIXTURES / "cr_acl_delete_apicall.json").read_bytes())) == \
        "acs.cr#e1d2c3b4-a596-4788-99aa-bbccdd000006"
    assert idempotency_key(decode_event((FIXTURES / "timer_no_payload.json").read_bytes())) == \
        "timer:sweep@2024-05-14T07:05:00Z"


def test_redelivery_has_the_same_key_even_if_fields_differ():
    """A re-send reuses source+id: a different publish time does not make it a new event."""
    first, second = (decode_event((FIXTURES / "cr_acl_delete_apicall.json").read_bytes()) for _ in range(2))
    assert idempotency_key(first) == idempotency_key(second)


def test_claim_complete_then_duplicate(store):
    """The first claim proceeds; after completion the same key is a duplicate."""
    assert claim(store, "acs.cr#1", job="whitelist_guard", now=T0) is Claim.NEW
    complete(store, "acs.cr#1", job="whitelist_guard", now=T0 + 1)
    assert claim(store, "acs.cr#1", job="whitelist_guard", now=T0 + 2) is Claim.DUPLICATE
    assert was_processed(store, "acs.cr#1", job="whitelist_guard", now=T0 + 2)


def test_jobs_are_deduplicated_separately(store):
    """One event done by one job is still new for another."""
    claim(store, "acs.ram#9", job="pullkey_auditor", now=T0)
    complete(store, "acs.ram#9", job="pullkey_auditor", now=T0)
    assert claim(store, "acs.ram#9", job="whitelist_guard", now=T0) is Claim.NEW


def test_in_progress_blocks_until_its_lock_expires(store):
    """A held key answers IN_PROGRESS; once the lock expires (the holder died) it can be claimed again."""
    policy = DedupPolicy(lock_s=60)
    assert claim(store, "k", now=T0, policy=policy) is Claim.NEW
    assert claim(store, "k", now=T0 + 30, policy=policy) is Claim.IN_PROGRESS
    assert claim(store, "k", now=T0 + 61, policy=policy) is Claim.NEW


def test_release_lets_a_retry_run(store):
    """After a failure, release() forgets the key so FC's retry processes it."""
    claim(store, "k", now=T0)
    release(store, "k")
    assert claim(store, "k", now=T0 + 1) is Claim.NEW


def _shard_of(key: str, job: str = "") -> str:
    return keys.dedup_shard(f"{job}|{key}" if job else key)


def test_done_keys_expire_after_the_window(store):
    """Past the window a key is forgotten (and pruned from its record when that record is written again)."""
    policy = DedupPolicy(window_s=100)
    claim(store, "old", now=T0, policy=policy)
    complete(store, "old", now=T0, policy=policy)
    assert not was_processed(store, "old", now=T0 + 101)
    newer = next(f"new{i}" for i in range(1000) if _shard_of(f"new{i}") == _shard_of("old"))
    claim(store, newer, now=T0 + 101, policy=policy)
    assert "old" not in processed(store) and newer in processed(store)


def test_each_record_is_bounded_and_keeps_the_newest(store):
    """Past its share of max_entries a record drops its oldest done keys first; the newest stay."""
    policy = DedupPolicy(max_entries=5 * keys.DEDUP_SHARDS)
    same = [f"k{i}" for i in range(2000) if _shard_of(f"k{i}") == _shard_of("k0")][:12]
    for index, key in enumerate(same):
        claim(store, key, now=T0 + index, policy=policy)
        complete(store, key, now=T0 + index, policy=policy)
    assert set(processed(store)) == set(same[7:])


def test_a_claim_reads_and_writes_one_small_record_however_many_events_are_remembered(store):
    """With a thousand events remembered, claiming one more writes one record of a few kilobytes."""
    for i in range(1000):
        complete(store, f"acs.cr#{i}", job="whitelist_guard", now=T0)
    before = store.stats.to_dict()
    assert claim(store, "acs.cr#new", job="whitelist_guard", now=T0 + 1) is Claim.NEW
    after = store.stats.to_dict()
    assert after["writes"] - before["writes"] == 1
    assert after["bytes_written"] - before["bytes_written"] < 8_000
    assert len(processed(store)) <= DedupPolicy().max_entries + 1


def test_garbage_entries_in_a_record_are_pruned(store):
    """Entries that are not objects or have unreadable expiry are dropped instead of crashing."""
    store.update(_shard_of("k"), lambda value: value.update({"bad": "x", "worse": {"expires": "soon"}}))
    assert claim(store, "k", now=T0) is Claim.NEW
    assert store.value(_shard_of("k")) == {"k": {"state": "in_progress", "at": T0,
                                                 "expires": T0 + DedupPolicy().lock_s}}


def test_a_record_that_is_not_an_object_is_started_afresh(store):
    """A corrupted record costs at most a re-processed event, never a crash."""
    store.put(_shard_of("k"), ["not", "a", "map"], None)
    assert not was_processed(store, "k", now=T0)
    assert claim(store, "k", now=T0) is Claim.NEW


def test_batch_events_have_distinct_keys():
    """Each event of a batch is deduplicated on its own."""
    keys = [idempotency_key(e) for e in decode_events((FIXTURES / "batch_two_events.json").read_bytes())]
    assert len(set(keys)) == 2
