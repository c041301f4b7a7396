"""The pull-key auditor function end to end: a full audit, then a RAM event re-audits one user."""

from __future__ import annotations

import json

import pytest
from alibabacloud_ram20150501 import models as ram_models

from acrguard.clients import call
from support import ACCOUNT, base_world
from tests.runtime.helpers import cloud_section, dingtalk_channel, run_function, write_config

PULL_KEY, PULL_SECRET = "LTAI5tPullerKey0000001", "puller-secret-0001"
DING = "dingtokenauditor000001"
TIMER = json.dumps({"triggerTime": "2026-11-25T02:00:00Z", "triggerName": "daily-audit",
                    "payload": json.dumps({"job": "pullkey_auditor"})}).encode()


@pytest.fixture
def world():
    data = base_world()
    ram = data["accounts"][ACCOUNT]["global"]["ram"]
    ram["users"].append({"name": "ack-puller", "policies": [{"name": "acr-pull", "type": "Custom"}],
                         "access_keys": [{"id": PULL_KEY, "secret": PULL_SECRET,
                                          "create_date": "2026-11-01T00:00:00Z",
                                          "last_used": "2026-11-24T00:00:00Z"}]})
    data["chat"] = {"dingtalk": {DING: {}}}
    return data


@pytest.fixture
def config_path(cloud, tmp_path):
    return write_config(tmp_path, {
        "cloud": cloud_section(cloud),
        "pull_keys": {"users": ["ack-puller"], "discover": False, "max_key_age_days": 365},
        "alerts": {"channels": [dingtalk_channel(cloud, DING)]},
        "state": {"path": str(tmp_path / "state.db")},
    })


def run(event: bytes, config_path, request_id: str = "req-1"):
    return run_function("pullkey_auditor", event, config_path, request_id)


def test_full_access_granted_to_a_pull_user_is_a_high_finding_with_the_fix(cloud, factory, config_path):
    """A clean audit sends nothing; attaching AliyunContainerRegistryFullAccess is found from its event."""
    first = run(TIMER, config_path)
    assert first["events"][0]["status"] == "done"
    assert cloud.chat.accepted("dingtalk") == []
    call("ram", "AttachPolicyToUser", factory.ram().attach_policy_to_user, ram_models.AttachPolicyToUserRequest(
        policy_name="AliyunContainerRegistryFullAccess", policy_type="System", user_name="ack-puller"))
    (event,) = cloud.trail.take("AttachPolicyToUser")
    assert event["data"]["serviceName"] == "Ims"
    before = cloud.requests.last_seq()

    outcome = run(json.dumps(event).encode(), config_path, "req-2")

    assert outcome["events"][0]["status"] == "done"
    calls = {r.params.get("UserName") for r in cloud.requests.filter(product="ram", since=before)
             if "UserName" in r.params}
    assert calls == {"ack-puller"}  # only the touched user is read again
    (message,) = cloud.chat.accepted("dingtalk")
    text = message.text
    assert "HIGH" in text.upper() and "ack-puller" in text
    assert "AliyunContainerRegistryFullAccess" in text
    assert "DetachPolicyFromUser" in text  # the exact detach step
    assert PULL_SECRET not in text and PULL_KEY not in text


def test_a_permission_error_is_reported_with_the_fix_and_not_retried(cloud, config_path):
    """RAM answering NoPermission is a finding telling what to grant; the invocation returns (no FC retry)."""
    cloud.inject(product="ram", code="NoPermission", status=403,
                 message="You are not authorized to do this action. Resource: acs:ram:*:*:user/*")
    result = run(TIMER, config_path)
    assert result["status"] == "ok"
    texts = " ".join(m.text for m in cloud.chat.accepted("dingtalk"))
    assert "NoPermission" in texts
    assert "RAM" in texts or "permission" in texts.lower()
