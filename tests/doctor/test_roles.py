"""Check 2, role-permissions: each function's role, read from RAM and evaluated against its table."""

from __future__ import annotations

import copy

import pytest

from acrguard.doctor.model import Status
from acrguard.doctor.roles import check_roles
from support import ACCOUNT, deploy_policy, ram_section
from tests.doctor.doctorworld import (
    DOCTOR_KEY,
    DOCTOR_SECRET,
    context,
    doctor_world,
    run,
    with_doctor_user,
    write_s_yaml,
)

KEEPER = "acrguard-endpoint-keeper"


def keeper_policy_without(*actions: str) -> dict:
    document = copy.deepcopy(deploy_policy(KEEPER))
    for statement in document["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a not in actions]
    return document


def narrowed_world(*actions: str) -> dict:
    """The well-formed world whose keeper policy lacks ``actions`` (as if an old version were deployed)."""
    world = with_doctor_user(doctor_world())
    for policy in ram_section(world)["policies"]:
        if policy["name"] == KEEPER:
            policy["document"] = keeper_policy_without(*actions)
    return world


@pytest.fixture
def world():
    return with_doctor_user(doctor_world())


def by_subject(result):
    return {item.subject: item for item in result.items}


def test_every_role_allows_what_its_function_needs(cloud, tmp_path, s_yaml):
    """Run as the doctor user (the policy of docs/doctor.md), every role passes, the keeper's with its 8 actions."""
    result = run(context(cloud, tmp_path, s_yaml=s_yaml, key=DOCTOR_KEY, secret=DOCTOR_SECRET), check_roles)
    assert result.status is Status.PASS, result.details
    keeper = by_subject(result)[KEEPER]
    assert keeper.evidence == (f"role {KEEPER} ({KEEPER}, {KEEPER}-state) allows all 8 actions it needs")
    assert "vpc:CreateRouteEntry" in keeper.data["needed"]
    assert any(row.startswith("vpc:DescribeVpnConnection") for row in keeper.data["not_needed_by_this_config"])


@pytest.mark.parametrize("world", [narrowed_world("vpc:CreateRouteEntry")], ids=["keeper-without-create"])
def test_a_missing_action_fails_naming_it_and_the_policy_file(cloud, tmp_path, s_yaml, world):
    """The keeper's role without vpc:CreateRouteEntry fails, with the file that grants it and the attach command."""
    result = run(context(cloud, tmp_path, s_yaml=s_yaml), check_roles)
    assert result.status is Status.FAIL
    keeper = by_subject(result)[KEEPER]
    assert keeper.status is Status.FAIL
    assert "misses vpc:CreateRouteEntry (not-allowed, on acs:vpc:cn-hangzhou:" in keeper.evidence
    assert "deploy/policies/acrguard-endpoint-keeper.json grants vpc:CreateRouteEntry" in keeper.fix
    assert f"--RoleName {KEEPER}" in keeper.fix
    assert by_subject(result)["acrguard-whitelist-guard"].status is Status.PASS


def test_a_role_that_does_not_exist_fails(cloud, tmp_path):
    """A role s.yaml names but RAM does not know is FAIL, with how to create it."""
    path = write_s_yaml(tmp_path, **{"role/acrguard-image-advisor": "role/acrguard-image-adviser"})
    result = run(context(cloud, tmp_path, s_yaml=path), check_roles)
    item = by_subject(result)["acrguard-image-advisor"]
    assert item.status is Status.FAIL and item.evidence == "role acrguard-image-adviser does not exist"
    assert "deploy/policies/acrguard-image-advisor.json" in item.fix


def test_an_unfilled_account_id_fails_for_every_role(cloud, tmp_path):
    """s.yaml as shipped (vars.accountId not filled) names roles of another account: FAIL, fix names the var."""
    path = write_s_yaml(tmp_path, account="REPLACE_WITH_ACCOUNT_ID")
    result = run(context(cloud, tmp_path, s_yaml=path), check_roles)
    assert result.status is Status.FAIL
    assert {i.status for i in result.items} == {Status.FAIL}
    assert f"set vars.accountId in s.yaml to {ACCOUNT}" in result.items[0].fix


@pytest.mark.parametrize("world", [with_doctor_user(doctor_world(), without=("ram:ListPoliciesForRole",))],
                         ids=["no-ram-reads"])
def test_roles_that_cannot_be_read_cannot_tell(cloud, tmp_path, s_yaml, world):
    """Without ram:ListPoliciesForRole the doctor cannot tell, and says which RAM reads to grant it."""
    result = run(context(cloud, tmp_path, s_yaml=s_yaml, key=DOCTOR_KEY, secret=DOCTOR_SECRET), check_roles)
    assert result.status is Status.UNKNOWN
    assert "NoPermission" in result.evidence
    assert "ram:ListPoliciesForRole" in result.fix


def test_without_s_yaml_it_cannot_tell(cloud, tmp_path):
    """No deployment file: cannot tell, with the option that names one."""
    result = run(context(cloud, tmp_path), check_roles)
    assert result.status is Status.UNKNOWN and "--s-yaml" in result.fix


def test_assume_roles_dry_runs_the_keepers_writes_as_its_role(cloud, tmp_path, s_yaml):
    """With --assume-roles the keeper's role is assumed and CreateRouteEntry is DryRun on the VBR table: allowed."""
    before = cloud.requests.last_seq()
    ctx = context(cloud, tmp_path, s_yaml=s_yaml, key=DOCTOR_KEY, secret=DOCTOR_SECRET, assume_roles=True)
    result = run(ctx, check_roles)
    assert result.status is Status.PASS, result.details
    dry = by_subject(result)[f"{KEEPER} (DryRun as its role)"]
    assert dry.evidence == "CreateRouteEntry on vbr_route_table:vtb-vbr1: DryRunOperation (the role may do it)"
    creates = [r for r in cloud.requests.filter(action="CreateRouteEntry", since=before)]
    assert creates and all(str(r.params.get("DryRun")).lower() == "true" for r in creates)
    assert {r.error_code for r in creates} == {"DryRunOperation"}


@pytest.mark.parametrize("world", [narrowed_world("vpc:CreateRouteEntry")], ids=["keeper-without-create"])
def test_a_role_refused_at_dry_run_fails(cloud, tmp_path, s_yaml, world):
    """The role without CreateRouteEntry is refused at the DryRun too, by the cloud itself: FAIL."""
    ctx = context(cloud, tmp_path, s_yaml=s_yaml, key=DOCTOR_KEY, secret=DOCTOR_SECRET, assume_roles=True)
    result = run(ctx, check_roles)
    dry = by_subject(result)[f"{KEEPER} (DryRun as its role)"]
    assert dry.status is Status.FAIL and "refused as the role (Forbidden.RAM)" in dry.evidence


def test_root_cannot_assume_roles_so_the_dry_run_cannot_tell(cloud, tmp_path, s_yaml):
    """STS refuses AssumeRole to the account itself: cannot tell, with what to do instead."""
    result = run(context(cloud, tmp_path, s_yaml=s_yaml, assume_roles=True), check_roles)
    assert result.status is Status.UNKNOWN
    dry = by_subject(result)[f"{KEEPER} (DryRun as its role)"]
    assert "AssumeRole answered NoPermission" in dry.evidence
    assert "RAM user" in dry.fix and "without --assume-roles" in dry.fix


def marked_world() -> dict:
    """The well-formed world whose VBR table holds one route acrguard made for the test instance."""
    world = with_doctor_user(doctor_world())
    table = world["accounts"][ACCOUNT]["regions"]["cn-hangzhou"]["vpc"]["route_tables"][0]
    table["entries"].append({"id": "rte-ours", "destination": "192.168.10.21/32", "next_hop_type": "RouterInterface",
                             "next_hop_id": "ri-vbr1", "name": "acrguard:testreg:vpc_endpoint"})
    return world


@pytest.mark.parametrize("world", [marked_world()], ids=["marked-entry"])
def test_assume_roles_dry_runs_deletes_and_transit_router_writes(cloud, tmp_path, s_yaml, world):
    """A marked entry's deletion and a transit router route are DryRun as the keeper's role too; nothing changes."""
    from tests.routes.keeperworld import TR_TABLE, VBR_TABLE

    targets = [{"type": "vbr_route_table", "route_table_id": VBR_TABLE, "next_hop_id": "ri-vbr1"},
               {"type": "cen_transit_router", "route_table_id": TR_TABLE, "attachment_id": "tr-attach-vpc1"}]
    mark = cloud.requests.last_seq()
    ctx = context(cloud, tmp_path, s_yaml=s_yaml, key=DOCTOR_KEY, secret=DOCTOR_SECRET, assume_roles=True,
                  targets=targets)
    result = run(ctx, check_roles)
    assert result.status is Status.PASS, result.details
    dry = [i.evidence for i in result.items if i.subject == f"{KEEPER} (DryRun as its role)"]
    assert dry == [
        f"CreateRouteEntry on vbr_route_table:{VBR_TABLE}: DryRunOperation (the role may do it)",
        f"DeleteRouteEntry rte-ours on vbr_route_table:{VBR_TABLE}: DryRunOperation (the role may do it)",
        f"CreateTransitRouterRouteEntry on cen_transit_router:{TR_TABLE}: DryRunOperation (the role may do it)",
    ]
    writes = cloud.requests.filter(action=("CreateRouteEntry", "DeleteRouteEntry", "CreateTransitRouterRouteEntry",
                                           "DeleteTransitRouterRouteEntry"), since=mark)
    assert {r.error_code for r in writes} == {"DryRunOperation"}
