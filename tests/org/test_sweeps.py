"""The sweep record: each shard's status, and one claim of the summary however often anything is delivered."""

from __future__ import annotations

from pathlib import Path

import pytest

from acrguard.events.shard import ShardEvent
from acrguard.org import sweeps
from acrguard.state.sqlite import SqliteStateStore

JOB = "whitelist_guard"


@pytest.fixture
def store(tmp_path: Path):
    found = SqliteStateStore(tmp_path / "state.db")
    yield found
    found.close()


def shards(sweep: str, count: int = 3) -> list[ShardEvent]:
    return [ShardEvent(sweep, JOB, f"290000000000000{i}", "cn-hangzhou") for i in range(count)]


def test_the_shard_that_completes_the_sweep_claims_its_summary_once(store):
    """Only the last outcome claims; a redelivered outcome of the same shard finds the sweep claimed."""
    planned = shards("s1")
    sweeps.start(store, JOB, "s1", planned, {}, now=1.0)
    claims = [sweeps.record(store, "s1", JOB, s.key, sweeps.DONE, now=2.0, claim=f"t{i}")[1]
              for i, s in enumerate(planned)]
    assert claims == [False, False, True]
    view, again = sweeps.record(store, "s1", JOB, planned[2].key, sweeps.DONE, now=3.0, claim="late")
    assert not again and view.summarized and view.count(sweeps.DONE) == 3


def test_a_failure_is_final_only_when_fc_has_no_attempt_left(store):
    """Three attempts allowed: the first two failures leave the sweep open, the third settles the shard."""
    planned = shards("s1", 1)
    sweeps.start(store, JOB, "s1", planned, {}, now=1.0)
    for attempt, expected in ((1, False), (2, False), (3, True)):
        view, claimed = sweeps.record(store, "s1", JOB, planned[0].key, sweeps.FAILED, attempt=True, max_attempts=3,
                                      error="Throttling", now=float(attempt), claim="t")
        assert claimed is expected and view.shards[0].attempts == attempt


def test_a_late_failure_report_never_undoes_a_done_shard(store):
    """A retry that finished wins over the failure report of the attempt before it."""
    planned = shards("s1", 1)
    sweeps.start(store, JOB, "s1", planned, {}, now=1.0)
    sweeps.record(store, "s1", JOB, planned[0].key, sweeps.DONE, now=2.0)
    view, _ = sweeps.record(store, "s1", JOB, planned[0].key, sweeps.FAILED, attempt=True, now=3.0)
    assert view.shards[0].status == sweeps.DONE


def test_the_next_sweep_claims_what_nobody_summarized_and_carries_what_still_runs(store):
    """A shard still pending is not dispatched again (carried); its sweep is summarized by the next sweep's start."""
    sweeps.start(store, JOB, "s1", shards("s1"), {}, now=100.0)
    sweeps.record(store, "s1", JOB, shards("s1")[0].key, sweeps.DONE, now=101.0)
    busy = sweeps.in_flight(store, JOB, now=150.0, stale_after=3600)
    assert set(busy) == {s.key for s in shards("s1")[1:]}
    assert sweeps.in_flight(store, JOB, now=100.0 + 3600, stale_after=3600) == {}  # stale: dispatched again
    claimed = sweeps.claim_unsummarized(store, JOB, "s2", "t2", now=150.0)
    assert [(v.sweep, v.count(sweeps.PENDING)) for v in claimed] == [("s1", 2)]
    assert sweeps.claim_unsummarized(store, JOB, "s3", "t3", now=160.0) == []
    sweeps.start(store, JOB, "s2", shards("s2"), busy, now=150.0)
    view, claimed_now = sweeps.record(store, "s2", JOB, shards("s2")[0].key, sweeps.DONE, now=151.0, claim="t4")
    assert claimed_now and view.count(sweeps.CARRIED) == 2


def test_old_summarized_sweeps_are_deleted(store):
    """The state keeps the last sweeps only."""
    for n in range(sweeps.KEEP_SWEEPS + 5):
        name = f"s{n:03d}"
        sweeps.start(store, JOB, name, shards(name, 1), {}, now=float(n))
        sweeps.record(store, name, JOB, shards(name, 1)[0].key, sweeps.DONE, now=float(n), claim="t")
    assert len(store.values(sweeps.PREFIX)) == sweeps.KEEP_SWEEPS
    assert f"{sweeps.PREFIX}s024" in store.values(sweeps.PREFIX)
