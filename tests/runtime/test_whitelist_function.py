"""The whitelist guard function end to end: FC-shaped invocations, real-format events, the local cloud.

Someone deletes the last whitelist entry by hand (through the SDK); the local ActionTrail turns
that call into the EventBridge event FC would deliver; one invocation restores the ACL and one
chat message names the caller; the duplicate delivery changes nothing and sends nothing. The
function runs as its deployed role, with its state in the documented bucket.
"""

from __future__ import annotations

import json

import pytest
import yaml
from alibabacloud_cr20181201 import models as cr_models

from acrguard.clients import call
from support import ACCOUNT, INSTANCE_ID, REGION, base_world, make_factory
from tests.runtime.helpers import cloud_section, dingtalk_channel, function_world, oss_state, run_function, write_config

ALICE_KEY, ALICE_SECRET = "LTAI5tAliceKey00000001", "alice-secret-0001"
DING = "dingtokenwhitelist0001"
TIMER = json.dumps({"triggerTime": "2026-11-25T10:00:00Z", "triggerName": "sweep",
                    "payload": json.dumps({"job": "whitelist_guard"})}).encode()


@pytest.fixture
def world():
    data = base_world()
    data["accounts"][ACCOUNT]["global"]["ram"]["users"].append(
        {"name": "alice", "access_keys": [{"id": ALICE_KEY, "secret": ALICE_SECRET}],
         "policies": [{"name": "AliyunContainerRegistryFullAccess", "type": "System"}]})
    data["chat"] = {"dingtalk": {DING: {}}}
    return function_world(data)


@pytest.fixture
def config_path(cloud, tmp_path):
    return write_config(tmp_path, {
        "cloud": cloud_section(cloud),
        "instances": [{"name": "test", "instance_id": INSTANCE_ID, "whitelist": {
            "policy": "enforce", "public_endpoint": "enabled",
            "entries": [{"cidr": "198.51.100.0/24", "comment": "office"}],
            "allowed_unmanaged": ["203.0.113.0/24"]}}],
        "alerts": {"channels": [dingtalk_channel(cloud, DING)]},
        "state": oss_state(),
    })


def run(cloud, event: bytes, config_path, request_id: str = "req-1"):
    return run_function(cloud, "whitelist_guard", event, config_path, request_id)


def acl(factory) -> list[str]:
    body = call("cr", "GetInstanceEndpoint", factory.cr().get_instance_endpoint,
                cr_models.GetInstanceEndpointRequest(instance_id=INSTANCE_ID, endpoint_type="internet"))
    return sorted(e.entry for e in body.acl_entries or [])


def test_sweep_then_hand_deletion_is_restored_by_the_event(cloud, factory, config_path):
    """A timer sweep converges; deleting every entry by hand is undone by the event it produces, once."""
    result = run(cloud, TIMER, config_path)
    assert result["status"] == "ok" and result["events"][0]["status"] == "done"
    assert acl(factory) == ["198.51.100.0/24", "203.0.113.0/24"]
    cloud.trail.take()
    alice = make_factory(cloud, ALICE_KEY, ALICE_SECRET)
    for entry in acl(factory):
        call("cr", "DeleteInstanceEndpointAclPolicy", alice.cr().delete_instance_endpoint_acl_policy,
             cr_models.DeleteInstanceEndpointAclPolicyRequest(instance_id=INSTANCE_ID, endpoint_type="internet",
                                                               entry=entry))
    assert acl(factory) == []
    last = cloud.trail.take("DeleteInstanceEndpointAclPolicy")[-1]
    sent_before = len(cloud.chat.accepted("dingtalk"))

    outcome = run(cloud, json.dumps(last).encode(), config_path, "req-2")

    assert outcome["events"][0]["status"] == "done"
    assert "198.51.100.0/24" in acl(factory)
    new = cloud.chat.accepted("dingtalk")[sent_before:]
    assert len(new) == 1
    text = new[0].text
    assert "alice" in text and "critical" in text.lower()

    again = run(cloud, json.dumps(last).encode(), config_path, "req-3")
    assert again["events"][0]["status"] == "duplicate"
    assert len(cloud.chat.accepted("dingtalk")) == sent_before + 1


def test_malformed_event_is_reported_once_and_not_retried(cloud, config_path):
    """Bad input returns normally (no FC retry) and produces one message, not one per delivery."""
    bad = json.dumps({"specversion": "1.0", "id": "evt-bad-1", "source": "acs.cr", "type": 42}).encode()
    first = run(cloud, bad, config_path)
    second = run(cloud, bad, config_path, "req-2")
    assert first["status"] == second["status"] == "bad-input"
    malformed = [m for m in cloud.chat.accepted("dingtalk") if "evt-bad-1" in m.text]
    assert len(malformed) == 1


def test_transient_failure_raises_so_fc_retries(cloud, config_path):
    """Persistent throttling of the ACL read fails the invocation (FC's async retry runs it again)."""
    from acrguard.errors import TransientCloudError

    cloud.inject(action="GetInstanceEndpoint", code="Throttling.User")
    with pytest.raises(TransientCloudError):
        run(cloud, TIMER, config_path)
    cloud.faults.clear()
    assert run(cloud, TIMER, config_path, "req-2")["events"][0]["status"] == "done"


def test_invalid_config_is_reported_not_raised(cloud, tmp_path):
    """An invalid config returns its errors; nothing is retried and nothing crashes."""
    path = tmp_path / "acrguard.yaml"
    path.write_text("instances: [{name: BAD!}]\n", encoding="utf-8")
    result = run(cloud, TIMER, path)
    assert result["status"] == "config-error"
    assert any(e.startswith("instances[0].name") for e in result["errors"])


def test_a_permanent_error_is_reported_without_resolving_what_was_known(cloud, factory, config_path):
    """NoPermission on the ACL read is one finding; the open-ACL finding from before stays firing."""
    alice = make_factory(cloud, ALICE_KEY, ALICE_SECRET)
    for entry in acl(factory):
        call("cr", "DeleteInstanceEndpointAclPolicy", alice.cr().delete_instance_endpoint_acl_policy,
             cr_models.DeleteInstanceEndpointAclPolicyRequest(instance_id=INSTANCE_ID, endpoint_type="internet",
                                                               entry=entry))
    import yaml as _yaml

    data = _yaml.safe_load(config_path.read_text())
    data["instances"][0]["whitelist"]["policy"] = "report"
    config_path.write_text(_yaml.safe_dump(data))
    assert run(cloud, TIMER, config_path)["events"][0]["status"] == "done"
    assert any("open to the whole internet" in m.text for m in cloud.chat.accepted("dingtalk"))
    cloud.inject(action="GetInstanceEndpoint", code="NoPermission", status=403)
    later = json.dumps({"triggerTime": "2026-11-25T10:05:00Z", "triggerName": "sweep",
                        "payload": json.dumps({"job": "whitelist_guard"})}).encode()
    result = run(cloud, later, config_path, "req-2")
    assert result["events"][0]["status"] == "done"
    texts = [m.text for m in cloud.chat.accepted("dingtalk")]
    assert not any("RESOLVED" in t for t in texts)


def test_a_write_cut_short_sends_what_was_done_then_fails_so_fc_retries(cloud, factory, config_path):
    """Two entries to add, the second throttled past the SDK's retries: the first attempt tells the add it made
    and fails the invocation; FC's retry makes the other add, and the first notice is not sent again."""
    from acrguard.errors import TransientCloudError

    data = yaml.safe_load(config_path.read_text())
    data["instances"][0]["whitelist"]["entries"].append({"cidr": "192.0.2.0/24", "comment": "branch"})
    data["alerts"]["channels"][0]["min_severity"] = "info"
    config_path.write_text(yaml.safe_dump(data))
    cloud.inject(action="CreateInstanceEndpointAclPolicy", code="Throttling.User", after=1, times=2)

    with pytest.raises(TransientCloudError):
        run(cloud, TIMER, config_path)
    first = [m.text for m in cloud.chat.accepted("dingtalk")]
    [added] = [e for e in ("198.51.100.0/24", "192.0.2.0/24") if e in acl(factory)]
    assert any("changed the whitelist" in text and added in text for text in first)

    retried = run(cloud, TIMER, config_path, "req-2")
    assert retried["events"][0]["status"] == "done"
    assert {"198.51.100.0/24", "192.0.2.0/24"} <= set(acl(factory))
    later = [m.text for m in cloud.chat.accepted("dingtalk")][len(first):]
    [other] = {"198.51.100.0/24", "192.0.2.0/24"} - {added}
    assert any("changed the whitelist" in text and other in text for text in later)
    assert not any(f"add {added}" in text for text in later)


def test_the_guard_switches_the_endpoint_on_when_it_manages_the_switch(cloud, factory, config_path):
    """With ``manage_endpoint_status`` a disabled public endpoint is switched on, then given its whitelist."""
    instance = cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID]
    instance.internet_enable, instance.acl, instance.enable_delay_s = False, [], 0.0
    data = yaml.safe_load(config_path.read_text())
    data["instances"][0]["whitelist"]["manage_endpoint_status"] = True
    config_path.write_text(yaml.safe_dump(data))

    result = run(cloud, TIMER, config_path)

    assert result["events"][0]["status"] == "done"
    assert cloud.requests.count("cr", "UpdateInstanceEndpointStatus") == 1
    assert instance.internet_enable and "198.51.100.0/24" in acl(factory)
