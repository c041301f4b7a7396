"""Check 4, vbr-service-range: a DryRun CreateRouteEntry of an OSS range on each VBR table, and what it means."""

from __future__ import annotations

import pytest

from acrguard.doctor.model import Status
from acrguard.doctor.vbr import check_vbr
from support import ACCOUNT, REGION
from tests.doctor.doctorworld import DOCTOR_KEY, DOCTOR_SECRET, context, doctor_world, run, with_doctor_user
from tests.routes.keeperworld import VBR_TABLE, vbr_routes


def route_entry_writes(cloud, since):
    return cloud.requests.filter(action=("CreateRouteEntry", "DeleteRouteEntry"), since=since)


def test_a_table_that_takes_the_range_passes_and_nothing_is_written(cloud, tmp_path, factory):
    """DryRunOperation for the first Hangzhou OSS range: PASS; the table is as it was."""
    before, mark = vbr_routes(factory), cloud.requests.last_seq()
    result = run(context(cloud, tmp_path), check_vbr)
    assert result.status is Status.PASS
    assert result.evidence == ("idc-vbr (vbr_route_table:vtb-vbr1): takes 100.118.28.0/24 (DryRun CreateRouteEntry: "
                               "DryRunOperation)")
    assert vbr_routes(factory) == before
    assert [r.error_code for r in route_entry_writes(cloud, mark)] == ["DryRunOperation"]


@pytest.mark.parametrize("world", [doctor_world(vbr_service_range="refuse")], ids=["vbr-refuses"])
def test_a_table_that_refuses_fails_with_the_keepers_text_and_the_alternative(cloud, tmp_path, world):
    """InvalidCidrBlock: FAIL with the keeper's refusal and, no other target routing auth/oss, CEN access as the fix."""
    result = run(context(cloud, tmp_path), check_vbr)
    assert result.status is Status.FAIL
    [item] = result.items
    assert item.evidence.startswith("the VBR route table refused 100.118.28.0/24 (InvalidCidrBlock): it takes no "
                                    "destination inside 100.64.0.0/10")
    assert "type: cen_service" in item.fix and "ResolveAndRouteServiceInCen" in item.fix
    assert item.data["severity"] == "high"


@pytest.mark.parametrize("world", [doctor_world(vbr_service_range="refuse")], ids=["vbr-refuses"])
def test_a_refusal_is_harmless_when_cen_access_routes_the_families(cloud, tmp_path, world):
    """With a cen_service target for auth and OSS beside the VBR, the refusal passes: nothing breaks."""
    targets = [{"type": "vbr_route_table", "name": "idc-vbr", "route_table_id": VBR_TABLE, "next_hop_id": "ri-vbr1"},
               {"type": "cen_service", "cen_id": "cen-1", "host_region_id": REGION, "host_vpc_id": "vpc-test1",
                "access_region_ids": [REGION], "families": ["auth", "oss"]}]
    [item] = run(context(cloud, tmp_path, targets=targets), check_vbr).items
    assert item.status is Status.PASS
    assert "(InvalidCidrBlock)" in item.evidence and "harmless here: Nothing breaks: cen_service:cen-1 already " \
        "routes auth, oss" in item.evidence


def vbr_world(**table: object) -> dict:
    """The well-formed world with the VBR table's spec amended (extra ``entries`` are appended)."""
    world = doctor_world()
    spec = world["accounts"][ACCOUNT]["regions"][REGION]["vpc"]["route_tables"][0]
    assert spec["id"] == VBR_TABLE
    spec["entries"] += table.pop("entries", [])
    spec.update(table)
    return world


HELD = {"destination": "100.118.28.0/24", "next_hop_type": "RouterInterface", "next_hop_id": "ri-vbr1",
        "name": "by-hand"}


@pytest.mark.parametrize("world", [vbr_world(entries=[HELD])], ids=["holding"])
def test_a_table_already_holding_a_service_prefix_passes_without_a_dry_run(cloud, tmp_path, world):
    """A VBR table that already holds a prefix inside 100.64.0.0/10 has answered the question: no call."""
    mark = cloud.requests.last_seq()
    result = run(context(cloud, tmp_path), check_vbr)
    assert result.status is Status.PASS and "already holds 100.118.28.0/24" in result.evidence
    assert route_entry_writes(cloud, mark) == []


@pytest.mark.parametrize("world", [vbr_world(quota=1)], ids=["full"])
def test_a_full_table_cannot_tell(cloud, tmp_path, world):
    """A DryRun answered QuotaExceeded says nothing about 100.64.0.0/10: cannot tell, pointing at table-quotas."""
    result = run(context(cloud, tmp_path), check_vbr)
    assert result.status is Status.UNKNOWN
    assert "CreateRouteEntry answered QuotaExceeded" in result.evidence and "table-quotas" in result.fix


@pytest.mark.parametrize("world", [with_doctor_user(doctor_world(), without=("vpc:CreateRouteEntry",))],
                         ids=["no-dry-run-permission"])
def test_without_the_dry_run_permission_it_cannot_tell(cloud, tmp_path, world):
    """The doctor refused vpc:CreateRouteEntry cannot tell, and is told to grant it for DryRun only."""
    result = run(context(cloud, tmp_path, key=DOCTOR_KEY, secret=DOCTOR_SECRET), check_vbr)
    assert result.status is Status.UNKNOWN
    assert "refused to doctor (Forbidden.RAM)" in result.evidence
    assert "vpc:CreateRouteEntry (doctor sends it with DryRun=true only)" in result.fix


def test_a_vbr_target_for_the_vpc_endpoint_only_needs_nothing_inside_the_range(cloud, tmp_path):
    """families [vpc_endpoint]: nothing to try, PASS without a DryRun."""
    mark = cloud.requests.last_seq()
    target = {"type": "vbr_route_table", "route_table_id": VBR_TABLE, "next_hop_id": "ri-vbr1",
              "families": ["vpc_endpoint"]}
    result = run(context(cloud, tmp_path, targets=[target]), check_vbr)
    assert result.status is Status.PASS and "nothing inside 100.64.0.0/10" in result.evidence
    assert route_entry_writes(cloud, mark) == []


def test_without_a_vbr_target_it_is_skipped(cloud, tmp_path):
    """No VBR table configured: skipped, saying so."""
    result = run(context(cloud, tmp_path, targets=[]), check_vbr)
    assert result.status is Status.SKIPPED and result.evidence == "no vbr_route_table target in the config"
