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

from support import ACCOUNT, INSTANCE_ID, REGION
from tests.resilience.harness import (
    Functions,
    faults_paused,
    mentions,
    random_faults,
    repeated_messages,
    settle_alerts,
    timer,
)
from tests.resilience.whitelistworld import DING, FOREIGN, whitelist_config, whitelist_world
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
        return data
    return whitelist_world()


def keeper_functions(cloud, tmp_path) -> Functions:
    """The keeper's config with a one-second group interval and the DingTalk channel."""
    data = config_data(cloud, str(tmp_path / "state.db"))
    data["alerts"] = {"group_interval_s": 1, "repeat_interval_s": 3600, "channels": [
        {"name": "ops", "type": "dingtalk",
         "url": f"http://{cloud.endpoints()['chat']}/dingtalk/robot/send?access_token={DING}"}]}
    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return Functions(path)


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
    """Robot failures at seeded moments (5xx, slow answers) and cloud faults delay messages, never lose or repeat them."""
    rng = random.Random(seed)
    functions = Functions(whitelist_config(cloud, tmp_path))
    instance = cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID]
    random_faults(cloud, seed)
    deleted = []
    for n in range(6):
        if rng.random() < 0.6:
            cloud.chat.fail("dingtalk", status=rng.choice([500, 503]), times=rng.randint(1, 2))
        if rng.random() < 0.2:
            cloud.chat.fail("dingtalk", status=503, delay_s=1.2, times=1)  # past the channel's timeout
        with faults_paused(cloud):
            if n in (1, 4):
                target = "198.51.100.0/24"
                instance.acl = [e for e in instance.acl if e.entry != target]
                deleted.append(target)
        assert functions.deliver(WHITELIST, timer(WHITELIST, n)).status == "done"
        time.sleep(rng.choice([0, 0.3, 1.05]))
    cloud.faults.clear()
    cloud.chat.clear_failures()
    settle_alerts(functions, WHITELIST, tmp_path / "state.db")
    assert mentions(cloud, FOREIGN) == 1
    assert repeated_messages(cloud) == []
