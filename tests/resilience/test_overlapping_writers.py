"""Two invocations of the same writer at once, on one state document (SQLite file or OSS object), as its role.

Production serializes writers (FC reserved concurrency 1); these tests take that away and check
the second line of defence, the state store's version check and idempotent writes:

* two different events at once (both sweep, both read the same whitelist before either writes):
  both are recorded as processed, the hysteresis and alert state hold both runs' changes, every
  entry is in the whitelist once (the cloud refuses the second add, which counts as done), and a
  finding both runs see is told once;
* the same event delivered twice at once (EventBridge is at-least-once): one invocation handles
  it, the other is told to come back (FC retries it) and then finds it done; the writes and the
  messages happen once;
* two different functions at once on the state they share: a message owed to a robot goes out once.

Injected latency makes the runs overlap, but threads on a busy machine may still start far
enough apart that they do not (the second run then simply sees the first one's work). Each test
finds out from the local cloud's request log (or the outcome) whether they overlapped, asserts in
full what an overlap must give when they did, and what a sequential run must give when they did
not; what holds either way (each entry once, each message once) is asserted always.
"""

from __future__ import annotations

import functools
import random
import threading
from typing import Any

import pytest

from acrguard.config import load_config
from acrguard.errors import StateError, TransientCloudError
from acrguard.events.dedup import SECTION as PROCESSED
from acrguard.runtime.handler import RetryLater, run_job
from acrguard.state import open_store
from acrguard.state.document import read_document
from support import ACCOUNT, INSTANCE_ID, REGION
from tests.resilience.harness import (
    AclWatch,
    all_at_once,
    carried_out,
    mentions,
    repeated_messages,
    role_context,
    timer,
)
from tests.resilience.whitelistworld import FOREIGN, HOST, desired_acl, whitelist_config, whitelist_world

WHITELIST = "whitelist_guard"
STATE_BUCKET = "acrguard-state"


@pytest.fixture
def world():
    """The whitelist world and a bucket for the OSS state document."""
    data = whitelist_world()
    data["oss"] = {"buckets": [{"name": STATE_BUCKET, "account": ACCOUNT, "region": REGION}]}
    return data


@pytest.fixture(params=["sqlite", "oss"])
def config(request, cloud, tmp_path):
    """The whitelist config with its state in a SQLite file or in an OSS object (one document for both writers)."""
    state = {"backend": "sqlite", "path": str(tmp_path / "state.db")} if request.param == "sqlite" else \
        {"backend": "oss", "bucket": STATE_BUCKET, "key": "state/acrguard.json", "region": REGION}
    return load_config(whitelist_config(cloud, tmp_path, state=state))


def invoke(cloud: Any, config: Any, event: bytes, name: str) -> dict[str, Any]:
    """One FC invocation of the whitelist guard (the handler with an already loaded config), as its role."""
    return run_job(WHITELIST, event, role_context(cloud, WHITELIST, name), config=config)


def at_once(cloud: Any, config: Any, events: list[bytes]) -> list[Any]:
    """Invoke once per event, all at the same time; each result, or the exception the invocation raised."""
    return all_at_once([functools.partial(invoke, cloud, config, event, f"req-{index}")
                        for index, event in enumerate(events)], timeout_s=30)


def state_of(cloud: Any, config: Any) -> dict[str, Any]:
    """The whitelist guard's state as stored, seen as one document (read with the root key)."""
    from support import make_factory

    store = open_store(config.state, make_factory(cloud), job=WHITELIST)
    try:
        return read_document(store)
    finally:
        store.close()


#: How far apart (seconds) the cloud's records of a read and a write must be to tell which ran first.
ORDER_MARGIN_S = 0.02


def both_read_before_any_write(cloud: Any, since: int) -> bool | None:
    """Whether both runs read the whitelist before the first add was carried out (None: too close to tell).

    The cloud records a request right after carrying it out, so a read recorded well before the
    first add (by more than ``ORDER_MARGIN_S``) read the whitelist as it was before any add.
    """
    reads = sorted(r.time for r in cloud.requests.filter(action="GetInstanceEndpoint", since=since))
    writes = [r.time for r in cloud.requests.filter(action="CreateInstanceEndpointAclPolicy", since=since)]
    if len(reads) < 2 or not writes:
        return False
    first_write = min(writes)
    if reads[1] < first_write - ORDER_MARGIN_S:
        return True
    return False if reads[1] > first_write + ORDER_MARGIN_S else None


def test_two_sweeps_at_once_keep_both_runs_state_and_each_entry_once(cloud, config, seed):
    """Two timer runs overlapping: both recorded as processed, every entry written once, nothing refused."""
    rng = random.Random(seed)
    watch = AclWatch(cloud)
    since = cloud.requests.last_seq()
    # the first writes are slow to land, so the second run reads the whitelist before them
    cloud.inject(action="CreateInstanceEndpointAclPolicy", latency_ms=rng.randint(120, 220), times=2)
    events = [timer(WHITELIST, 0), timer(WHITELIST, 1)]

    outcomes = at_once(cloud, config, events)
    overlapped = both_read_before_any_write(cloud, since)  # decided before any retry reads again
    creates = cloud.requests.count(action="CreateInstanceEndpointAclPolicy", since=since)
    for index, outcome in enumerate(outcomes):  # FC retries an invocation that failed (e.g. a lost state race)
        if isinstance(outcome, Exception):
            assert isinstance(outcome, (TransientCloudError, StateError)), f"invocation {index} crashed: {outcome!r}"
            outcomes[index] = invoke(cloud, config, events[index], f"retry-{index}")

    assert [o["events"][0]["status"] for o in outcomes] == ["done", "done"]
    if overlapped is True:  # both read the whitelist without the entries: both added both, two adds refused
        assert creates == 4, f"both runs read before any add, yet {creates} adds were sent"
    elif overlapped is False:  # the second read after the first's first add: it adds only what it saw missing
        assert 2 <= creates <= 3, f"the second run read after an add landed, yet {creates} adds were sent"
    else:  # the read and the first add landed too close together to order
        assert 2 <= creates <= 4, f"{creates} adds for two entries"
    assert cloud.requests.count(action="CreateInstanceEndpointAclPolicy", since=since) == creates  # retries add none
    watch.check()
    assert watch.live() == desired_acl()
    acl = [e.entry for e in cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].acl]
    assert len(acl) == len(set(acl)), f"an entry is in the whitelist twice: {acl}"
    assert watch.emptied() == [] and watch.removed(desired_acl()) == []
    state = state_of(cloud, config)
    processed = state.get(PROCESSED) or {}
    for event in ("timer:sweep@2026-11-25T10:00:00Z", "timer:sweep@2026-11-25T10:01:00Z"):
        assert processed.get(f"{WHITELIST}|{event}", {}).get("state") == "done", f"{event} lost from the state"
    assert HOST in (state["hysteresis"][f"whitelist:{INSTANCE_ID}"])
    assert mentions(cloud, "failed on") == 0  # the add the cloud refused as a duplicate counted as done
    assert mentions(cloud, FOREIGN) == 1 and repeated_messages(cloud) == []  # both saw it; one told it


def test_the_same_event_twice_at_once_is_handled_once(cloud, config, seed):
    """A duplicate delivery arriving during the first: it is retried later and found done; one set of writes."""
    rng = random.Random(seed)
    watch = AclWatch(cloud)
    cloud.inject(action="GetInstanceEndpoint", latency_ms=rng.randint(100, 250), times=1)
    event = timer(WHITELIST, 0)

    outcomes = at_once(cloud, config, [event, event])

    handled = [o for o in outcomes if isinstance(o, dict)]
    told_to_retry = [o for o in outcomes if isinstance(o, RetryLater)]
    statuses = sorted(o["events"][0]["status"] for o in handled)
    if told_to_retry:  # they overlapped: the second found the first at work and was sent back
        assert len(handled) == 1 and len(told_to_retry) == 1, outcomes
        assert statuses == ["done"]
        retried = invoke(cloud, config, event, "fc-retry")  # FC's async retry of the one told to come back
        assert retried["events"][0]["status"] == "duplicate"
    else:  # the second started after the first had finished: it finds the event done at once
        assert statuses == ["done", "duplicate"], outcomes
    watch.check()
    creates = [s for s in watch.states if s.action == "CreateInstanceEndpointAclPolicy"]
    assert len(creates) == len({s.entry for s in creates}) == 2  # the declared CIDR and the host's address
    assert all(carried_out(r) for r in cloud.requests.filter(action="CreateInstanceEndpointAclPolicy"))
    assert mentions(cloud, FOREIGN) == 1


def test_two_functions_at_once_on_one_state_send_an_owed_message_once(cloud, config, seed):
    """The whitelist guard and the auditor at once on one config; both flush what is owed, once in all.

    Functions are serialized only with themselves (reserved concurrency per function), so two
    different functions run at the same time. On one SQLite file they share the alert state, and
    each run sends what is due of every job; in OSS each function has its own state document, so
    only the guard holds the owed message. Either way it must go out once.
    """
    rng = random.Random(seed)
    cloud.chat.fail("dingtalk", status=503, times=1)
    assert invoke(cloud, config, timer(WHITELIST, 0), "first")["events"][0]["status"] == "done"  # the message fails
    assert mentions(cloud, FOREIGN) == 0
    cloud.inject(action="GetInstanceEndpoint", latency_ms=rng.randint(0, 60), times=1)

    outcomes: list[Any] = [None, None]
    start = threading.Barrier(2)

    def run(index: int) -> None:
        start.wait()
        if index == 0:
            outcomes[0] = invoke(cloud, config, timer(WHITELIST, 1), "whitelist")
        else:
            outcomes[1] = run_job("pullkey_auditor", timer("pullkey_auditor", 1),
                                  role_context(cloud, "pullkey_auditor", "auditor"), config=config)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [o["events"][0]["status"] for o in outcomes] == ["done", "done"]
    assert mentions(cloud, FOREIGN) == 1, "the owed message was sent by both functions"
    assert repeated_messages(cloud) == []
