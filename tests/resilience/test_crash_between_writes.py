"""A crash between any two writes of a sweep, then a fresh run: it converges and nothing is duplicated.

A fault-free run of the same world first lists the sweep's writes in order. Then, for every
position k, the world is reset and the sweep crashes there, in two ways:

* ``before``: the k-th write and every later one never reach the cloud (connections dropped);
* ``after``: the k-th write is carried out but its answer never arrives, and every later write
  (the SDK's retry of the k-th included) is dropped: the function dies not knowing it wrote.

FC then runs the event again (the crashed invocation raised, so its claim was released), fault
free. A third mode, ``retried``, loses only the k-th write's answer: the SDK sends the write
again, which must count as done (no failure reported, nothing written twice).

The seed picks the world: which declared entries are missing and which of acrguard's old
entries are still there, so the number and order of writes vary.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from typing import Any

import pytest

from acrguard.errors import StateError, TransientCloudError
from support import ACCOUNT, INSTANCE_ID, REGION
from tests.resilience.harness import (
    AclWatch,
    Functions,
    RouteWatch,
    by_function,
    carried_out,
    mentions,
    repeated_messages,
    timer,
    write_calls,
)
from tests.resilience.keeperworld import ENI_START, routes_config, routes_world, wanted
from tests.resilience.whitelistworld import ALLOWED, FOREIGN, HOST, HOST_IPS, whitelist_config, whitelist_world

WHITELIST = "whitelist_guard"
KEEPER = "endpoint_keeper"
EXTRA = ("198.51.101.0/24", "198.51.102.0/24")
MODES = ("before", "after")


def crash_world(seed: int) -> dict[str, Any]:
    """The whitelist world with a seeded mix of missing declared entries and old entries of acrguard's."""
    rng = random.Random(seed)
    data = whitelist_world()
    instance = data["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"][0]
    entries = [{"entry": ALLOWED, "comment": "office"}, {"entry": FOREIGN, "comment": "legacy"}] \
        if rng.random() < 0.5 else []
    entries += [{"entry": cidr, "comment": f"acrguard:test:{cidr.replace('/', '_')}"}
                for cidr in ("198.51.100.0/24", *EXTRA) if rng.random() < 0.4]
    entries += [{"entry": f"198.18.9.{i}/32", "comment": "acrguard:test:old-office"} for i in range(rng.randint(1, 2))]
    instance["internet"]["entries"] = entries
    return data


def crash_config(cloud: Any, tmp_path: Any, name: str) -> Any:
    """The whitelist config with every extra declared CIDR, its state in its own file."""
    directory = tmp_path / name
    directory.mkdir()
    return whitelist_config(cloud, directory, extra_cidrs=EXTRA)


def keeper_config(cloud: Any, tmp_path: Any, name: str) -> Any:
    """The keeper's config, its state in its own file."""
    directory = tmp_path / name
    directory.mkdir()
    return routes_config(cloud, directory)


def our_writes(cloud: Any, since: int) -> list[Any]:
    """The write calls acrguard made (signed by a function's role), in order, whatever their outcome."""
    return [r for r in write_calls(cloud, since) if by_function(cloud, r)]


def crash_at(cloud: Any, writes: list[Any], k: int, mode: str) -> None:
    """Make the sweep crash at its k-th write (see the module docstring), by fault rules on the write actions."""
    before = Counter(r.action for r in writes[:k])
    if mode in ("after", "retried"):
        cloud.inject(action=writes[k].action, after=before[writes[k].action], times=1, lose_answer=True)
    if mode == "retried":
        return
    for action in {r.action for r in writes}:
        cloud.inject(action=action, after=before[action], drop=True)


@pytest.fixture
def world(seed):
    """The seeded crash world."""
    return crash_world(seed)


def test_whitelist_sweep_crashed_at_any_write_converges_without_duplicates(cloud, world, tmp_path, seed):
    """Crashing before or right after any write, then running again, gives the declared whitelist, once."""
    event = timer(WHITELIST, 0)
    mark = cloud.requests.last_seq()
    baseline = Functions(cloud, crash_config(cloud, tmp_path, "baseline")).deliver(WHITELIST, event)
    assert baseline.status == "done" and baseline.attempts == 1
    expected = AclWatch(cloud).live()
    writes = [r for r in our_writes(cloud, mark) if carried_out(r)]
    assert len(writes) >= 2, "the seeded world must need several writes"
    assert expected >= {"198.51.100.0/24", *EXTRA, *(f"{ip}/32" for ip in HOST_IPS)}

    for k in range(len(writes)):
        for mode in MODES:
            cloud.load_world(world)
            watch = AclWatch(cloud)
            functions = Functions(cloud, crash_config(cloud, tmp_path, f"crash-{k}-{mode}"))
            crash_at(cloud, writes, k, mode)
            start = cloud.requests.last_seq()
            try:
                crashed = functions.invoke(WHITELIST, event)
            except (TransientCloudError, StateError):
                crashed = None
            where = f"crash {mode} write {k} ({writes[k].action} {writes[k].params.get('Entry')})"
            assert crashed is None, f"{where}: the crashed invocation must fail so FC runs it again: {crashed}"
            cloud.faults.clear()

            again = functions.deliver(WHITELIST, event)

            assert again.status == "done" and again.attempts == 1, where
            watch.check()
            assert watch.live() == expected, where
            assert watch.emptied() == [], where
            acl = [e.entry for e in cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].acl]
            assert len(acl) == len(set(acl)), f"{where}: duplicate entries {acl}"
            done = [r for r in our_writes(cloud, start) if carried_out(r)]
            assert len(done) == len(writes), \
                f"{where}: writes carried out {[(r.action, r.params.get('Entry')) for r in done]}"
            assert repeated_messages(cloud) == [], where
            if FOREIGN in {e.entry for e in world_entries(world)}:
                assert mentions(cloud, FOREIGN) == 1, where
            assert mentions(cloud, "failed on") == 0, f"{where}: a write that happened was reported as failed"
    assert HOST  # the hostname entry is part of every plan


def world_entries(world: dict[str, Any]) -> list[Any]:
    """The seeded whitelist entries of the test instance."""
    from types import SimpleNamespace

    instance = world["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"][0]
    return [SimpleNamespace(**e) for e in instance["internet"]["entries"]]


def test_whitelist_write_whose_answer_was_lost_counts_as_done_when_retried(cloud, world, tmp_path, seed):
    """A write carried out whose answer was lost is sent again by the SDK; that is success, not a failure."""
    event = timer(WHITELIST, 0)
    mark = cloud.requests.last_seq()
    assert Functions(cloud, crash_config(cloud, tmp_path, "baseline")).deliver(WHITELIST, event).status == "done"
    expected = AclWatch(cloud).live()
    writes = [r for r in our_writes(cloud, mark) if carried_out(r)]

    for k in range(len(writes)):
        cloud.load_world(world)
        watch = AclWatch(cloud)
        functions = Functions(cloud, crash_config(cloud, tmp_path, f"retried-{k}"))
        crash_at(cloud, writes, k, "retried")

        outcome = functions.deliver(WHITELIST, event)

        where = f"answer of write {k} lost ({writes[k].action} {writes[k].params.get('Entry')})"
        assert outcome.status == "done" and outcome.attempts == 1, f"{where}: {outcome.errors}"
        assert outcome.result["events"][0]["changes"], where
        watch.check()
        assert watch.live() == expected and watch.emptied() == [], where
        assert mentions(cloud, "failed on") == 0, f"{where}: a write that happened was reported as failed"


def test_keeper_sweep_crashed_at_any_write_converges_without_duplicates(cloud, tmp_path, seed):
    """The keeper's first sweep (every target type) crashed at a seeded sample of its writes, then run again."""
    rng = random.Random(seed)
    world = routes_world()
    cloud.load_world(world)
    mark = cloud.requests.last_seq()
    baseline = Functions(cloud, keeper_config(cloud, tmp_path, "baseline")).deliver(KEEPER, timer(KEEPER, 0))
    assert baseline.status == "done"
    writes = [r for r in our_writes(cloud, mark) if carried_out(r)]
    expected = RouteWatch(cloud).routes()
    assert expected == wanted(ENI_START) and len(writes) >= 10
    positions = sorted({0, len(writes) - 1, *rng.sample(range(1, len(writes) - 1), 2)})

    for k in positions:
        for mode in (*MODES, "retried"):
            cloud.load_world(world)
            functions = Functions(cloud, keeper_config(cloud, tmp_path, f"crash-{k}-{mode}"))
            watch = RouteWatch(cloud)
            crash_at(cloud, writes, k, mode)
            with contextlib.suppress(TransientCloudError, StateError):
                functions.invoke(KEEPER, timer(KEEPER, 0))
            cloud.faults.clear()

            again = functions.deliver(KEEPER, timer(KEEPER, 1))  # the next run (FC's retry or the timer)

            where = f"crash {mode} at write {k} ({writes[k].action})"
            assert again.status == "done", f"{where}: {again.errors}"
            assert watch.routes() == expected, f"{where}: not converged or doubled"
            assert watch.removed() == [], f"{where}: removed a route"
            assert repeated_messages(cloud) == [], where
