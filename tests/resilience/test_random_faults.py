"""Random cloud faults across repeated sweeps: every job converges, removes nothing wanted, alerts once.

The fault mix of issue 8 (5% ``Throttling.User``, 2% ``ServiceUnavailable``, dropped connections
and read timeouts) hits every API call of the functions, seeded. Between sweeps the world changes
(an entry deleted by hand, the hostname moving, someone adding their own entry). Each sweep must
finish within FC's retries (or, when FC gave up, the next scheduled sweep must) and leave the
cloud as declared. The SDK retries each call only once, so faults often reach the functions.
"""

from __future__ import annotations

import random

import pytest

from acrguard.retry import RetryPolicy
from acrguard.routes.keeper import run_sweep
from acrguard.routes.targets.waiting import Waiter
from acrguard.state.sqlite import SqliteStateStore
from localcloud.products.cr import AclEntry
from support import ACCOUNT, INSTANCE_ID, REGION, make_factory
from tests.resilience.auditworld import audit_config, audit_world
from tests.resilience.harness import (
    AclWatch,
    Functions,
    RouteWatch,
    chat_texts,
    faults_paused,
    mentions,
    random_faults,
    repeated_messages,
    settle_alerts,
    timer,
    write_calls,
)
from tests.resilience.keeperworld import (
    ENI_START,
    SHORT_HOLD,
    move_endpoint,
    routes_config,
    routes_world,
    wanted,
)
from tests.resilience.whitelistworld import (
    ALLOWED,
    DECLARED,
    FOREIGN,
    HOST,
    HOST_IPS,
    desired_acl,
    whitelist_config,
    whitelist_world,
)
from tests.routes.keeperworld import make_config

SWEEPS = 8
WHITELIST = "whitelist_guard"
AUDITOR = "pullkey_auditor"
KEEPER = "endpoint_keeper"
#: scheduled runs the keeper may need to converge after a change (a run cut short by a transient failure
#: is retried by FC, at most twice, and then left to the next scheduled run)
KEEPER_RUNS = 4
#: how long (cloud seconds) route entries stay Pending/Creating/Deleting in the lingering test
LINGER_S = 2.0
LINGER_RUNS = 16


@pytest.fixture
def world(request):
    """Each test's world: the whitelist's, the pull users', or the keeper's route targets."""
    name = request.function.__name__
    if name.startswith("test_pullkey"):
        return audit_world()
    if name.startswith("test_keeper_converges_while"):
        return routes_world(delay=LINGER_S)
    if name.startswith("test_keeper"):
        return routes_world()
    return whitelist_world()


def test_whitelist_guard_converges_under_random_faults(cloud, tmp_path, seed):
    """Every sweep ends with the declared whitelist; it is never empty, nothing wanted is removed, alerts once."""
    rng = random.Random(seed)
    functions = Functions(cloud, whitelist_config(cloud, tmp_path))
    instance = cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID]
    watch = AclWatch(cloud)
    random_faults(cloud, seed)
    host_ips, former, others = HOST_IPS, set(), []
    chat_outage = rng.randrange(SWEEPS)
    for n in range(SWEEPS):
        change = rng.choice(["none", "delete-declared", "move-host", "someone-adds"]) if n else "none"
        with faults_paused(cloud):
            if change == "delete-declared":
                instance.acl = [e for e in instance.acl if e.entry != DECLARED]
            elif change == "move-host":
                former |= {f"{ip}/32" for ip in host_ips}
                host_ips = (f"47.96.7.{20 + n}",)
                cloud.dns.set(HOST, list(host_ips))
            elif change == "someone-adds":
                others.append(f"203.0.113.{16 * n}/28")  # inside the allowed range: theirs to keep
                instance.acl.append(AclEntry(others[-1], "theirs"))
            watch.resync()
        if n == chat_outage:
            cloud.chat.fail("dingtalk", status=503, times=1)

        runs = functions.scheduled(WHITELIST, n)

        assert runs[-1].status == "done", f"sweep {n} ({change}) did not finish: {[r.errors for r in runs]}"
        watch.check()
        assert watch.live() == desired_acl(host_ips, *others), f"sweep {n} ({change}) did not converge"
    assert watch.emptied() == []
    kept = {DECLARED, ALLOWED, FOREIGN, *others, *(f"{ip}/32" for ip in host_ips)}
    assert watch.removed(kept) == []
    assert {s.entry for s in watch.states if s.action == "DeleteInstanceEndpointAclPolicy"} <= former

    cloud.faults.clear()
    settle_alerts(functions, WHITELIST, tmp_path / "state.db")
    assert mentions(cloud, FOREIGN) == 1  # the lasting finding: told once, never repeated, never lost
    assert repeated_messages(cloud) == []


def test_pullkey_auditor_reports_the_same_findings_under_random_faults(cloud, tmp_path, seed):
    """Every audit finishes within FC's retries with the fault-free findings; nothing is resolved or re-sent."""
    functions = Functions(cloud, audit_config(cloud, tmp_path, attempts=2))
    baseline = functions.deliver(AUDITOR, timer(AUDITOR, 0))
    assert baseline.status == "done" and baseline.attempts == 1
    findings = baseline.result["events"][0]["findings"]
    messages = chat_texts(cloud)
    assert findings and messages
    mark = cloud.requests.last_seq()
    random_faults(cloud, seed)

    for n in range(1, 5):
        runs = functions.scheduled(AUDITOR, n)
        assert runs[-1].status == "done", f"audit {n} did not finish: {[r.errors for r in runs]}"
        assert runs[-1].result["events"][0]["findings"] == findings, f"audit {n} saw other findings"

    assert write_calls(cloud, mark) == []  # the auditor only reads
    cloud.faults.clear()
    settle_alerts(functions, AUDITOR, tmp_path / "state.db")
    assert chat_texts(cloud) == messages  # a fault never made a finding look resolved, nor sent one again


def test_keeper_converges_under_random_faults(cloud, tmp_path, seed):
    """Routes converge on every target within a few runs; no wanted route is removed; no route is doubled."""
    rng = random.Random(seed)
    functions = Functions(cloud, routes_config(cloud, tmp_path))
    random_faults(cloud, seed)
    eni, former, n, moves = ENI_START, set(), 0, []
    for step in range(4):
        change = rng.choice(["none", "move-endpoint", "delete-ours"]) if step else "none"
        with faults_paused(cloud):
            watch = RouteWatch(cloud)
            if change == "move-endpoint":
                former.add(f"{eni}/32")
                eni = f"192.168.10.{100 + step}"
                moves.append(eni)
                move_endpoint(cloud, eni)
            elif change == "delete-ours":
                table = cloud.backend("vpc", ACCOUNT, REGION).tables["vtb-vbr1"]
                victim = rng.choice(sorted(e.id for e in table.entries.values() if e.name.startswith("acrguard:")))
                del table.entries[victim]
                watch.begin()
        for _attempt in range(KEEPER_RUNS):
            runs = functions.scheduled(KEEPER, n)
            n += 1
            if runs[-1].status == "done" and watch.routes() == wanted(eni):
                break
        assert watch.routes() == wanted(eni), f"step {step} ({change}) did not converge in {KEEPER_RUNS} runs"
        removed = watch.removed()
        assert {prefix for _, prefix in removed} <= former, f"step {step} ({change}) removed a wanted route: {removed}"
        assert not {prefix for _, prefix in watch.created()} & former, f"step {step}: a removed address came back"

    cloud.faults.clear()
    settle_alerts(functions, KEEPER, tmp_path / "state.db")
    assert repeated_messages(cloud) == []
    for address in moves:
        assert mentions(cloud, f"+ {address}/32") >= 1, f"the route change to {address} was never told"


def test_keeper_converges_while_route_states_linger(cloud, tmp_path, seed):
    """Entries that stay Pending longer than a run waits: later runs finish the job, doubling and removing nothing.

    The keeper's waiter sleeps on the local cloud's clock, but the clock moves a quarter as fast,
    so one run gives up waiting (a transient failure) and the next one finds entries still settling.
    """
    factory = make_factory(cloud, retry=RetryPolicy(max_attempts=2, base_delay_ms=5, max_delay_ms=20))
    store = SqliteStateStore(tmp_path / "state.db")
    waiter = Waiter(timeout_s=3, interval_s=1, sleep=lambda seconds: cloud.advance(seconds / 4))
    random_faults(cloud, seed)
    eni, former = ENI_START, set()
    try:
        for step, change in enumerate(("none", "move-endpoint")):
            with faults_paused(cloud):
                if change == "move-endpoint":
                    former.add(f"{eni}/32")
                    eni = "192.168.10.150"
                    move_endpoint(cloud, eni)
                watch = RouteWatch(cloud)
            for _run in range(LINGER_RUNS):
                config = make_config(cloud, str(tmp_path / "state.db"), safety=SHORT_HOLD)
                result = run_sweep(config, factory, store, waiter=waiter)
                cloud.advance(0.5)  # time between two runs
                if not result.transient and watch.routes() == wanted(eni):
                    break
            assert watch.routes() == wanted(eni), f"step {step} ({change}) did not converge in {LINGER_RUNS} runs"
            removed = watch.removed()
            assert {prefix for _, prefix in removed} <= former, f"step {step} removed a wanted route: {removed}"
            assert not {prefix for _, prefix in watch.created()} & former, f"step {step}: a removed address came back"
    finally:
        store.close()
