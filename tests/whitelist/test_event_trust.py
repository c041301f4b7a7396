"""The whitelist function trusts an event only as far as it deserves, end to end through the FC handler.

* An event from a bus or source acrguard does not subscribe to is ignored: no call, no message.
* A forged record naming acrguard's own AccessKey cannot make a finding "resolved": only an
  observation of the live ACL resolves one.
* When the guard restores an open whitelist, its first message says so, and the resolution
  follows the next observation without waiting for the group interval.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest
import yaml

from acrguard.alerts.render import RESOLVED_BADGE
from acrguard.functions import function
from acrguard.runtime.local import invoke, make_context
from support import ACCOUNT, INSTANCE_ID, REGION, ROOT_KEY, ROOT_SECRET, base_world
from tests.whitelist.helpers import live, seed_acl

DING = "dingtokenwhitelisttrust01"
DECLARED = "198.51.100.0/24"
OFFICE = "203.0.113.0/24"
FIXTURE = Path(__file__).parents[1] / "events" / "fixtures" / "cr_acl_delete_apicall.json"
TIMER = json.dumps({"triggerTime": "2026-11-25T10:00:00Z", "triggerName": "sweep",
                    "payload": json.dumps({"job": "whitelist_guard"})}).encode()


@pytest.fixture
def world():
    data = base_world()
    data["chat"] = {"dingtalk": {DING: {}}}
    return data


def config(cloud, tmp_path, policy: str, **alerts) -> Path:
    """The declared CIDR, an allowed office range, one DingTalk channel (``alerts`` overrides its settings).

    acrguard signs with the account's root key here, so "acrguard's own AccessKey id" is ``ROOT_KEY``.
    """
    endpoints = cloud.endpoints()
    data = {
        "cloud": {"region": REGION, "endpoint": endpoints["openapi"], "oss_endpoint": endpoints["oss"],
                  "protocol": "http", "credentials": {"access_key_id": ROOT_KEY, "access_key_secret": ROOT_SECRET},
                  "retry": {"max_attempts": 2, "base_delay_ms": 5, "max_delay_ms": 20}},
        "instances": [{"name": "test", "instance_id": INSTANCE_ID, "whitelist": {
            "policy": policy, "entries": [{"cidr": DECLARED, "comment": "idc"}], "allowed_unmanaged": [OFFICE]}}],
        "alerts": {"channels": [{"name": "ops", "type": "dingtalk",
                                 "url": f"http://{endpoints['chat']}/dingtalk/robot/send?access_token={DING}"}],
                   **alerts},
        "state": {"backend": "sqlite", "path": str(tmp_path / "state.db")},
    }
    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def run_function(job: str, event: bytes, config_path: Path, request_id: str = "req-1"):
    """One FC-shaped invocation of ``job``'s handler with ``event``'s bytes."""
    spec = function(job)
    return invoke(spec, event, make_context(spec, REGION, ACCOUNT, request_id=request_id), config_path)


def forged(event_id: str, **envelope) -> bytes:
    """A record of DeleteInstanceEndpointAclPolicy of DECLARED, signed (it claims) with acrguard's own key."""
    doc = copy.deepcopy(json.loads(FIXTURE.read_text()))
    doc["id"] = event_id
    doc["data"]["eventId"] = event_id
    doc["data"]["userIdentity"] = {"type": "root-account", "accountId": ACCOUNT, "principalId": ACCOUNT,
                                   "accessKeyId": ROOT_KEY}
    doc["data"]["requestParameters"]["Entry"] = DECLARED
    doc.update(envelope)
    return json.dumps(doc).encode()


def texts(cloud) -> list[str]:
    return [m.text for m in cloud.chat.accepted("dingtalk")]


def test_a_forged_record_with_acrguards_own_key_does_not_resolve_a_missing_entry(cloud, tmp_path, instance):
    """Report mode: the declared entry is missing (told once); a record claiming acrguard itself made the change
    leaves the finding firing, and no "resolved" message is sent."""
    seed_acl(instance, [(OFFICE, "office")])
    path = config(cloud, tmp_path, "report", group_interval_s=1, repeat_interval_s=3600)
    first = run_function("whitelist_guard", TIMER, path)
    assert first["events"][0]["alerts"]["new"] == 1 and any(DECLARED in t for t in texts(cloud))
    time.sleep(1.1)  # past the group interval: a resolution would be sent at once

    outcome = run_function("whitelist_guard", forged("forged-own-key-1"), path, "req-2")

    assert outcome["events"][0]["status"] == "done"
    assert outcome["events"][0]["alerts"]["resolved"] == 0
    assert not [t for t in texts(cloud) if RESOLVED_BADGE in t]
    assert live(instance) == [(OFFICE, "office")]  # report mode: nothing written, the entry is still missing


@pytest.mark.parametrize("envelope", [{"aliyuneventbusname": "attacker-bus"}, {"source": "my.forger"}],
                         ids=["other-bus", "other-source"])
def test_an_event_from_an_unsubscribed_bus_or_source_is_ignored(cloud, tmp_path, instance, envelope):
    """The same record from another bus or source is ignored with the reason: no ACR call, no message."""
    seed_acl(instance, [])
    path = config(cloud, tmp_path, "enforce")
    outcome = run_function("whitelist_guard", forged("forged-bus-1", **envelope), path)
    assert outcome["events"][0]["status"] == "ignored"
    assert cloud.requests.count(product="cr") == 0 and texts(cloud) == []
    assert live(instance) == []


def test_a_restored_whitelist_says_so_first_and_resolves_without_the_group_interval(cloud, tmp_path, instance):
    """An emptied whitelist: the first message says it was open and that acrguard restored it, at what time;
    the next run resolves it at once (default group_interval_s of 300 s)."""
    seed_acl(instance, [])
    path = config(cloud, tmp_path, "enforce")
    run_function("whitelist_guard", TIMER, path)
    first = texts(cloud)
    assert "was open to the whole internet — restored by acrguard at" in first[0] and DECLARED in first[0]
    assert not [t for t in first if "is open to the whole internet" in t]  # never told as still open
    assert (DECLARED, "acrguard:test:198.51.100.0_24 idc") in live(instance)

    later = json.dumps({"triggerTime": "2026-11-25T10:05:00Z", "triggerName": "sweep",
                        "payload": json.dumps({"job": "whitelist_guard"})}).encode()
    outcome = run_function("whitelist_guard", later, path, "req-2")

    assert outcome["events"][0]["alerts"]["messages_sent"] == 1
    resolved = texts(cloud)[len(first):]
    assert len(resolved) == 1 and RESOLVED_BADGE in resolved[0] and "open to the whole internet" in resolved[0]
