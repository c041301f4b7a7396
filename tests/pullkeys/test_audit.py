"""The pull-key audit: verdicts per identity, run-level findings, and event re-audits that read only what they touch."""

from __future__ import annotations

import json
from typing import Any

from acrguard.config.pullkeys import ConfigMapSource, PullKeysConfig
from acrguard.findings import Actor, Severity
from acrguard.policy.verdict import Verdict
from acrguard.pullkeys.audit import EventFacts, PullKeyAuditor
from acrguard.pullkeys.keys import RULE_CONSOLE, RULE_KEY_AGE
from pullkeys.pullworld import CR_ALL, KEYS, ram_actions, ram_call
from support import INSTANCE_ID

#: The reads an event re-audit of one pull user may make, and nothing else.
USER_READS = {"ListAccessKeys", "ListPoliciesForUser", "ListGroupsForUser", "ListPoliciesForGroup",
              "GetPolicyVersion", "GetPolicy", "GetAccessKeyLastUsed", "GetLoginProfile"}


def auditor(cloud, factory, **settings: Any) -> PullKeyAuditor:
    """An auditor on the local cloud's clock, for instance INSTANCE_ID."""
    return PullKeyAuditor(factory, PullKeysConfig(**settings), instance_ids=[INSTANCE_ID],
                          now=cloud.clock.utcnow)


def verdicts(result) -> dict[str, str]:
    """``{user: verdict}``."""
    return {i.user_name: i.verdict.value for i in result.identities}


def test_full_audit_judges_every_discovered_pull_user(cloud, factory):
    """Discovery finds the pull users and each gets the engine's verdict, hygiene turning PASS into WARN."""
    result = auditor(cloud, factory, discover=True).full_audit()
    assert verdicts(result) == {"ack-puller": "PASS", "wide-puller": "FAIL", "reader": "WARN",
                                "group-admin": "FAIL", "stale": "WARN"}
    assert result.verdict is Verdict.FAIL and result.exit_code == 2
    stale = next(i for i in result.identities if i.user_name == "stale")
    assert stale.policy_verdict is not None and stale.policy_verdict.verdict is Verdict.PASS
    assert {RULE_KEY_AGE, RULE_CONSOLE} <= {f.rule for f in stale.findings}


def test_group_attached_excess_names_the_group(cloud, factory):
    """group-admin's finding says the policy came through group ops, with its version and statement."""
    result = auditor(cloud, factory, users=("group-admin",), discover=False).full_audit()
    (identity,) = result.identities
    excess = [f for f in identity.findings if f.rule == "pullkey.excess-permissions"]
    assert excess and excess[0].labels["attachment"] == "group:ops"
    assert excess[0].labels["policy"] == "AliyunContainerRegistryFullAccess"
    assert excess[0].labels["policy_version"] == "v1" and excess[0].severity is Severity.HIGH
    fix = identity.policy_verdict.fix.text()
    assert "RemoveUserFromGroup --UserName group-admin --GroupName ops" in fix
    assert "DetachPolicyFromGroup --PolicyType System --PolicyName AliyunContainerRegistryFullAccess" in fix


def test_each_policy_version_is_read_once_in_a_full_audit(cloud, factory):
    """A full audit reads each distinct (policy, type, version) document exactly once."""
    since = cloud.requests.last_seq()
    result = auditor(cloud, factory, discover=True).full_audit()
    reads = [(p["PolicyName"], p["PolicyType"], p["VersionId"]) for action, p in ram_actions(cloud, since)
             if action == "GetPolicyVersion"]
    assert len(reads) == len(set(reads))
    in_force = {(n, t, v) for i in result.identities for n, t, v, _ in i.policies}
    assert in_force <= set(reads)
    assert cloud.requests.count("ram", "GetPolicy", since=since) == 0


def test_configured_missing_user_is_a_warning(cloud, factory):
    """A configured user RAM does not know is a WARN with a user-not-found finding."""
    result = auditor(cloud, factory, users=("ghost", "ack-puller"), discover=False).full_audit()
    assert verdicts(result) == {"ghost": "WARN", "ack-puller": "PASS"}
    assert result.exit_code == 1


def test_configmap_keys_and_unowned_keys(cloud, factory, tmp_path):
    """A ConfigMap key is audited as its owner; a key nobody owns is a run-level finding; nothing leaks."""
    path = tmp_path / "cm.yaml"
    path.write_text("data:\n  acr-registry-info: |\n"
                    f"    - instanceId: {INSTANCE_ID}\n      customAccessKey: {KEYS['ack-puller']}\n"
                    "      customAccessKeySecret: top-secret-1\n"
                    f"    - instanceId: {INSTANCE_ID}\n      customAccessKey: LTAI5tNobodyOwnsThis01\n"
                    "      customAccessKeySecret: top-secret-2\n", encoding="utf-8")
    result = auditor(cloud, factory, configmaps=(ConfigMapSource(path=str(path), cluster="prod"),),
                     discover=False).full_audit()
    assert verdicts(result) == {"ack-puller": "PASS"}
    assert result.identities[0].origins == ("configmap:prod#0",)
    assert [f.rule for f in result.findings] == ["pullkey.key-not-found"]
    assert result.exit_code == 1
    text = json.dumps(result.to_dict())
    assert "top-secret" not in text and KEYS["ack-puller"] not in text and "LTAI5tNobodyOwnsThis01" not in text


def test_unparsable_configmap_is_a_finding(cloud, factory, tmp_path):
    """A ConfigMap that does not parse gives a configmap-invalid finding pointing at the lint command."""
    path = tmp_path / "cm.yaml"
    path.write_text("data:\n  acr-registry-info: |\n  - instanceId: cri-x\n", encoding="utf-8")
    result = auditor(cloud, factory, configmaps=(ConfigMapSource(path=str(path)),), discover=False).full_audit()
    (finding,) = result.findings
    assert finding.rule == "pullkey.configmap-invalid" and "configmap lint" in finding.fix


# -- event re-audits ---------------------------------------------------------------------------

def test_user_event_reaudits_only_that_user(cloud, factory):
    """AttachPolicyToUser on a pull user re-reads only that user and re-judges it (FAIL now)."""
    ram_call(factory, "AttachPolicyToUser", policy_name="AdministratorAccess", policy_type="System",
             user_name="ack-puller")
    since = cloud.requests.last_seq()
    actor = Actor("ram-user:mallory", event_name="AttachPolicyToUser", event_id="evt-1")
    result = auditor(cloud, factory, users=("ack-puller",), discover=True).reaudit(
        EventFacts("AttachPolicyToUser", user_name="ack-puller", policy_name="AdministratorAccess",
                   policy_type="System", actor=actor))
    assert verdicts(result) == {"ack-puller": "FAIL"}
    assert all(f.actor == actor for f in result.identities[0].findings)
    calls = ram_actions(cloud, since)
    assert {action for action, _ in calls} <= USER_READS
    assert all(p.get("UserName") in (None, "ack-puller") for _, p in calls)
    assert sorted(action for action, _ in calls) == sorted([
        "ListAccessKeys", "ListPoliciesForUser", "ListGroupsForUser", "ListPoliciesForGroup",
        "GetPolicyVersion", "GetPolicyVersion", "GetAccessKeyLastUsed", "GetLoginProfile"])


def test_event_on_a_user_without_a_pull_key_judges_nobody(cloud, factory):
    """alice holds no pull permission: her event reads her keys and policies, then stops."""
    since = cloud.requests.last_seq()
    result = auditor(cloud, factory, discover=True).reaudit(EventFacts("CreateAccessKey", user_name="alice"))
    assert result.identities == () and result.exit_code == 0
    actions = {action for action, _ in ram_actions(cloud, since)}
    assert "GetLoginProfile" not in actions and "ListUsers" not in actions


def test_event_on_an_unconfigured_user_without_discovery_makes_no_call(cloud, factory):
    """With discovery off and no ConfigMap, only configured users can be pull users: no RAM read is needed."""
    since = cloud.requests.last_seq()
    result = auditor(cloud, factory, users=("ack-puller",), discover=False).reaudit(
        EventFacts("AttachPolicyToUser", user_name="wide-puller"))
    assert result.identities == () and ram_actions(cloud, since) == []


def test_group_event_reaudits_the_group_members(cloud, factory):
    """AttachPolicyToGroup touches every member of the group, found with ListUsersForGroup."""
    ram_call(factory, "AddUserToGroup", user_name="reader", group_name="pullers")
    ram_call(factory, "AttachPolicyToGroup", policy_name="AdministratorAccess", policy_type="System",
             group_name="pullers")
    since = cloud.requests.last_seq()
    result = auditor(cloud, factory, discover=True).reaudit(EventFacts("AttachPolicyToGroup", group_name="pullers"))
    assert set(result.touched) == {"ack-puller", "reader"}
    assert verdicts(result) == {"ack-puller": "FAIL", "reader": "FAIL"}
    assert "ListUsers" not in {action for action, _ in ram_actions(cloud, since)}


def test_policy_event_reaudits_every_holder(cloud, factory):
    """A new default version of acr-pull-only re-judges its holders, directly and through groups."""
    ram_call(factory, "CreatePolicyVersion", policy_name="acr-pull-only", policy_document=json.dumps(CR_ALL),
             set_as_default=True)
    result = auditor(cloud, factory, discover=True).reaudit(
        EventFacts("CreatePolicyVersion", policy_name="acr-pull-only", policy_type="Custom"))
    assert set(result.touched) == {"stale", "nokey", "ack-puller"}
    assert verdicts(result) == {"ack-puller": "FAIL", "stale": "FAIL"}
    finding = next(f for f in result.identities[0].findings if f.rule == "pullkey.excess-permissions")
    assert finding.labels["policy_version"] == "v2"


def test_events_outside_the_list_do_nothing(cloud, factory):
    """An event the auditor does not follow makes no call."""
    since = cloud.requests.last_seq()
    result = auditor(cloud, factory).reaudit(EventFacts("GetUser", user_name="ack-puller"))
    assert result.identities == () and ram_actions(cloud, since) == []

