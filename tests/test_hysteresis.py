"""Hysteresis: add at once, remove only after hold_runs successful misses and hold_hours; unknown changes nothing."""

from __future__ import annotations

import itertools

import pytest

from acrguard.config.safety import SafetyConfig
from acrguard.errors import StateError
from acrguard.hysteresis import (
    HoldPolicy,
    HysteresisTracker,
    Observation,
    Tracked,
    adopt,
    dump_tracked,
    parse_tracked,
    step,
)
from acrguard.state import keys
from acrguard.state.sqlite import SqliteStateStore

H = 3600.0
IP = "192.0.2.1"
OTHER = "192.0.2.2"
POLICY = HoldPolicy(runs=3, hours=24)

SEEN = Observation.success({IP})
MISSED = Observation.success({OTHER})
EMPTY = Observation.success(())
UNKNOWN = Observation.unknown()
PARTIAL_OTHER = Observation.partial({OTHER})
PARTIAL_SEEN = Observation.partial({IP})


def tracked(misses: int = 0, first_missed: float | None = None, first_seen: float = 0.0,
            last_seen: float = 0.0) -> dict[str, Tracked]:
    """One tracked address."""
    return {IP: Tracked(first_seen, last_seen, misses, first_missed)}


@pytest.mark.parametrize(("before", "observation", "now", "status", "after"), [
    # new addresses are added at once, by a complete or a partial observation
    ({}, SEEN, 10.0, "added", Tracked(10.0, 10.0)),
    ({}, PARTIAL_SEEN, 10.0, "added", Tracked(10.0, 10.0)),
    # seeing a tracked address refreshes it and forgets its misses
    (tracked(2, 5.0), SEEN, 10.0, "seen", Tracked(0.0, 10.0)),
    (tracked(2, 5.0), PARTIAL_SEEN, 10.0, "seen", Tracked(0.0, 10.0)),
    # a complete observation without it counts a miss, remembering the first one
    (tracked(), MISSED, 10.0, "missing", Tracked(0.0, 0.0, 1, 10.0)),
    (tracked(), EMPTY, 10.0, "missing", Tracked(0.0, 0.0, 1, 10.0)),
    (tracked(1, 5.0), MISSED, 10.0, "missing", Tracked(0.0, 0.0, 2, 5.0)),
    # enough runs but not enough hours: held
    (tracked(2, 0.0), MISSED, 23 * H, "missing", Tracked(0.0, 0.0, 3, 0.0)),
    # enough hours but not enough runs: held
    (tracked(1, 0.0), MISSED, 48 * H, "missing", Tracked(0.0, 0.0, 2, 0.0)),
    # both: released
    (tracked(2, 0.0), MISSED, 24 * H, "released", Tracked(0.0, 0.0, 3, 0.0)),
    # unknown and partial observations change no counter
    (tracked(2, 0.0), UNKNOWN, 48 * H, "unobserved", Tracked(0.0, 0.0, 2, 0.0)),
    (tracked(2, 0.0), PARTIAL_OTHER, 48 * H, "unobserved", Tracked(0.0, 0.0, 2, 0.0)),
    (tracked(), UNKNOWN, 48 * H, "unobserved", Tracked(0.0, 0.0)),
    # a clock that went backwards counts as no time passed
    (tracked(5, 100 * H), MISSED, 50 * H, "missing", Tracked(0.0, 0.0, 6, 100 * H)),
])
def test_step_table(before, observation, now, status, after):
    """Each kind of observation moves one address as the table says."""
    result = step(before, observation, now, POLICY)
    decision = next(d for d in result.decisions if d.address == IP)
    assert decision.status == status
    assert decision.record == after
    assert (IP in result.tracked) == (status != "released")


def test_unknown_observation_returns_the_state_unchanged():
    """An unknown observation leaves every record exactly as it was."""
    before = {IP: Tracked(1.0, 2.0, 2, 1.5), OTHER: Tracked(3.0, 4.0)}
    assert step(before, UNKNOWN, 99 * H, POLICY).tracked == before


def test_other_addresses_are_added_next_to_tracked_ones():
    """A new address is added while the missing one is held: both stay desired."""
    result = step(tracked(), MISSED, 10.0, POLICY)
    assert result.keep == {IP, OTHER}
    assert [d.address for d in result.with_status("added")] == [OTHER]
    assert [d.address for d in result.held] == [IP]


def test_held_decision_says_how_far_from_removal():
    """A held address reports the runs and hours it still has to wait."""
    result = step(tracked(0), MISSED, 6 * H, POLICY)
    decision = result.held[0]
    assert (decision.runs_left, decision.hours_left) == (2, pytest.approx(24.0))
    later = step(result.tracked, MISSED, 12 * H, POLICY).held[0]
    assert (later.runs_left, later.hours_left) == (1, pytest.approx(18.0))


def test_unobserved_address_with_misses_is_still_a_held_removal():
    """An address missed before and unobserved now is listed as held, not as settled."""
    result = step(tracked(1, 0.0), UNKNOWN, 1 * H, POLICY)
    assert [d.address for d in result.held] == [IP]
    assert step(tracked(0), UNKNOWN, 1 * H, POLICY).held == ()


def test_one_run_zero_hours_releases_on_the_first_miss():
    """The loosest policy removes an address at its first successful miss."""
    result = step(tracked(), MISSED, 1.0, HoldPolicy(runs=1, hours=0))
    assert [d.address for d in result.released] == [IP]
    assert IP not in result.keep


def _reference(events: tuple[str, ...], runs: int, hours: float, interval_h: float) -> list[bool]:
    """Whether the address is desired after each event, computed from the whole history.

    Events: S seen, M complete observation without it, P partial without it, U unknown. The
    address is desired after event i when it was seen at some j <= i and, counting the complete
    misses after the last sighting up to i, no prefix of them reached ``runs`` misses with
    ``hours`` elapsed since the first of them.
    """
    desired = []
    for i in range(len(events)):
        sightings = [j for j in range(i + 1) if events[j] == "S"]
        if not sightings:
            desired.append(False)
            continue
        misses = [j for j in range(sightings[-1] + 1, i + 1) if events[j] == "M"]
        released = any(
            k + 1 >= runs and (misses[k] - misses[0]) * interval_h >= hours for k in range(len(misses)))
        desired.append(not released)
    return desired


@pytest.mark.parametrize("runs", [1, 2, 3])
@pytest.mark.parametrize("hours", [0.0, 1.0, 2.5])
def test_every_history_matches_the_reference(runs, hours):
    """Exhaustively, for every history of up to 6 observations, step() keeps exactly what the rule says."""
    interval_h = 1.0
    policy = HoldPolicy(runs, hours)
    kinds = {"S": SEEN, "M": MISSED, "P": PARTIAL_OTHER, "U": UNKNOWN}
    for length in range(1, 7):
        for events in itertools.product("SMPU", repeat=length):
            state: dict[str, Tracked] = {}
            kept = []
            for index, event in enumerate(events):
                state = dict(step(state, kinds[event], index * interval_h * H, policy).tracked)
                state.pop(OTHER, None)
                kept.append(IP in state)
            assert kept == _reference(events, runs, hours, interval_h), (events, runs, hours)


def test_adopt_tracks_only_unknown_live_addresses():
    """adopt() starts tracking live addresses the state lacks and leaves tracked ones untouched."""
    before = {IP: Tracked(1.0, 2.0, 2, 1.5)}
    assert adopt(before, [IP, OTHER], 10.0) == {IP: Tracked(1.0, 2.0, 2, 1.5), OTHER: Tracked(10.0, 10.0)}
    assert before == {IP: Tracked(1.0, 2.0, 2, 1.5)}


def test_adopted_address_is_held_like_any_other():
    """A live address unknown to the state is not released at once by a complete observation without it."""
    result = step(adopt({}, [IP], 0.0), EMPTY, 0.0, POLICY)
    assert [d.address for d in result.held] == [IP] and result.released == ()


def test_policy_comes_from_the_safety_section():
    """HoldPolicy.from_safety uses hold_runs and hold_hours."""
    assert HoldPolicy.from_safety(SafetyConfig(hold_runs=5, hold_hours=2.5)) == HoldPolicy(5, 2.5)
    assert HoldPolicy.from_safety(SafetyConfig()) == HoldPolicy(3, 24.0)


@pytest.mark.parametrize("kwargs", [{"runs": 0}, {"hours": -1}, {"hours": float("nan")}])
def test_policy_rejects_nonsense(kwargs):
    """Zero runs or negative hours are refused."""
    with pytest.raises(ValueError, match="HoldPolicy"):
        HoldPolicy(**kwargs)


def test_records_round_trip_through_the_state_form():
    """dump_tracked and parse_tracked are inverse."""
    records = {IP: Tracked(1.0, 2.0, 2, 1.5), OTHER: Tracked(3.0, 4.0)}
    assert parse_tracked(dump_tracked(records), "x") == records


@pytest.mark.parametrize("data", [
    [1, 2],
    {IP: "yesterday"},
    {IP: {"last_seen": 1.0}},
    {IP: {"first_seen": "x", "last_seen": 1.0}},
    {IP: {"first_seen": 1.0, "last_seen": 1.0, "misses": 2, "first_missed": None}},
    {IP: {"first_seen": 1.0, "last_seen": 1.0, "misses": -1, "first_missed": None}},
])
def test_malformed_state_is_reported_with_its_path(data):
    """A malformed record raises StateError naming where it is."""
    with pytest.raises(StateError, match=r"hysteresis\.routes:cri-1\.auth"):
        parse_tracked(data, "hysteresis.routes:cri-1.auth")


@pytest.fixture
def store(tmp_path):
    """A SQLite state store in a temporary directory."""
    store = SqliteStateStore(tmp_path / "state.db")
    yield store
    store.close()


def test_tracker_persists_each_key_of_a_scope(store):
    """observe() saves every key's records in the scope's record (section/scope), one record per scope."""
    tracker = HysteresisTracker(store, POLICY, clock=lambda: 100.0)
    results = tracker.observe("routes:cri-1", {"auth": SEEN, "oss": Observation.success({OTHER})})
    assert results["auth"].keep == {IP}
    assert tracker.current("routes:cri-1", "auth") == {IP: Tracked(100.0, 100.0)}
    assert store.value(keys.tracker_scope("hysteresis", "routes:cri-1"))["oss"][OTHER]["first_seen"] == 100.0
    assert store.list("") == ["hysteresis/routes%3Acri-1"]


def test_tracker_counts_misses_across_invocations(store, tmp_path):
    """A second tracker on the same file continues the counters (state lives in the store)."""
    HysteresisTracker(store, POLICY).observe("s", {"k": SEEN}, now=0.0)
    again = HysteresisTracker(SqliteStateStore(tmp_path / "state.db"), POLICY)
    for run in range(1, 3):
        again.observe("s", {"k": MISSED}, now=run * 12 * H)
    result = again.observe("s", {"k": MISSED}, now=36 * H)
    assert [d.address for d in result["k"].released] == [IP]
    assert again.current("s", "k") == {OTHER: Tracked(12 * H, 36 * H)}


def test_preview_does_not_save(store):
    """observe(commit=False) computes the step but leaves the state as it was."""
    tracker = HysteresisTracker(store, POLICY)
    tracker.observe("s", {"k": SEEN}, now=0.0)
    version = store.get("hysteresis/s").version
    preview = tracker.observe("s", {"k": MISSED}, now=48 * H, commit=False)
    assert preview["k"].held[0].address == IP
    assert store.get("hysteresis/s").version == version
    assert tracker.current("s", "k") == {IP: Tracked(0.0, 0.0)}


def test_tracker_adopts_live_addresses_before_observing(store):
    """observe(adopt_live=...) adopts untracked live addresses, then counts this run's miss."""
    tracker = HysteresisTracker(store, POLICY)
    result = tracker.observe("s", {"k": Observation.success({OTHER})}, now=5.0, adopt_live={"k": [IP]})
    assert result["k"].keep == {IP, OTHER}
    assert tracker.current("s", "k")[IP] == Tracked(5.0, 5.0, 1, 5.0)


def test_unknown_observation_writes_nothing(store):
    """An unknown observation does not even bump the record's version."""
    tracker = HysteresisTracker(store, POLICY)
    tracker.observe("s", {"k": SEEN}, now=0.0)
    version = store.get("hysteresis/s").version
    tracker.observe("s", {"k": UNKNOWN}, now=99 * H)
    assert store.get("hysteresis/s").version == version


def test_scopes_and_sections_are_independent(store):
    """Two scopes, or two sections, never see each other's addresses."""
    routes = HysteresisTracker(store, POLICY)
    whitelist = HysteresisTracker(store, POLICY, section="whitelist_hosts")
    routes.observe("routes:cri-1", {"auth": SEEN}, now=0.0)
    routes.observe("routes:cri-2", {"auth": MISSED}, now=0.0)
    whitelist.observe("whitelist:cri-1", {"office.example.com": MISSED}, now=0.0)
    assert set(routes.current("routes:cri-1", "auth")) == {IP}
    assert set(routes.current("routes:cri-2", "auth")) == {OTHER}
    assert whitelist.current("routes:cri-1", "auth") == {}
    assert store.list("") == ["hysteresis/routes%3Acri-1", "hysteresis/routes%3Acri-2",
                              "whitelist_hosts/whitelist%3Acri-1"]


def test_forget_drops_a_key_or_a_scope(store):
    """forget() removes what is remembered, nothing else."""
    tracker = HysteresisTracker(store, POLICY)
    tracker.observe("s", {"a": SEEN, "b": SEEN}, now=0.0)
    tracker.observe("t", {"a": SEEN}, now=0.0)
    tracker.forget("s", "a")
    assert tracker.current("s", "a") == {} and tracker.current("s", "b") != {}
    tracker.forget("s")
    assert tracker.current("s", "b") == {} and tracker.current("t", "a") != {}


def test_malformed_stored_state_is_reported_and_left_untouched(store):
    """A corrupt record stops the tracker with StateError; the record is not rewritten."""
    store.put("hysteresis/s", {"k": {IP: {"first_seen": "soon"}}}, None)
    version = store.get("hysteresis/s").version
    tracker = HysteresisTracker(store, POLICY)
    with pytest.raises(StateError, match=r"hysteresis\.s\.k"):
        tracker.observe("s", {"k": SEEN}, now=0.0)
    assert store.get("hysteresis/s").version == version


def test_a_scope_that_is_not_an_object_is_reported_and_left_untouched(store):
    """A scope record that is not an object is a StateError naming it; nothing is written."""
    store.put("hysteresis/s", ["garbage"], None)
    version = store.get("hysteresis/s").version
    with pytest.raises(StateError, match=r"hysteresis\.s is malformed"):
        HysteresisTracker(store, POLICY).observe("s", {"k": SEEN}, now=0.0)
    assert store.get("hysteresis/s").version == version
