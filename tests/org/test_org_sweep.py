"""An organisation end to end: the timer fans out over Function Compute, shards fix each member, one summary a sweep.

The guard's function runs in the local cloud from ``functions/whitelist_guard`` (its ``index.py``,
as FC would), with its role's credentials; it invokes itself asynchronously once per shard, and
the local cloud runs the shards on the function's reserved concurrency, retrying failures.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from acrguard.events.subscriptions import ORGANIZATION_BUS
from acrguard.org import sweeps
from acrguard.state.sqlite import SqliteStateStore
from localcloud.worlds.generate import ORG_CENTRAL, ORG_OFFICE, ORG_REGIONS, org_instance, org_member
from tests.org.orgsupport import (
    AUDITOR,
    acl,
    auditor_config,
    auditor_world,
    chat_texts,
    fire_timer,
    guard_config,
    guard_world,
    runner,
)

FIXTURES = Path(__file__).resolve().parents[1] / "events" / "fixtures"


def summaries(cloud: Any) -> list[str]:
    """The run summaries the robot accepted (their first lines)."""
    return [t.splitlines()[0] for t in chat_texts(cloud) if "shard(s) done" in t.splitlines()[0]]


def sweep_records(tmp_path: Path) -> dict[str, Any]:
    store = SqliteStateStore(tmp_path / "state.db", read_only=True)
    try:
        return {key[len(sweeps.PREFIX):]: sweeps.view(key[len(sweeps.PREFIX):], value)
                for key, value in store.values(sweeps.PREFIX).items()}
    finally:
        store.close()


def shard_records(cloud: Any) -> list[Any]:
    return [r for r in runner(cloud).records if b"acrguardShard" in r.payload]


class TestFiftyAccounts:
    """50 member accounts x 2 regions: 100 shards, every fifth member's whitelists drifted."""

    ACCOUNTS = 50

    @pytest.fixture
    def world(self) -> dict[str, Any]:
        return guard_world(self.ACCOUNTS)

    @pytest.mark.slow
    def test_one_sweep_fixes_every_member_and_sends_one_summary(self, cloud, tmp_path):
        """Every shard runs once, in its own account; the drifted whitelists are fixed; one summary says 100 done."""
        guard_config(cloud, tmp_path, self.ACCOUNTS)
        coordinator = fire_timer(cloud)
        assert coordinator.status == "succeeded", coordinator.attempt_errors
        shards = shard_records(cloud)
        assert len(shards) == 100 and all(r.status == "succeeded" and r.attempts == 1 for r in shards)
        for index in range(self.ACCOUNTS):
            for region_index in range(len(ORG_REGIONS)):
                assert ORG_OFFICE in acl(cloud, index, region_index), (index, region_index)
        (sweep,) = sweep_records(tmp_path).values()
        assert sweep.count(sweeps.DONE) == 100 and sweep.summarized
        assert summaries(cloud) == [f"🔵 [LOW] whitelist_guard sweep {sweep.sweep}: 100 of 100 shard(s) done, "
                                    f"0 failed, 0 pending — sweep/{sweep.sweep}"]
        assert runner(cloud).peak_running <= 8  # the function's reserved concurrency
        assumed = [r for r in cloud.requests.all() if r.action == "AssumeRole"]
        assert len(assumed) == 100 and {r.params["RoleSessionName"] for r in assumed} == {
            f"acrguard-whitelist-guard-{sweep.sweep}"}
        writes = [r for r in cloud.requests.all() if r.action == "CreateInstanceEndpointAclPolicy"]
        assert {r.account_id for r in writes} == {org_member(i) for i in range(0, self.ACCOUNTS, 5)}
        drifted = [t for t in chat_texts(cloud) if "is missing" in t.splitlines()[0]]
        assert drifted and all(f"{org_member(0)}/cn-hangzhou:" in t or "/cn-" in t for t in drifted)



class TestSteadyState:
    """Sweeps after the first: what they tell."""

    @pytest.fixture
    def world(self) -> dict[str, Any]:
        return guard_world(5, ("cn-hangzhou",), drift_every=2)

    def test_a_sweep_with_nothing_new_tells_only_its_summary(self, cloud, tmp_path):
        """Later sweeps write nothing and tell one summary each; nothing of the fixed drift fires again."""
        guard_config(cloud, tmp_path, 5, ("cn-hangzhou",))
        fire_timer(cloud, 0)
        writes = sum(1 for r in cloud.requests.all() if r.action == "CreateInstanceEndpointAclPolicy")
        assert writes == 3  # members 0, 2 and 4
        before = len(chat_texts(cloud))
        fire_timer(cloud, 5)
        for n in (5, 10):
            fire_timer(cloud, n)
            later = [t.splitlines()[0] for t in chat_texts(cloud)[before:]]
            before = len(chat_texts(cloud))
            assert sum("5 of 5 shard(s) done, 0 failed, 0 pending" in t for t in later) == 1, later
            assert not any(t.startswith("🟡") and "is missing" in t for t in later), later
        assert sum(1 for r in cloud.requests.all() if r.action == "CreateInstanceEndpointAclPolicy") == writes


class TestFailures:
    """A small organisation where one member does not trust the function, and CR throttles once."""

    @pytest.fixture
    def world(self) -> dict[str, Any]:
        return guard_world(4, ("cn-hangzhou",), untrusting=(3,))

    def test_a_member_that_cannot_be_entered_fails_its_shard_and_only_its_shard(self, cloud, tmp_path):
        """NoPermission from STS settles the shard as failed at once; the others are done; the summary names it."""
        guard_config(cloud, tmp_path, 4, ("cn-hangzhou",))
        fire_timer(cloud)
        (sweep,) = sweep_records(tmp_path).values()
        failed = [s for s in sweep.shards if s.status == sweeps.FAILED]
        assert [s.key for s in failed] == [f"{org_member(3)}/cn-hangzhou"] and failed[0].final
        assert sweep.count(sweeps.DONE) == 3
        (summary,) = [t for t in chat_texts(cloud) if "shard(s) done" in t]
        assert "3 of 4 shard(s) done, 1 failed" in summary and f"failed: {org_member(3)}/cn-hangzhou" in summary
        assert "NoPermission" in summary
        fire_timer(cloud, 5)  # the next sweep dispatches it again, and tells again
        assert len(summaries(cloud)) == 2 and len(sweep_records(tmp_path)) == 2

    def test_a_transient_failure_is_retried_by_function_compute(self, cloud, tmp_path):
        """A throttled read fails the shard's first attempt; FC's retry finishes it; the sweep ends all done."""
        guard_config(cloud, tmp_path, 4, ("cn-hangzhou",))
        cloud.inject(product="cr", action="GetInstanceEndpoint", code="Throttling.User", times=4)
        fire_timer(cloud)
        retried = [r for r in shard_records(cloud) if r.attempts > 1]
        assert retried and all(r.status == "succeeded" for r in shard_records(cloud)
                               if org_member(3) not in r.payload.decode())
        (sweep,) = sweep_records(tmp_path).values()
        assert sweep.summarized and sweep.count(sweeps.DONE) == 3

    def test_a_shard_delivered_twice_runs_once(self, cloud, tmp_path):
        """FC's at-least-once delivery: the second delivery of a finished shard is a duplicate (no AssumeRole)."""
        guard_config(cloud, tmp_path, 4, ("cn-hangzhou",))
        fire_timer(cloud)
        payload = shard_records(cloud)[0].payload
        assumed = sum(1 for r in cloud.requests.all() if r.action == "AssumeRole")
        runner(cloud).invoke_async(payload)
        assert cloud.backend("fc", ORG_CENTRAL, "cn-hangzhou").drain(30)
        assert runner(cloud).records[-1].result["events"][0]["status"] == "duplicate"
        assert sum(1 for r in cloud.requests.all() if r.action == "AssumeRole") == assumed


def member_event(index: int, *, account: str | None = None) -> bytes:
    """A member's ACL entry deleted by hand, routed to the central bus by the member's EventBridge rule."""
    doc = json.loads((FIXTURES / "cr_acl_delete_apicall.json").read_text(encoding="utf-8"))
    event = copy.deepcopy(doc)
    member = account or org_member(index)
    event["aliyuneventbusname"] = ORGANIZATION_BUS
    event["aliyunaccountid"] = ORG_CENTRAL
    event["aliyunoriginalaccountid"] = member
    event["data"]["recipientAccountId"] = member
    event["data"]["acsRegion"] = "cn-hangzhou"
    event["data"]["requestParameters"]["InstanceId"] = org_instance(index, 0)[0]
    event["data"]["requestParameters"]["Entry"] = ORG_OFFICE
    return json.dumps(event).encode()


class TestMemberEvents:
    """Events of member accounts, handled in the account they name."""

    @pytest.fixture
    def world(self) -> dict[str, Any]:
        return guard_world(3, ("cn-hangzhou",), drift_every=0)

    def test_a_members_event_is_handled_in_that_account_and_told_at_once(self, cloud, tmp_path):
        """The entry deleted in member 1 is put back in member 1, with member 1's credentials; the alert names it."""
        guard_config(cloud, tmp_path, 3, ("cn-hangzhou",))
        cr = cloud.backend("cr", org_member(1), "cn-hangzhou")
        instance = cr.instances[org_instance(1, 0)[0]]
        instance.acl = [e for e in instance.acl if e.entry != ORG_OFFICE]
        record = runner(cloud).invoke_async(member_event(1))
        assert cloud.backend("fc", ORG_CENTRAL, "cn-hangzhou").drain(30)
        assert record.status == "succeeded", record.attempt_errors
        assert ORG_OFFICE in acl(cloud, 1, 0)
        (write,) = [r for r in cloud.requests.all() if r.action == "CreateInstanceEndpointAclPolicy"]
        assert write.account_id == org_member(1)
        assert any(f"{org_member(1)}/cn-hangzhou:" in t for t in chat_texts(cloud))

    def test_an_event_of_an_account_outside_the_organisation_is_not_entered(self, cloud, tmp_path):
        """An account the directory does not list is never assumed into; the event is ignored with the reason."""
        guard_config(cloud, tmp_path, 3, ("cn-hangzhou",))
        fire_timer(cloud)  # the sweep keeps the roster events are checked against
        assumed = sum(1 for r in cloud.requests.all() if r.action == "AssumeRole")
        record = runner(cloud).invoke_async(member_event(1, account="3999999999999999"))
        assert cloud.backend("fc", ORG_CENTRAL, "cn-hangzhou").drain(30)
        assert record.status == "succeeded"
        assert sum(1 for r in cloud.requests.all() if r.action == "AssumeRole") == assumed
        assert record.result["events"][0]["changes"] == []
        assert not any(r.account_id == "3999999999999999" for r in cloud.requests.all())


class TestPullKeyAuditor:
    """A global job: one shard per account, the same user name in each account is a finding of its own."""

    @pytest.fixture
    def world(self) -> dict[str, Any]:
        return auditor_world(3)

    def test_each_account_is_audited_once_and_told_apart(self, cloud, tmp_path):
        """Central + 3 members: 4 shards without a region; ``ci-puller`` of each member is its own finding."""
        auditor_config(cloud, tmp_path)
        backend = cloud.backend("fc", ORG_CENTRAL, ORG_REGIONS[0])
        payload = json.dumps({"triggerTime": "2026-06-01T02:00:00Z", "triggerName": "daily-audit",
                              "payload": json.dumps({"job": "pullkey_auditor"})}).encode()
        backend.runner(AUDITOR).invoke_async(payload)
        assert backend.drain(60)
        shards = [json.loads(r.payload)["acrguardShard"] for r in backend.runner(AUDITOR).records
                  if b"acrguardShard" in r.payload]
        assert sorted((s["account"], s["region"]) for s in shards) == sorted(
            [(ORG_CENTRAL, "")] + [(org_member(i), "") for i in range(3)])
        texts = chat_texts(cloud)
        assert sum("4 of 4 shard(s) done" in t for t in texts) == 1
        excess = [t for t in texts if "can do more than pull" in t.splitlines()[0]]
        assert len(excess) == 3 and {m for t in excess for m in (org_member(0), org_member(1), org_member(2))
                                     if f"{m}:ram-user/ci-puller" in t} == {org_member(i) for i in range(3)}
        ram = {r.account_id for r in cloud.requests.all() if r.product in ("ram", "ims")}
        assert ram == {ORG_CENTRAL} | {org_member(i) for i in range(3)}  # each account's RAM, read in it


class TestCrossAccountPullKey:
    """A ConfigMap key owned by a RAM user of another member is found there and judged there."""

    @pytest.fixture
    def world(self) -> dict[str, Any]:
        world = auditor_world(2)
        for index in range(2):  # no pull user is named: the ConfigMap is the only way to the key
            world["accounts"][org_member(index)]["global"]["ram"]["users"][0]["name"] = f"ci-puller-{index}"
        return world

    def test_a_key_of_another_member_is_mapped_to_its_owner_and_judged_in_that_account(self, cloud, tmp_path):
        """The central shard reads its ConfigMap and does not own member 1's key; it asks the members through
        their roles (IMS GetUser by key id), finds ci-puller-1 in member 1 and reports its excess, naming that
        account, in one message."""
        configmap = tmp_path / "acr-configuration.yaml"
        configmap.write_text("data:\n  acr-registry-info: |\n"
                             "    - instanceId: cri-org00000000001\n"
                             "      customAccessKey: LTAI5tOrgPuller0000001\n"
                             "      customAccessKeySecret: cm-secret-value\n", encoding="utf-8")
        path = auditor_config(cloud, tmp_path)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["pull_keys"] = {"users": [], "discover": False,
                             "configmaps": [{"path": str(configmap), "cluster": "central-ack"}]}
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        backend = cloud.backend("fc", ORG_CENTRAL, ORG_REGIONS[0])
        payload = json.dumps({"triggerTime": "2026-06-01T02:00:00Z", "triggerName": "daily-audit",
                              "payload": json.dumps({"job": "pullkey_auditor"})}).encode()
        backend.runner(AUDITOR).invoke_async(payload)
        assert backend.drain(60)
        lookups = [r for r in cloud.requests.all() if r.product == "ims" and r.action == "GetUser"
                   and r.params.get("UserAccessKeyId") == "LTAI5tOrgPuller0000001"]
        assert {r.account_id for r in lookups} >= {ORG_CENTRAL, org_member(1)}
        assert all(r.access_key_id.startswith("STS.") for r in lookups)  # through the assumed roles
        excess = [t for t in chat_texts(cloud) if "can do more than pull" in t.splitlines()[0]]
        # only the central shard reads the central ConfigMap; it finds the owner in member 1, through its role
        searched = [r.account_id for r in lookups if r.account_id != ORG_CENTRAL]
        assert org_member(1) in searched and len(searched) == len(set(searched))  # each member asked once
        # told once, under the owner's account and the scope its own shard would give the user
        assert len(excess) == 1 and "ci-puller-1" in excess[0], excess
        assert f"{org_member(1)}:ram-user/ci-puller-1" in excess[0]
        assert not any("ci-puller-0" in t for t in excess)
        assert all("cm-secret-value" not in t for t in chat_texts(cloud))  # the secret never reaches chat
