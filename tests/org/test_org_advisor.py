"""The image advisor in an organisation: each member's heavy images are advised in that member, with its role.

The advisor runs in the local cloud from ``functions/image_advisor`` (its ``index.py``, as FC would) in
the central account, with its deployed policies and the organisation's; every member's
``acrguard-member`` role carries ``deploy/policies/acrguard-member.json``. Every member instance holds
a heavy ``apps/web:v2`` and light tags (``tests/org/orgsupport.py``). Its daily timer fans out into one
shard per member and region; a member's push reaches it on the organisation's bus.
"""

from __future__ import annotations

from typing import Any

import pytest

from acrguard.org import sweeps
from localcloud.worlds.generate import ORG_CENTRAL, ORG_REGIONS, org_instance, org_member
from tests.org.orgsupport import (
    ADVISOR,
    HEAVY,
    advisor_config,
    advisor_world,
    chat_texts,
    fire,
    routed_to_central,
    session_of,
    shard_runs,
    sweep_summaries,
    sweep_views,
)

MEMBERS = 2
MEMBER_ROLE = "acrguard-member"
LARGE_RULE = "image.large-without-acceleration"


def advised(cloud: Any, rule: str = LARGE_RULE) -> list[str]:
    """The chat messages of ``rule`` the robot accepted."""
    return [t for t in chat_texts(cloud) if f"Rule {rule}" in t]


def member_calls(cloud: Any) -> list[Any]:
    """The CR requests the shards made in the members' accounts."""
    return [r for r in cloud.requests.all() if r.product == "cr" and r.account_id != ORG_CENTRAL]


class TestSweep:
    """Two members, two regions, a heavy image in every member instance."""

    @pytest.fixture
    def world(self) -> dict[str, Any]:
        return advisor_world(MEMBERS)

    def test_each_members_heavy_image_is_advised_under_its_own_account(self, cloud, tmp_path):
        """Four shards, each reading its member's registry with the member role's session; each heavy image is one
        finding scoped to its account and region; the light repositories say nothing; one summary says 4 of 4."""
        advisor_config(cloud, tmp_path, MEMBERS)
        coordinator = fire(cloud, ADVISOR)
        assert coordinator.status == "succeeded", coordinator.attempt_errors
        runs = shard_runs(cloud, ADVISOR)
        assert len(runs) == 4 and all(r.status == "succeeded" and r.attempts == 1 for r in runs)
        calls = member_calls(cloud)
        assert {(r.account_id, r.region) for r in calls if r.action == "ListRepository"} == {
            (org_member(i), region) for i in range(MEMBERS) for region in ORG_REGIONS}
        for call in calls:
            session = session_of(cloud, call)
            assert call.status == 200 and session is not None, call.action
            assert session.role_arn == f"acs:ram::{call.account_id}:role/{MEMBER_ROLE}"
        assert not any(r.product == "cr" and r.account_id == ORG_CENTRAL for r in cloud.requests.all())
        found = advised(cloud)
        assert len(found) == 4
        for index in range(MEMBERS):
            for region_index, region in enumerate(ORG_REGIONS):
                instance_id, name = org_instance(index, region_index)
                (text,) = [t for t in found if t.splitlines()[0].endswith(f"— {instance_id}/apps/web")]
                assert f"scope {org_member(index)}/{region}:{instance_id}/apps/web" in text
                assert "apps/web:v2 is 1.5 GiB" in text and f"on {name} ({instance_id})" in text
        assert not any("apps/tiny" in t for t in chat_texts(cloud))
        (sweep,) = sweep_views(tmp_path)
        assert sweep_summaries(cloud) == [f"🔵 [LOW] image_advisor sweep {sweep.sweep}: 4 of 4 shard(s) done, "
                                          f"0 failed, 0 pending — sweep/{sweep.sweep}"]

    def test_a_second_sweep_with_nothing_new_tells_only_its_summary(self, cloud, tmp_path):
        """The heavy images were told: the next day's sweep sends its summary and nothing else."""
        advisor_config(cloud, tmp_path, MEMBERS)
        fire(cloud, ADVISOR, 0)
        told = len(chat_texts(cloud))
        fire(cloud, ADVISOR, 10)
        later = chat_texts(cloud)[told:]
        assert len(later) == 1 and "4 of 4 shard(s) done, 0 failed" in later[0].splitlines()[0], later
        assert len(sweep_views(tmp_path)) == 2

    def test_enforce_enables_on_demand_loading_in_each_member(self, cloud, tmp_path):
        """With ``policy: enforce`` each member instance's ``apps/web`` gets its acceleration rule, created in that
        member with its role; the notice names the account."""
        advisor_config(cloud, tmp_path, MEMBERS, policy="enforce")
        fire(cloud, ADVISOR)
        writes = [r for r in cloud.requests.all() if r.action == "CreateArtifactBuildRule"]
        assert sorted((r.account_id, r.region, r.params["InstanceId"]) for r in writes) == sorted(
            (org_member(i), region, org_instance(i, ri)[0]) for i in range(MEMBERS)
            for ri, region in enumerate(ORG_REGIONS))
        assert all(session_of(cloud, r).role_arn == f"acs:ram::{r.account_id}:role/{MEMBER_ROLE}" for r in writes)
        for index in range(MEMBERS):
            for region_index, region in enumerate(ORG_REGIONS):
                instance_id = org_instance(index, region_index)[0]
                instance = cloud.backend("cr", org_member(index), region).instances[instance_id]
                assert [r.artifact_type for r in instance.build_rules] == ["ACCELERATED_IMAGE"]
        enabled = [t for t in chat_texts(cloud) if "enabled on-demand loading" in t.splitlines()[0]]
        assert len(enabled) == 4
        assert all(any(f"scope {org_member(i)}/" in t for t in enabled) for i in range(MEMBERS))


def member_push(cloud: Any, index: int, region_index: int, tag: str, size: int) -> bytes:
    """Member ``index`` pushes ``apps/web:<tag>``: its ACR event, routed by its rule to the central bus."""
    region = ORG_REGIONS[region_index]
    event = cloud.backend("cr", org_member(index), region).push_image(org_instance(index, region_index)[0], "apps",
                                                                      "web", tag, size)
    return routed_to_central(event, index)


class TestMemberPush:
    """A push in a member account, handled at once in that account."""

    @pytest.fixture
    def world(self) -> dict[str, Any]:
        return advisor_world(MEMBERS, ORG_REGIONS[:1])

    def test_a_members_heavy_push_is_advised_in_that_account_and_told_at_once(self, cloud, tmp_path):
        """Member 1 pushes a heavy ``v3``: the advisor re-reads the tag in member 1, with member 1's role, and tells
        one message scoped to member 1; member 0 is never read."""
        advisor_config(cloud, tmp_path, MEMBERS, ORG_REGIONS[:1])
        backend = cloud.backend("fc", ORG_CENTRAL, ORG_REGIONS[0])
        record = backend.runner(ADVISOR).invoke_async(member_push(cloud, 1, 0, "v3", HEAVY))
        assert backend.drain(30)
        assert record.status == "succeeded", record.attempt_errors
        calls = member_calls(cloud)
        assert calls and {r.account_id for r in calls} == {org_member(1)}
        assert all(session_of(cloud, r).role_arn == f"acs:ram::{org_member(1)}:role/{MEMBER_ROLE}" for r in calls)
        (text,) = chat_texts(cloud)
        assert f"Rule {LARGE_RULE}" in text and "apps/web:v3 is 1.5 GiB" in text
        assert f"scope {org_member(1)}/{ORG_REGIONS[0]}:{org_instance(1, 0)[0]}/apps/web" in text


class TestFailures:
    """Three members, one of which does not trust the advisor's role."""

    @pytest.fixture
    def world(self) -> dict[str, Any]:
        return advisor_world(3, ORG_REGIONS[:1], untrusting=(1,))

    def test_a_member_that_cannot_be_entered_fails_only_its_shard(self, cloud, tmp_path):
        """STS refuses member 1: its shard is failed with the reason in the summary; members 0 and 2 are advised."""
        advisor_config(cloud, tmp_path, 3, ORG_REGIONS[:1])
        fire(cloud, ADVISOR)
        (sweep,) = sweep_views(tmp_path)
        region = ORG_REGIONS[0]
        assert {s.key: s.status for s in sweep.shards} == {
            f"{org_member(0)}/{region}": sweeps.DONE, f"{org_member(1)}/{region}": sweeps.FAILED,
            f"{org_member(2)}/{region}": sweeps.DONE}
        (summary,) = [t for t in chat_texts(cloud) if "shard(s) done" in t]
        assert "2 of 3 shard(s) done, 1 failed" in summary.splitlines()[0]
        assert f"failed: {org_member(1)}/{region}" in summary and "NoPermission" in summary
        found = advised(cloud)
        assert len(found) == 2 and all(any(f"scope {org_member(i)}/" in t for t in found) for i in (0, 2))
        assert not any(r.account_id == org_member(1) for r in member_calls(cloud))
