"""Idempotency: one processing per event and job, within a bounded, expiring record."""

from __future__ import annotations

from pathlib import Path

import pytest

from acrguard.events import decode_event, decode_events
from acrguard.events.dedup import (
    SECTION,
    Claim,
    DedupPolicy,
    claim,
    complete,
    idempotency_key,
    release,
    was_processed,
)
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


def test_done_keys_expire_after_the_window(store):
    """Past the window a key is forgotten (and pruned from the document)."""
    policy = DedupPolicy(window_s=100)
    claim(store, "old", now=T0, policy=policy)
    complete(store, "old", now=T0, policy=policy)
    assert not was_processed(store, "old", now=T0 + 101)
    claim(store, "new", now=T0 + 101, policy=policy)
    assert "old" not in store.section(SECTION)


def test_record_is_bounded_and_keeps_the_newest(store):
    """Past max_entries the oldest done keys go first; the newest stay."""
    policy = DedupPolicy(max_entries=5)
    for i in range(12):
        claim(store, f"k{i}", now=T0 + i, policy=policy)
        complete(store, f"k{i}", now=T0 + i, policy=policy)
    entries = store.section(SECTION)
    assert len(entries) == 5
    assert set(entries) == {f"k{i}" for i in range(7, 12)}


def test_garbage_entries_in_the_section_are_pruned(store):
    """Entries that are not objects or have unreadable expiry are dropped instead of crashing."""
    store.update(lambda doc: doc.setdefault(SECTION, {}).update({"bad": "x", "worse": {"expires": "soon"}}))
    assert claim(store, "k", now=T0) is Claim.NEW
    assert set(store.section(SECTION)) == {"k"}


def test_a_section_that_is_not_an_object_is_started_afresh(store):
    """A corrupted section costs at most a re-processed event, never a crash."""
    store.update(lambda doc: doc.update({SECTION: ["not", "a", "map"]}))
    assert not was_processed(store, "k", now=T0)
    assert claim(store, "k", now=T0) is Claim.NEW


def test_batch_events_have_distinct_keys():
    """Each event of a batch is deduplicated on its own."""
    keys = [idempotency_key(e) for e in decode_events((FIXTURES / "batch_two_events.json").read_bytes())]
    assert len(set(keys)) == 2
