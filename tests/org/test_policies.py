"""The organisation's policies: the central functions' extra grants, and the member role's, hold to the tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acrguard.deploy import permissions as perms
from acrguard.policy.evaluate import AttachedPolicy, Decision, evaluate

POLICIES = Path(__file__).resolve().parents[2] / "deploy" / "policies"
EXAMPLE = {"region": "cn-hangzhou", "account": "2900000000000001", "instance_id": "cri-example0000001",
           "namespace": "team", "repository": "app", "route_table_id": "vtb-example", "vpn_connection_id": "vco-x",
           "cen_id": "cen-example", "user": "ack-puller", "group": "pullers", "policy": "acr-pull",
           "entry_id": "rte-example", "role": "acrguard-member", "function": "acrguard-whitelist-guard"}


class Example(dict):
    """``EXAMPLE``, with ``example`` for any id a newer resource kind names."""

    def __missing__(self, key: str) -> str:
        return "example"


def render(kind: perms.ResourceKind) -> str:
    return kind.arn.format_map(Example(EXAMPLE))


def document(name: str) -> dict:
    return json.loads((POLICIES / name).read_text(encoding="utf-8"))


def evaluation(name: str):
    return evaluate([AttachedPolicy.of(name, (POLICIES / name).read_text(encoding="utf-8"))])


def granted(name: str) -> set[str]:
    return {a for st in document(name)["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str)
                                                              else st["Action"])}


def test_the_organisation_policy_grants_exactly_its_table():
    """Every action of ``ORGANIZATION`` is allowed on its resource form, and nothing else is listed."""
    found = evaluation(perms.ORGANIZATION_POLICY_FILE)
    for row in perms.ORGANIZATION:
        for action in row.actions:
            assert found.decide(action, render(row.resource)) is Decision.ALLOWED, (action, row.api)
    assert granted(perms.ORGANIZATION_POLICY_FILE) == {a for row in perms.ORGANIZATION for a in row.actions}


def test_the_organisation_policy_enters_only_acrguard_roles_and_invokes_only_acrguard_functions():
    """AssumeRole on another role, InvokeFunction of another function: not allowed."""
    found = evaluation(perms.ORGANIZATION_POLICY_FILE)
    assert found.decide("sts:AssumeRole", "acs:ram:*:2900000000000001:role/admin") is not Decision.ALLOWED
    assert found.decide("fc:InvokeFunction", "acs:fc:cn-hangzhou:1:functions/payroll") is not Decision.ALLOWED


@pytest.mark.parametrize("job", sorted(perms.PERMISSIONS))
def test_the_member_role_allows_what_each_function_does_in_a_member_account(job):
    """Every cloud action a function's table needs (its state lives centrally) is allowed by ``acrguard-member``."""
    found = evaluation("acrguard-member.json")
    for row in perms.PERMISSIONS[job]:
        if row.product == "oss":
            continue  # state, config, exports: the central account's bucket, with the function's own role
        for kind in (row.resource, *row.also):
            for action in row.actions:
                decision = found.decide(action, render(kind))
                assert decision is Decision.ALLOWED, (job, action, kind.name)


def test_the_member_role_grants_no_identity_or_storage_rights():
    """The member role never writes RAM, never assumes roles, never touches OSS."""
    actions = {a.lower() for a in granted("acrguard-member.json")}
    assert not any(a.startswith(("sts:", "oss:", "fc:")) or a == "*" for a in actions)
    assert not any(a.startswith("ram:") and not a.startswith(("ram:list", "ram:get", "ram:generate")) for a in actions)
