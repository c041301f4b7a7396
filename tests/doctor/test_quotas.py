"""Check 5, table-quotas: entries in use plus what acrguard would add, against the table's quota."""

from __future__ import annotations

import pytest

from acrguard.doctor.model import Status
from acrguard.doctor.quotas import check_quotas
from tests.doctor.doctorworld import (
    DOCTOR_KEY,
    DOCTOR_SECRET,
    VBR_TARGET,
    context,
    doctor_world,
    run,
    with_doctor_user,
)
from tests.routes.keeperworld import TR_TABLE, VPC_TABLE


def test_the_routes_fit_in_the_documented_quota(cloud, tmp_path):
    """1 entry in use, 7 to add (the ENI, two auth addresses, four OSS ranges): 8 of 200."""
    result = run(context(cloud, tmp_path), check_quotas)
    assert result.status is Status.PASS
    assert result.evidence == ("idc-vbr (vbr_route_table:vtb-vbr1): 1 of 200 in use (the documented 200 custom routes "
                               "a table); acrguard adds 7: 8 of 200")


def test_a_configured_quota_that_is_too_small_fails(cloud, tmp_path):
    """routes.targets[].quota 5 (an older VBR limit, say): 8 of 5 does not fit; the fix says what to free."""
    target = {**VBR_TARGET, "quota": 5}
    result = run(context(cloud, tmp_path, targets=[target]), check_quotas)
    assert result.status is Status.FAIL
    assert "1 of 5 in use (routes.targets[].quota); acrguard adds 7: 8 of 5: does not fit" in result.evidence
    assert result.fix.startswith("free 3 entries in vtb-vbr1")


def test_the_auth_host_is_reserved_when_its_addresses_are_unknown(cloud, tmp_path):
    """With the registry probe pointing nowhere, one entry is kept for the auth host."""
    data = context(cloud, tmp_path).config.model_dump(mode="json", exclude_none=True)
    data["instances"][0]["routes"]["registry_probe_address"] = "127.0.0.1:9"
    data["instances"][0]["routes"]["registry_probe_timeout_s"] = 0.5
    result = run(context(cloud, tmp_path, data=data), check_quotas)
    assert result.status is Status.PASS
    assert "acrguard adds 5 + 1 reserved for the auth host: 7 of 200" in result.evidence


def test_a_vpc_table_counts_only_what_it_takes(cloud, tmp_path):
    """A VPC table takes nothing inside 100.64.0.0/10: only the ENI counts, and no auth reserve."""
    target = {"type": "vpc_route_table", "route_table_id": VPC_TABLE, "next_hop_type": "Instance",
              "next_hop_id": "i-1"}
    result = run(context(cloud, tmp_path, targets=[target]), check_quotas)
    assert result.status is Status.PASS and "acrguard adds 1: 1 of 200" in result.evidence


def test_a_transit_router_table_without_a_quota_is_left_out(cloud, tmp_path):
    """No quota is documented for a transit router table: left out with a note unless routes.targets[].quota is set."""
    target = {"type": "cen_transit_router", "route_table_id": TR_TABLE, "attachment_id": "tr-attach-vpc1"}
    result = run(context(cloud, tmp_path, targets=[target]), check_quotas)
    assert result.status is Status.SKIPPED
    assert any("no documented quota" in line for line in result.details)
    limited = run(context(cloud, tmp_path, targets=[{**target, "quota": 3}]), check_quotas)
    assert limited.status is Status.FAIL and "1 of 3 in use" in limited.evidence


@pytest.mark.parametrize("world", [with_doctor_user(doctor_world(), without=("vpc:DescribeRouteEntryList",))],
                         ids=["no-table-reads"])
def test_a_table_that_cannot_be_read_cannot_tell(cloud, tmp_path, world):
    """Without vpc:DescribeRouteEntryList the doctor cannot tell, and names the action."""
    result = run(context(cloud, tmp_path, key=DOCTOR_KEY, secret=DOCTOR_SECRET), check_quotas)
    assert result.status is Status.UNKNOWN
    assert "DescribeRouteEntryList answered Forbidden.RAM" in result.evidence
    assert "vpc:DescribeRouteEntryList" in result.fix
