"""What doctor calls is in its table, and docs/doctor.md gives the policy the table makes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from acrguard.deploy.callsites import SourceIndex, package_dir
from acrguard.doctor.needs import DOCTOR_CALLS, action_for, grant_hint, policy_document

REPO = Path(__file__).resolve().parents[2]
#: calls doctor sends only with a function role's credentials (``--assume-roles``), never as the operator
AS_ROLE = {("vpc", "DeleteRouteEntry"), ("cbn", "CreateTransitRouterRouteEntry"),
           ("cbn", "DeleteTransitRouterRouteEntry")}


def doctor_sites():
    sites, unresolved = SourceIndex(package_dir()).call_sites()
    assert not [u for u in unresolved if u.module.startswith("acrguard.doctor")]
    return {(s.product, s.api) for s in sites if s.module.startswith("acrguard.doctor")}


def test_every_call_in_doctor_is_in_its_table_or_made_as_a_role():
    """Each call()/call_oss() in acrguard.doctor is a row of DOCTOR_CALLS, or one of the as-the-role DryRuns."""
    rows = {(c.product, c.api) for c in DOCTOR_CALLS}
    assert doctor_sites() - rows - AS_ROLE == set()


def test_every_row_is_called_by_doctor_or_by_the_code_it_reuses():
    """No stale row: each is called in acrguard.doctor or by the readers it reuses (deploy check, discovery, RAM)."""
    reused = {("fc", "GetFunction"), ("fc", "ListTriggers"), ("fc", "GetAsyncInvokeConfig"),
              ("fc", "GetConcurrencyConfig"), ("vpc", "DescribeRouteEntryList"),
              ("cbn", "ListTransitRouterRouteEntries"), ("cr", "GetInstance"), ("cr", "GetInstanceVpcEndpoint"),
              ("ram", "GetPolicy"), ("ram", "GetPolicyVersion")}
    rows = {(c.product, c.api) for c in DOCTOR_CALLS}
    assert rows - doctor_sites() - reused == set()


def test_the_policy_allows_the_reads_and_the_dry_run_write_only():
    """The doctor policy has no wildcard action and its one write is the VBR check's DryRun CreateRouteEntry."""
    document = policy_document()
    actions = [a for statement in document["Statement"] for a in statement["Action"]]
    assert not any("*" in a for a in actions)
    writes = [a for a in actions if not a.split(":")[1].startswith(("Get", "List", "Describe"))]
    assert writes == ["vpc:CreateRouteEntry"]
    assert action_for("GetCallerIdentity") is None
    assert grant_hint("CreateRouteEntry", "vpc").startswith("grant the doctor's identity vpc:CreateRouteEntry (doctor "
                                                           "sends it with DryRun=true only)")


def test_the_doctor_page_shows_the_policy_doctor_needs():
    """docs/doctor.md (the doctor's page) holds exactly policy_document()."""
    section = (REPO / "docs" / "doctor.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", section, re.DOTALL)
    assert any(json.loads(block) == policy_document() for block in blocks)
