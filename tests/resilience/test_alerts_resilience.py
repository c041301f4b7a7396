"""Alerts under faults: nothing is lost, nothing is sent twice.

* A change notice that waits for the group interval is still delivered, even when the next run
  changes nothing (a notice is a one-off event: its absence later does not mean it was told).
* A chat robot that fails (5xx, a timeout, a rate limit) gets the owed message on a later run,
  once; the findings of a run that hit cloud faults are the same as without faults.
"""

from __future__ import annotations

import random
import time

import pytest
import yaml

from support import ACCOUNT, INSTANCE_ID, REGION, with_function_roles
from tests.resilience.harness import (
    Functions,
    faults_paused,
    mentions,
    random_faults,
    repeated_messages,
    settle_alerts,
    timer,
)
from tests.resilience.whitelistworld import DECLARED, DING, FOREIGN, whitelist_config, whitelist_world
from tests.routes.keeperworld import config_data, keeper_world

KEEPER = "endpoint_keeper"
WHITELIST = "whitelist_guard"
NEW_ENI = "192.168.10.77"


@pytest.fixture
def world(request):
    """The keeper's world for keeper tests, the whitelist world otherwise; both with the DingTalk robot."""
    if "keeper" in request.node.name:
        data = keeper_world(delay=0)
        data["chat"] = {"dingtalk": {DING: {}}}
        return with_function_roles(data, assumer=False)
    return whitelist_world()


def keeper_functions(cloud, tmp_path) -> Functions:
    """The keeper's config with a one-second group interval and the DingTalk channel."""
    data = config_data(cloud, str(tmp_path / "state.db"))
    data["cloud"].pop("credentials")  # the keeper signs with its role's credentials
    data["alerts"] = {"group_interval_s": 1, "repeat_interval_s": 3600, "channels": [
        {"name": "ops", "type": "dingtalk",
         "url": f"http://{cloud.endpoints()['chat']}/dingtalk/robot/send?access_token={DING}"}]}
    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return Functions(cloud, path)


def test_keeper_change_notice_held_by_the_group_interval_is_delivered_later(cloud, tmp_path):
    """A route change made within the group interval of the last notice reaches chat after the interval."""
    functions = keeper_functions(cloud, tmp_path)
    assert functions.deliver(KEEPER, timer(KEEPER, 0)).status == "done"
    assert mentions(cloud, "routes.changed") == 1
    cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].linked_vpcs[0].ip = NEW_ENI
    cloud.dns.set(f"testreg-registry-vpc.{REGION}.cr.aliyuncs.com", [NEW_ENI])

    changed = functions.deliver(KEEPER, timer(KEEPER, 1))  # routes NEW_ENI: its notice waits for the interval
    quiet = functions.deliver(KEEPER, timer(KEEPER, 2))  # changes nothing
    time.sleep(1.05)
    later = functions.deliver(KEEPER, timer(KEEPER, 3))

    assert changed.result["events"][0]["changes"] and not quiet.result["events"][0]["changes"]
    assert later.status == "done"
    assert mentions(cloud, NEW_ENI) == 1, "the notice of the new route was never delivered"
    assert repeated_messages(cloud) == []


def test_whitelist_chat_outages_lose_and_repeat_nothing(cloud, tmp_path, seed):
    """Robot failures (5xx, slow answers) and cloud faults at seeded moments delay messages, never lose them."""
    rng = random.Random(seed)
    functions = Functions(cloud, whitelist_config(cloud, tmp_path))
    instance = cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID]
    random_faults(cloud, seed)
    for n in range(5):
        if rng.random() < 0.6:
            cloud.chat.fail("dingtalk", status=rng.choice([500, 503]), times=rng.randint(1, 2))
        if rng.random() < 0.2:
            cloud.chat.fail("dingtalk", status=503, delay_s=0.3, times=1)  # a slow failure
        with faults_paused(cloud):
            if n in (1, 3):  # someone deletes the declared entry: a finding, restored in the same run
                instance.acl = [e for e in instance.acl if e.entry != DECLARED]
        assert functions.deliver(WHITELIST, timer(WHITELIST, n)).status == "done"
        time.sleep(rng.choice([0, 0.2, 0.5]))  # within or past the one-second group interval, in sum
    cloud.faults.clear()
    cloud.chat.clear_failures()
    settle_alerts(functions, WHITELIST, tmp_path / "state.db")
    assert mentions(cloud, FOREIGN) == 1
    assert mentions(cloud, f"Declared entry {DECLARED} is missing") >= 1  # delayed by the failures, not lost
    assert repeated_messages(cloud) == []


class SteppingClock:
    """A clock that moves only when slept on (the alert pipeline's waits cost no real time)."""

    def __init__(self, start: float) -> None:
        self.moment = start

    def now(self) -> float:
        """The current moment."""
        return self.moment

    def sleep(self, seconds: float) -> None:
        """Move forward by ``seconds``."""
        self.moment += max(seconds, 0.0)


def test_a_run_that_died_while_delivering_delays_messages_until_its_lease_expires(cloud, tmp_path):
    """A delivery claim left by a dead run makes others wait, then leave the message owed, then send it once."""
    from acrguard.alerts import state as alert_state
    from acrguard.alerts.pipeline import DELIVERY_LEASE_S, AlertPipeline
    from acrguard.config.alerts import AlertsConfig
    from acrguard.findings import Finding, Severity
    from acrguard.state.sqlite import SqliteStateStore
    from tests.resilience.harness import chat_channel

    store = SqliteStateStore(tmp_path / "state.db")
    clock = SteppingClock(time.time())
    config = AlertsConfig.model_validate({"channels": [chat_channel(cloud, DING)]})
    alert_state.AlertRecords(store, ()).take_delivery("dead-run", clock.now(), DELIVERY_LEASE_S)
    finding = Finding("whitelist.unmanaged", Severity.MEDIUM, INSTANCE_ID, f"Whitelist entry {FOREIGN} is unmanaged",
                      scope=INSTANCE_ID, job=WHITELIST)

    blocked = AlertPipeline(config, store, clock=clock).process(WHITELIST, [finding], {INSTANCE_ID})
    assert blocked.deliveries == [] and mentions(cloud, FOREIGN) == 0  # waited, then left it owed

    clock.sleep(DELIVERY_LEASE_S)
    later = AlertPipeline(config, store, clock=clock).process(WHITELIST, [finding], {INSTANCE_ID})
    assert [d.delivered for d in later.deliveries] == [True] and mentions(cloud, FOREIGN) == 1
    assert "delivering" not in alert_state.read_section(store)  # released after the run
    store.close()
