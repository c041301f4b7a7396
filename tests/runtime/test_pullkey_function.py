"""The pull-key auditor function end to end: a full audit, then a RAM event re-audits one user.

The function runs as its deployed role, with its state in the documented bucket.
"""

from __future__ import annotations

import json

import pytest
from alibabacloud_ram20150501 import models as ram_models

from acrguard.clients import call
from support import ACCOUNT, base_world
from tests.runtime.helpers import (
    BUCKET,
    cloud_section,
    dingtalk_channel,
    function_world,
    oss_state,
    run_function,
    write_config,
)

PULL_KEY, PULL_SECRET = "LTAI5tPullerKey0000001", "puller-secret-0001"
CLUSTER_B_KEY = "LTAI5tClusterB00000001"
CONFIGMAP = "configmaps/prod/acr-configuration.yaml"
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
    # a second cluster's puller holds acr-pull through a group
    ram["groups"] = [{"name": "pullers", "policies": [{"name": "acr-pull", "type": "Custom"}]}]
    ram["users"].append({"name": "cluster-b", "groups": ["pullers"],
                         "access_keys": [{"id": CLUSTER_B_KEY, "secret": "cluster-b-secret-0001",
                                          "create_date": "2026-11-01T00:00:00Z",
                                          "last_used": "2026-11-24T00:00:00Z"}]})
    data["chat"] = {"dingtalk": {DING: {}}}
    return function_world(data)


@pytest.fixture
def config_path(cloud, tmp_path):
    return write_config(tmp_path, {
        "cloud": cloud_section(cloud),
        "pull_keys": {"users": ["ack-puller"], "discover": False, "max_key_age_days": 365},
        "alerts": {"channels": [dingtalk_channel(cloud, DING)]},
        "state": oss_state(),
    })


def run(cloud, event: bytes, config_path, request_id: str = "req-1"):
    return run_function(cloud, "pullkey_auditor", event, config_path, request_id)


def test_full_access_granted_to_a_pull_user_is_a_high_finding_with_the_fix(cloud, factory, config_path):
    """A clean audit sends nothing; attaching AliyunContainerRegistryFullAccess is found from its event."""
    first = run(cloud, TIMER, config_path)
    assert first["events"][0]["status"] == "done"
    assert cloud.chat.accepted("dingtalk") == []
    call("ram", "AttachPolicyToUser", factory.ram().attach_policy_to_user, ram_models.AttachPolicyToUserRequest(
        policy_name="AliyunContainerRegistryFullAccess", policy_type="System", user_name="ack-puller"))
    (event,) = cloud.trail.take("AttachPolicyToUser")
    assert event["data"]["serviceName"] == "Ims"
    before = cloud.requests.last_seq()

    outcome = run(cloud, json.dumps(event).encode(), config_path, "req-2")

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
    result = run(cloud, TIMER, config_path)
    assert result["status"] == "ok"
    texts = " ".join(m.text for m in cloud.chat.accepted("dingtalk"))
    assert "NoPermission" in texts
    assert "RAM" in texts or "permission" in texts.lower()


def refused(cloud) -> list[str]:
    """Every request the cloud refused (RAM authorization)."""
    return [f"{r.product}:{r.action}" for r in cloud.requests.filter(since=0) if r.status == 403]


def test_a_policy_version_event_re_audits_every_holder_of_the_policy(cloud, factory, config_path):
    """A new default version of acr-pull re-judges the users holding it, directly and through a group."""
    call("ram", "CreatePolicyVersion", factory.ram().create_policy_version, ram_models.CreatePolicyVersionRequest(
        policy_name="acr-pull", set_as_default=True, policy_document=json.dumps(
            {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "cr:*", "Resource": "*"}]})))
    (event,) = cloud.trail.take("CreatePolicyVersion")
    before = cloud.requests.last_seq()

    outcome = run(cloud, json.dumps(event).encode(), config_path)

    assert outcome["events"][0]["status"] == "done"
    read = {r.action for r in cloud.requests.filter(product="ram", since=before)}
    assert {"ListEntitiesForPolicy", "ListUsersForGroup"} <= read
    assert refused(cloud) == []
    assert any("ack-puller" in m.text and "HIGH" in m.text.upper() for m in cloud.chat.accepted("dingtalk"))


def test_discovery_and_a_configmap_in_the_bucket_are_read_as_the_role(cloud, factory, tmp_path):
    """A full audit that discovers pull users and reads the cluster's ConfigMap from the bucket's configmaps/ folder."""
    import alibabacloud_oss_v2 as oss

    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: acr-configuration\n  namespace: kube-system\n"
            "data:\n  acr-registry-info: |\n    - instanceId: \"cri-test0000000000001\"\n"
            f"      customAccessKey: \"{PULL_KEY}\"\n      customAccessKeySecret: \"{PULL_SECRET}\"\n")
    factory.oss().put_object(oss.PutObjectRequest(bucket=BUCKET, key=CONFIGMAP, body=text.encode()))
    path = write_config(tmp_path, {
        "cloud": cloud_section(cloud),
        "pull_keys": {"discover": True, "max_key_age_days": 365,
                      "configmaps": [{"oss": f"oss://{BUCKET}/{CONFIGMAP}", "cluster": "prod"}]},
        "alerts": {"channels": [dingtalk_channel(cloud, DING)]},
        "state": oss_state(),
    })
    before = cloud.requests.last_seq()

    result = run(cloud, TIMER, path)

    assert result["events"][0]["status"] == "done"
    read = [r for r in cloud.requests.filter(product="oss", action="GetObject", since=before)
            if r.params.get("Key") == CONFIGMAP]
    assert read and all(r.status == 200 for r in read)
    assert {"ListUsers", "ListPoliciesForGroup"} <= {r.action for r in cloud.requests.filter(product="ram",
                                                                                           since=before)}
    assert refused(cloud) == []


#: one RAM call of each other kind of event the auditor follows, made by an administrator (as ``(API, request)``)
OTHER_EVENTS = {
    "AttachPolicyToGroup": lambda: ram_models.AttachPolicyToGroupRequest(
        policy_name="AliyunContainerRegistryFullAccess", policy_type="System", group_name="pullers"),
    "AddUserToGroup": lambda: ram_models.AddUserToGroupRequest(user_name="ack-puller", group_name="pullers"),
    "CreateAccessKey": lambda: ram_models.CreateAccessKeyRequest(user_name="cluster-b"),
    "CreateLoginProfile": lambda: ram_models.CreateLoginProfileRequest(user_name="ack-puller", password="Pa55w0rd!x"),
}


@pytest.mark.parametrize("api", sorted(OTHER_EVENTS))
def test_every_other_kind_of_ram_event_is_handled_as_the_role(cloud, factory, config_path, api):
    """Group policies, group membership, AccessKeys and console logins: each event is handled, nothing refused."""
    method = "".join("_" + c.lower() if c.isupper() else c for c in api).lstrip("_")
    call("ram", api, getattr(factory.ram(), method), OTHER_EVENTS[api]())
    (event,) = cloud.trail.take(api)

    outcome = run(cloud, json.dumps(event).encode(), config_path)

    assert outcome["events"][0]["status"] == "done"
    assert refused(cloud) == []
