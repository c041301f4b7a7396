"""``whitelist.lease``: one run at a time may remove entries from an instance's whitelist."""

from __future__ import annotations

from acrguard.errors import StateError
from acrguard.state.base import Record, StateStore
from acrguard.state.sqlite import SqliteStateStore
from acrguard.whitelist.lease import LEASE_S, SECTION, RemovalLease


class FakeClock:
    """Seconds that move only when slept."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def lease(store, clock: FakeClock, instance: str = "cri-a", wait_s: float = 1.0) -> RemovalLease:
    return RemovalLease(store, instance, wait_s=wait_s, clock=clock, sleep=clock.sleep)


def test_a_second_run_waits_and_then_gives_up_while_the_first_holds_it(tmp_path):
    """Two stores on one state file: the second run cannot take the lease held by the first, and says why."""
    clock = FakeClock()
    first = lease(SqliteStateStore(tmp_path / "s.db"), clock)
    second = lease(SqliteStateStore(tmp_path / "s.db"), clock)
    assert first.acquire() is None and first.held
    refused = second.acquire()
    assert refused is not None and "another acrguard run is removing" in refused and not second.held
    first.release()
    assert second.acquire() is None


def test_a_lease_of_a_run_that_died_expires(tmp_path):
    """A lease never given back blocks removals for LEASE_S only."""
    clock = FakeClock()
    dead = lease(SqliteStateStore(tmp_path / "s.db"), clock)
    assert dead.acquire() is None
    clock.now += LEASE_S + 1
    assert lease(SqliteStateStore(tmp_path / "s.db"), clock).acquire() is None


def test_leases_are_per_instance_and_released_leases_leave_no_trace(tmp_path):
    """Another instance's lease does not block; giving a lease back removes its record."""
    clock = FakeClock()
    store = SqliteStateStore(tmp_path / "s.db")
    a, b = lease(store, clock, "cri-a"), lease(store, clock, "cri-b")
    assert a.acquire() is None and b.acquire() is None
    a.release()
    b.release()
    assert store.list(f"{SECTION}/") == []


class BrokenStore(StateStore):
    """A state store whose records cannot be read."""

    def get(self, key: str) -> Record | None:
        raise StateError("the state record is not JSON")

    def get_many(self, keys=None, *, prefix=None):
        raise StateError("the state record is not JSON")

    def list(self, prefix, *, before=None):
        raise StateError("the state record is not JSON")

    def put(self, key, value, expected_version):
        raise StateError("unreachable")

    def delete(self, key, expected_version):
        raise StateError("unreachable")


def test_an_unreadable_state_means_no_lease():
    """When the state cannot be used the lease is refused with the reason (nothing is removed on doubt)."""
    refused = lease(BrokenStore(), FakeClock()).acquire()
    assert refused is not None and "cannot be taken" in refused and "not JSON" in refused
