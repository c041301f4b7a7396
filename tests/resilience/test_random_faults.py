"""Random cloud faults across repeated sweeps: every job converges, removes nothing wanted, alerts once.

The fault mix of issue 8 (5% ``Throttling.User``, 2% ``ServiceUnavailable``, dropped connections
and read timeouts) hits every API call of the functions, seeded. Between sweeps the world changes
(an entry deleted by hand, the hostname moving, someone adding their own entry); each sweep must
finish within FC's retries and leave the cloud as declared.
"""

from __future__ import annotations

import random

import pytest

from localcloud.products.cr import AclEntry
from support import ACCOUNT, INSTANCE_ID, REGION
from tests.resilience.harness import (
    FC_ATTEMPTS,
    AclWatch,
    Functions,
    faults_paused,
    mentions,
    random_faults,
    repeated_messages,
    settle_alerts,
    timer,
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

SWEEPS = 8
WHITELIST = "whitelist_guard"


@pytest.fixture
def world():
    """The whitelist world (the pull-key and keeper tests below override nothing else)."""
    return whitelist_world()


def test_whitelist_guard_converges_under_random_faults(cloud, tmp_path, seed):
    """Every sweep ends with the declared whitelist; it is never empty, nothing wanted is removed, alerts once."""
    rng = random.Random(seed)
    functions = Functions(whitelist_config(cloud, tmp_path))
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
                host_ips = (f"198.18.7.{20 + n}",)
                cloud.dns.set(HOST, list(host_ips))
            elif change == "someone-adds":
                others.append(f"203.0.113.{16 * n}/28")  # inside the allowed range: theirs to keep
                instance.acl.append(AclEntry(others[-1], "theirs"))
            watch.resync()
        if n == chat_outage:
            cloud.chat.fail("dingtalk", status=503, times=1)

        delivery = functions.deliver(WHITELIST, timer(WHITELIST, n))

        assert delivery.status == "done", f"sweep {n} ({change}) did not finish in {FC_ATTEMPTS} attempts: " \
                                          f"{delivery.errors}"
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
