"""DNS failures (timeout, SERVFAIL, NXDOMAIN, empty answer, an answer for another name) delete nothing.

With the shortest hold (one run, no hours), any failure read as "the address is gone" would
remove a whitelist entry or a route at once. Each failure mode lasts a seeded number of runs,
for one name or as an outage of the whole resolver: nothing is deleted, the problem is reported
in one chat message however many runs see it, and the runs after the outage change nothing.
"""

from __future__ import annotations

import random

import pytest

from localcloud.core.dns_zone import FAILURE_MODES
from tests.resilience.harness import AclWatch, Functions, RouteWatch, chat_texts, timer, write_calls
from tests.resilience.keeperworld import ENI_START, routes_config, routes_world, wanted
from tests.resilience.whitelistworld import HOST, desired_acl, whitelist_config, whitelist_world
from tests.routes.keeperworld import AUTH_HOST, OSS_DOMAIN

WHITELIST = "whitelist_guard"
KEEPER = "endpoint_keeper"


@pytest.fixture
def world(request):
    """The whitelist world, or the keeper's for the keeper tests."""
    return routes_world() if "keeper" in request.function.__name__ else whitelist_world()


def fail_dns(cloud, names: list[str], mode: str, rng: random.Random) -> None:
    """Make ``names`` fail in ``mode``: each name alone, or (seeded) the whole resolver."""
    if rng.random() < 0.3:
        cloud.dns.set_outage(mode)
    else:
        for name in names:
            cloud.dns.fail(name, mode)


def heal_dns(cloud, names: list[str]) -> None:
    """End every DNS failure."""
    cloud.dns.set_outage(None)
    for name in names:
        cloud.dns.fail(name, None)


def messages_since(cloud, count: int) -> list[str]:
    """Accepted messages after the first ``count``."""
    return chat_texts(cloud)[count:]


@pytest.mark.parametrize("mode", FAILURE_MODES)
def test_whitelist_keeps_hostname_entries_through_dns_failures(cloud, tmp_path, mode, seed):
    """The hostname's entry stays through every failing run; one message names the hostname."""
    rng = random.Random(seed)
    functions = Functions(cloud, whitelist_config(cloud, tmp_path))
    assert functions.deliver(WHITELIST, timer(WHITELIST, 0)).status == "done"
    watch = AclWatch(cloud)
    sent = len(chat_texts(cloud))
    fail_dns(cloud, [HOST], mode, rng)

    for n in range(1, 2 + rng.randint(1, 3)):
        assert functions.deliver(WHITELIST, timer(WHITELIST, n)).status == "done"

    watch.check()
    assert [s for s in watch.states if s.action == "DeleteInstanceEndpointAclPolicy"] == []
    assert watch.live() == desired_acl()
    told = [text for text in messages_since(cloud, sent) if HOST in text]
    assert len(told) == 1, f"{mode}: the hostname's trouble was told {len(told)} times"
    mark = cloud.requests.last_seq()
    heal_dns(cloud, [HOST])
    assert functions.deliver(WHITELIST, timer(WHITELIST, 9)).status == "done"
    assert write_calls(cloud, mark) == []  # nothing to repair after the outage


@pytest.mark.parametrize("mode", FAILURE_MODES)
def test_keeper_keeps_routes_through_dns_failures(cloud, tmp_path, mode, seed):
    """The auth and OSS routes stay on every target through every failing run; one message reports it."""
    rng = random.Random(seed)
    functions = Functions(cloud, routes_config(cloud, tmp_path, dns_timeout_s=0.2))
    assert functions.deliver(KEEPER, timer(KEEPER, 0)).status == "done"
    watch = RouteWatch(cloud)
    sent = len(chat_texts(cloud))
    names = [AUTH_HOST, OSS_DOMAIN.lower()]
    fail_dns(cloud, names, mode, rng)

    for n in range(1, 2 + rng.randint(1, 2)):
        assert functions.deliver(KEEPER, timer(KEEPER, n)).status == "done"

    assert watch.removed() == []
    assert watch.routes() == wanted(ENI_START)
    told = [text for text in messages_since(cloud, sent) if AUTH_HOST in text]
    assert len(told) == 1, f"{mode}: the DNS trouble was told {len(told)} times: {told}"
    heal_dns(cloud, names)
    mark = cloud.requests.last_seq()
    assert functions.deliver(KEEPER, timer(KEEPER, 9)).status == "done"
    assert watch.routes() == wanted(ENI_START) and write_calls(cloud, mark) == []
