"""The endpoint keeper in an organisation: each member's routes kept in that member, with its role; one summary a sweep.

The keeper runs in the local cloud from ``functions/endpoint_keeper`` (its ``index.py``, as FC would) in
the central account, with its deployed policies and the organisation's; every member's
``acrguard-member`` role carries ``deploy/policies/acrguard-member.json``. Two members, two regions:
each member instance has a VPC endpoint of its own and a VBR route table its IDC learns from. The timer
fans out into one shard per member and region (``tests/org/orgsupport.py``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from alibabacloud_vpc20160428 import models as vpc_models

from acrguard.clients import call
from acrguard.org import outcomes, sweeps
from acrguard.org.shards import namespace
from acrguard.state.sqlite import SqliteStateStore
from localcloud.worlds.generate import ORG_CENTRAL, ORG_REGIONS, org_instance, org_member
from support import make_factory
from tests.org.orgsupport import (
    EXPORTS_BUCKET,
    KEEPER,
    MEMBER_POLICY,
    chat_texts,
    fire,
    keeper_config,
    keeper_eni,
    keeper_export,
    keeper_prefixes,
    keeper_table,
    keeper_world,
    routed,
    routed_to_central,
    session_of,
    shard_runs,
    sweep_summaries,
    sweep_views,
)

MEMBERS = 2
MEMBER_ROLE = "acrguard-member"
#: the API calls that change a route table
ROUTE_WRITES = ("CreateRouteEntry", "DeleteRouteEntry")


def ours(routes: dict[str, str], index: int, region_index: int) -> set[str]:
    """The destinations named with the marker of member ``index``'s instance in its ``region_index``-th region."""
    marker = f"acrguard:{org_instance(index, region_index)[1]}:"
    return {prefix for prefix, name in routes.items() if name.startswith(marker)}


def member_calls(cloud: Any) -> list[Any]:
    """The requests the shards made to the members' clouds (CR and VPC), oldest first."""
    return [r for r in cloud.requests.all() if r.product in ("cr", "vpc") and r.account_id != ORG_CENTRAL]


def outcome(tmp_path: Path, index: int, region: str) -> dict[str, Any]:
    """What member ``index``'s shard in ``region`` kept in its own state namespace."""
    store = SqliteStateStore(tmp_path / "state.db", read_only=True, namespace=namespace(org_member(index), region))
    try:
        return {"keys": store.list(""), "outcome": store.value(outcomes.KEY) or {}}
    finally:
        store.close()


class TestSweep:
    """Two members, two regions, nothing routed yet."""

    @pytest.fixture
    def world(self) -> dict[str, Any]:
        return keeper_world(MEMBERS)

    def test_each_member_is_routed_in_its_own_account_with_its_role(self, cloud, tmp_path):
        """Four shards, each in its member and region with the member role's STS session; every member table holds
        exactly its own instance's prefixes, under its own marker; one summary says 4 of 4."""
        keeper_config(cloud, tmp_path, MEMBERS)
        coordinator = fire(cloud, KEEPER)
        assert coordinator.status == "succeeded", coordinator.attempt_errors
        runs = shard_runs(cloud, KEEPER)
        assert len(runs) == 4 and all(r.status == "succeeded" and r.attempts == 1 for r in runs)
        for index in range(MEMBERS):
            for region_index in range(len(ORG_REGIONS)):
                table = routed(cloud, index, region_index)
                assert ours(table, index, region_index) == keeper_prefixes(index, region_index)
                assert set(table) == keeper_prefixes(index, region_index) | {"10.0.0.0/8"}  # the IDC's uplink kept
                assert table["10.0.0.0/8"] == "idc-uplink"
        calls = member_calls(cloud)
        assert calls and all(r.status == 200 for r in calls)
        for request in calls:  # every read and write in a member: its own account, through its acrguard-member session
            session = session_of(cloud, request)
            assert session is not None and request.access_key_id.startswith("STS."), request.action
            assert session.account_id == request.account_id
            assert session.role_arn == f"acs:ram::{request.account_id}:role/{MEMBER_ROLE}"
        writes = [r for r in calls if r.action == "CreateRouteEntry"]
        assert {(r.account_id, r.region, r.params["RouteTableId"]) for r in writes} == {
            (org_member(i), region, keeper_table(i, ri)) for i in range(MEMBERS)
            for ri, region in enumerate(ORG_REGIONS)}
        assert len(writes) == sum(len(keeper_prefixes(i, ri)) for i in range(MEMBERS) for ri in range(2))
        assert not any(r.product in ("cr", "vpc") and r.account_id == ORG_CENTRAL for r in cloud.requests.all())
        (sweep,) = sweep_views(tmp_path)
        assert sweep_summaries(cloud) == [f"🔵 [LOW] endpoint_keeper sweep {sweep.sweep}: 4 of 4 shard(s) done, "
                                          f"0 failed, 0 pending — sweep/{sweep.sweep}"]

    def test_findings_and_state_carry_the_account(self, cloud, tmp_path):
        """Each change notice is scoped to its member and region; each shard keeps its records in its own namespace,
        never in another member's; the central alert groups are keyed by the account-qualified scope."""
        keeper_config(cloud, tmp_path, MEMBERS)
        fire(cloud, KEEPER)
        notices = [t for t in chat_texts(cloud) if "routes.changed" in t]
        assert len(notices) == 4
        for index in range(MEMBERS):
            for region_index, region in enumerate(ORG_REGIONS):
                instance_id = org_instance(index, region_index)[0]
                (text,) = [t for t in notices if instance_id in t.splitlines()[0]]
                assert f"scope {org_member(index)}/{region}:{instance_id}" in text
                assert keeper_eni(index, region_index) in text
                kept = outcome(tmp_path, index, region)
                (finding,) = [f for f in kept["outcome"]["findings"] if f["rule"] == "routes.changed"]
                assert finding["account"] == org_member(index)
                assert finding["scope"] == f"{org_member(index)}/{region}:{instance_id}"
                assert any(instance_id in key for key in kept["keys"]), kept["keys"]
                others = [outcome(tmp_path, i, r) for i in range(MEMBERS) for r in ORG_REGIONS
                          if (i, r) != (index, region)]
                assert not any(instance_id in key for other in others for key in other["keys"])
        central = SqliteStateStore(tmp_path / "state.db", read_only=True)
        try:  # the central records name an instance only in an alert group, keyed by the account-qualified scope
            named = sorted(key for key in central.list("") if "cri-org" in key)
        finally:
            central.close()
        assert named == sorted(f"alerts/groups/{quote(f'{org_member(i)}/{r}:{org_instance(i, ri)[0]}', safe='')}"
                               f"/routes.changed" for i in range(MEMBERS) for ri, r in enumerate(ORG_REGIONS))

    def test_a_second_sweep_with_nothing_new_writes_nothing_and_tells_only_its_summary(self, cloud, tmp_path):
        """The routes are in place: the next sweep reads, writes nothing and sends one summary, nothing else."""
        keeper_config(cloud, tmp_path, MEMBERS)
        fire(cloud, KEEPER, 0)
        mark = cloud.requests.last_seq()
        told = len(chat_texts(cloud))
        fire(cloud, KEEPER, 10)
        assert cloud.requests.filter(action=ROUTE_WRITES, since=mark) == []
        assert cloud.requests.filter(action="DescribeRouteEntryList", since=mark)  # it did look
        later = chat_texts(cloud)[told:]
        assert [t.splitlines()[0] for t in later] == sweep_summaries(cloud)[1:], later
        assert len(later) == 1 and "4 of 4 shard(s) done, 0 failed" in later[0]
        assert len(sweep_views(tmp_path)) == 2

    def test_a_moved_endpoint_is_routed_in_its_member_only(self, cloud, tmp_path):
        """Member 1's ENI moves in Hangzhou: the next sweep adds the new /32 to member 1's table and no other."""
        keeper_config(cloud, tmp_path, MEMBERS)
        fire(cloud, KEEPER, 0)
        new = "192.168.11.99"
        cloud.backend("cr", org_member(1), ORG_REGIONS[0]).instances[org_instance(1, 0)[0]].linked_vpcs[0].ip = new
        cloud.dns.set(f"{org_instance(1, 0)[1]}-registry-vpc.{ORG_REGIONS[0]}.cr.aliyuncs.com", [new])
        mark = cloud.requests.last_seq()
        fire(cloud, KEEPER, 10)
        (write,) = cloud.requests.filter(action="CreateRouteEntry", since=mark)
        assert (write.account_id, write.params["RouteTableId"], write.params["DestinationCidrBlock"]) == (
            org_member(1), keeper_table(1, 0), f"{new}/32")
        assert f"{new}/32" in routed(cloud, 1, 0)
        assert all(f"{new}/32" not in routed(cloud, i, ri) for i in range(MEMBERS) for ri in range(2)
                   if (i, ri) != (1, 0))
        (notice,) = [t for t in chat_texts(cloud) if "routes.changed" in t and new in t]
        assert f"scope {org_member(1)}/{ORG_REGIONS[0]}:{org_instance(1, 0)[0]}" in notice


def member_deletes(cloud: Any, index: int, destination: str) -> bytes:
    """Member ``index``'s operator deletes one of acrguard's routes from its Hangzhou table with the member's own
    key; the ActionTrail event of it, as the member's EventBridge rule routes it to the central bus."""
    region = ORG_REGIONS[0]
    member = make_factory(cloud, f"LTAI5tOrgMember{index:07d}", f"org-member-secret-{index:07d}", region=region)
    table = keeper_table(index, 0)
    (entry,) = call("vpc", "DescribeRouteEntryList", member.vpc().describe_route_entry_list,
                    vpc_models.DescribeRouteEntryListRequest(region_id=region, route_table_id=table,
                                                             destination_cidr_block=destination)
                    ).route_entrys.route_entry
    cloud.trail.take()
    call("vpc", "DeleteRouteEntry", member.vpc().delete_route_entry, vpc_models.DeleteRouteEntryRequest(
        region_id=region, route_table_id=table, route_entry_id=entry.route_entry_id))
    (event,) = cloud.trail.take("DeleteRouteEntry")
    assert event["aliyunaccountid"] == event["data"]["userIdentity"]["accountId"] == org_member(index)
    return routed_to_central(event, index)


class TestMemberEvents:
    """A route deleted by hand in a member, handled at once in that member."""

    @pytest.fixture
    def world(self) -> dict[str, Any]:
        return keeper_world(MEMBERS, ORG_REGIONS[:1])

    def test_a_route_deleted_in_a_member_is_restored_there_with_its_role(self, cloud, tmp_path):
        """Member 1's ENI route is deleted by hand; its event puts it back in member 1's table, through member 1's
        role, and the notice is scoped to member 1; member 0 is not touched."""
        keeper_config(cloud, tmp_path, MEMBERS, ORG_REGIONS[:1])
        fire(cloud, KEEPER)
        eni = f"{keeper_eni(1, 0)}/32"
        event = member_deletes(cloud, 1, eni)
        assert eni not in routed(cloud, 1, 0)
        mark, told = cloud.requests.last_seq(), len(chat_texts(cloud))
        backend = cloud.backend("fc", ORG_CENTRAL, ORG_REGIONS[0])
        record = backend.runner(KEEPER).invoke_async(event)
        assert backend.drain(30)
        assert record.status == "succeeded", record.attempt_errors
        assert ours(routed(cloud, 1, 0), 1, 0) == keeper_prefixes(1, 0, ORG_REGIONS[:1])
        (write,) = cloud.requests.filter(action="CreateRouteEntry", since=mark)
        assert (write.account_id, write.params["DestinationCidrBlock"]) == (org_member(1), eni)
        assert session_of(cloud, write).role_arn == f"acs:ram::{org_member(1)}:role/{MEMBER_ROLE}"
        assert not any(r.account_id == org_member(0) for r in cloud.requests.filter(since=mark))
        (notice,) = chat_texts(cloud)[told:]
        assert "routes.changed" in notice and eni in notice
        assert f"scope {org_member(1)}/{ORG_REGIONS[0]}:{org_instance(1, 0)[0]}" in notice


class TestExports:
    """Each member instance also exports the IDC's hosts file to the central account's bucket."""

    @pytest.fixture
    def world(self) -> dict[str, Any]:
        return keeper_world(MEMBERS, ORG_REGIONS[:1])

    def test_a_members_export_is_written_to_the_central_bucket_with_the_functions_own_role(self, cloud, tmp_path):
        """The member role grants no OSS access: each shard routes with the member's session and writes its
        instance's export with the keeper's own role, into the central bucket; nothing fails."""
        keeper_config(cloud, tmp_path, MEMBERS, ORG_REGIONS[:1], exports=True)
        fire(cloud, KEEPER)
        bucket = cloud.backend("oss", ORG_CENTRAL, None).buckets[EXPORTS_BUCKET]
        for index in range(MEMBERS):
            text = bucket.objects[keeper_export(index, 0)].data.decode("utf-8")
            assert f"{keeper_eni(index, 0)}\t{org_instance(index, 0)[1]}-registry-vpc." in text, text
        calls = [r for r in cloud.requests.all() if r.product == "oss"]
        assert {r.action for r in calls} >= {"PutObject"} and all(r.status in (200, 404) for r in calls)
        for request in calls:
            session = session_of(cloud, request)
            assert session is not None and session.role_arn == f"acs:ram::{ORG_CENTRAL}:role/{KEEPER}"
        assert not any("routes.export-failed" in t for t in chat_texts(cloud))
        changed = [t for t in chat_texts(cloud) if "IDC export hosts for" in t.splitlines()[0]]
        assert sorted(t.splitlines()[0].split(" — ")[-1] for t in changed) == [org_instance(i, 0)[0]
                                                                             for i in range(MEMBERS)]
        assert all(f"scope {org_member(i)}/{ORG_REGIONS[0]}:{org_instance(i, 0)[0]}" in t
                   for i, t in enumerate(sorted(changed, key=lambda t: t.splitlines()[0])))


def refusing_member(world: dict[str, Any], index: int) -> dict[str, Any]:
    """``world`` with member ``index``'s ``acrguard-member`` policy lacking ``vpc:CreateRouteEntry``."""
    ram = world["accounts"][org_member(index)]["global"]["ram"]
    (policy,) = [p for p in ram["policies"] if p["name"] == MEMBER_POLICY]
    document = copy.deepcopy(policy["document"])
    for statement in document["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != "vpc:CreateRouteEntry"]
    assert document != policy["document"]
    policy["document"] = document
    return world


class TestFailures:
    """One member that cannot be entered, and one whose route writes are refused: the others are kept all the same."""

    @pytest.fixture
    def world(self) -> dict[str, Any]:
        return refusing_member(keeper_world(3, ORG_REGIONS[:1], untrusting=(2,)), 1)

    def test_only_the_member_that_cannot_be_entered_fails_and_a_refused_write_is_told_under_its_account(
            self, cloud, tmp_path):
        """Member 2 does not trust the keeper: NoPermission settles its shard as failed and the summary names it.
        Member 1's role may not create route entries: its shard reports the refusal, naming its account, and writes
        nothing; member 0 is routed as usual."""
        keeper_config(cloud, tmp_path, 3, ORG_REGIONS[:1])
        fire(cloud, KEEPER)
        (sweep,) = sweep_views(tmp_path)
        status = {s.key: s.status for s in sweep.shards}
        region = ORG_REGIONS[0]
        assert status == {f"{org_member(0)}/{region}": sweeps.DONE, f"{org_member(1)}/{region}": sweeps.DONE,
                          f"{org_member(2)}/{region}": sweeps.FAILED}
        (summary,) = [t for t in chat_texts(cloud) if "shard(s) done" in t]
        assert "2 of 3 shard(s) done, 1 failed" in summary.splitlines()[0]
        assert f"failed: {org_member(2)}/{region}" in summary and "NoPermission" in summary
        assert ours(routed(cloud, 0, 0), 0, 0) == keeper_prefixes(0, 0, ORG_REGIONS[:1])
        assert ours(routed(cloud, 1, 0), 1, 0) == set() and ours(routed(cloud, 2, 0), 2, 0) == set()
        refused = {(r.action, r.account_id, r.params.get("RoleArn", "")) for r in cloud.requests.all()
                   if r.status == 403}
        assert refused == {("AssumeRole", ORG_CENTRAL, f"acs:ram::{org_member(2)}:role/{MEMBER_ROLE}"),
                           ("CreateRouteEntry", org_member(1), "")}
        assert not any(r.account_id == org_member(2) for r in cloud.requests.all() if r.product in ("cr", "vpc"))
        failed = [t for t in chat_texts(cloud) if "routes.apply-failed" in t]
        assert len(failed) == 1, failed
        assert f"scope {org_member(1)}/{region}:{org_instance(1, 0)[0]}" in failed[0]
        assert "Forbidden.RAM: CreateRouteEntry failed" in failed[0] and keeper_eni(1, 0) in failed[0]
        assert "the member role: deploy/policies/acrguard-member.json" in failed[0]  # the fix names what to grant
