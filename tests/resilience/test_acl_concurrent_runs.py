"""Two whitelist guard runs at once, each wanting the address the other removes, never empty the whitelist.

Reserved concurrency 1 is lost; a round-robin hostname answers each run with a different address
(X for one, Y for the other); both runs read the whitelist (X and Y, both acrguard's) before
either writes, and each plans to remove the other's address. The removals are slow to land, so
without a guard both are in flight at once and the whitelist ends empty while the endpoint is
enabled. ``AclWatch`` replays every write the cloud carried out and checks the whitelist after
each one. Both runs sign as the guard's deployed role, with the credentials FC hands it.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from acrguard.config import load_config_data
from acrguard.functions import function
from acrguard.runtime.handler import run_job
from acrguard.runtime.local import make_context
from acrguard.whitelist.marker import make_comment
from support import ACCOUNT, INSTANCE_ID, REGION, base_world, fc_credentials, with_function_roles
from tests.resilience.harness import AclWatch, all_at_once, by_function, timer

WHITELIST = "whitelist_guard"
HOST = "idc-egress.example.test"
X, Y = "47.96.0.7", "47.96.0.8"  # a hostname's answers: public addresses


@pytest.fixture
def world() -> dict[str, Any]:
    """The instance's whitelist holds both addresses of the round-robin host, marked as acrguard's."""
    data = base_world()
    instance = data["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"][0]
    comment = make_comment(instance["name"], HOST)
    instance["internet"] = {"enable": True, "entries": [{"entry": f"{X}/32", "comment": comment},
                                                         {"entry": f"{Y}/32", "comment": comment}]}
    return with_function_roles(data, assumer=False)


def config(cloud: Any, tmp_path: Any) -> Any:
    """The guard in enforce, holding the host only (one DNS query per run), both runs on one state file."""
    endpoints = cloud.endpoints()
    dns_host, dns_port = endpoints["dns"].rsplit(":", 1)
    instance = cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID]
    return load_config_data({
        "cloud": {"region": REGION, "endpoint": endpoints["openapi"], "oss_endpoint": endpoints["oss"],
                  "protocol": "http",
                  "retry": {"max_attempts": 2, "base_delay_ms": 5, "max_delay_ms": 20}},
        "instances": [{"name": instance.name, "instance_id": INSTANCE_ID, "whitelist": {
            "policy": "enforce", "entries": [{"host": HOST}], "nameservers": [dns_host], "dns_port": int(dns_port),
            "queries_per_name": 1, "dns_timeout_s": 0.5}}],
        "safety": {"hold_runs": 1, "hold_hours": 0},
        "state": {"backend": "sqlite", "path": str(tmp_path / "state.db")},
    })


def at_once(cloud: Any, config: Any, events: list[bytes]) -> list[Any]:
    """One whitelist guard invocation per event, as the guard's role, all started together; each result or what
    it raised."""
    spec = function(WHITELIST)
    contexts = [make_context(spec, REGION, ACCOUNT, credentials=fc_credentials(cloud, WHITELIST),
                             request_id=f"req-{index}") for index in range(len(events))]
    return all_at_once([functools.partial(run_job, WHITELIST, event, context, config=config)
                        for event, context in zip(events, contexts, strict=True)])


def test_two_runs_removing_each_others_address_never_empty_the_whitelist(cloud, tmp_path):
    """Each run wants a different address and removes the other; one removal lands, the other run re-reads,
    finds no address it wants, and removes nothing: the whitelist is never empty and keeps one address."""
    cloud.dns.set(HOST, [X, Y], rotate=True)
    # both runs read before either removal lands: each removal takes 400 ms to be carried out
    cloud.inject(action="DeleteInstanceEndpointAclPolicy", latency_ms=400, times=2)
    watch = AclWatch(cloud)

    outcomes = at_once(cloud, config(cloud, tmp_path), [timer(WHITELIST, 0), timer(WHITELIST, 1)])

    assert all(isinstance(o, dict) and o["events"][0]["status"] == "done" for o in outcomes), outcomes
    assert all(by_function(cloud, r) for r in cloud.requests.all()), "a call not signed by the guard's role"
    assert cloud.requests.all(), "no call made"
    assert cloud.dns.queries.count(HOST + ".") == 2  # one answer each: X for one run, Y for the other
    # a run that read the whitelist after the other's removal would have added its own address back:
    # no add means both planned from the whitelist holding X and Y
    assert cloud.requests.count(action="CreateInstanceEndpointAclPolicy") == 0
    watch.check()
    assert watch.emptied() == [], f"the whitelist was empty after {watch.emptied()[0]}"
    assert len(watch.live()) == 1 and watch.live() <= {f"{X}/32", f"{Y}/32"}
    removals = [c for o in outcomes for c in o["events"][0]["changes"] if "DeleteInstanceEndpointAclPolicy" in c]
    assert len(removals) == 1
