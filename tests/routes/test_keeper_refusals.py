"""The keeper and a VBR table that refuses 100.64.0.0/10: a lasting, remembered refusal with the working alternative."""

from __future__ import annotations

import pytest

from acrguard.findings import Severity
from acrguard.routes.refusals import load_refusals
from support import ACCOUNT, REGION
from tests.routes.keeperworld import (
    AUTH_HOST,
    AUTH_IPS,
    ENI,
    SERVICE_PREFIXES,
    TARGETS,
    VBR_TABLE,
    H,
    cen_services,
    keeper_world,
    ours,
    vbr_routes,
)

VBR_KEY = f"vbr_route_table:{VBR_TABLE}"
VBR_ONLY = [TARGETS[0]]
DAY_H = 24.0


@pytest.fixture
def world():
    """Every target type; the VBR table refuses destinations inside 100.64.0.0/10 (the documented rule)."""
    return keeper_world(vbr_service_range="refuse")


def vbr_creates(cloud, since: int = 0) -> list[str]:
    """Destinations of the CreateRouteEntry calls since a mark."""
    return [str(r.params.get("DestinationCidrBlock")) for r in cloud.requests.filter(action="CreateRouteEntry",
                                                                                      since=since)]


def refused_finding(result):
    [finding] = [f for f in result.findings if f.rule == "routes.refused" and f.labels.get("code") == "service_range"]
    return finding


def test_a_refusal_is_reported_not_failed_and_the_other_targets_converge(cloud, factory, sweep):
    """The VBR refusal is a finding, not a failure: nothing is retried, the ENI route and CEN access are made."""
    result = sweep()
    assert not result.failed and not result.transient
    assert ours(vbr_routes(factory)) == {f"{ENI}/32"}
    assert set(cen_services(factory)) == SERVICE_PREFIXES
    finding = refused_finding(result)
    assert set(finding.evidence["prefixes"]) == SERVICE_PREFIXES
    assert "100.64.0.0/10" in finding.details and "InvalidCidrBlock" in finding.details
    assert not [f for f in result.findings if f.rule == "routes.apply-failed"]


def test_with_cen_access_configured_the_refusal_is_harmless(cloud, sweep):
    """Another target routes auth and OSS: the finding says so (low severity) and how to silence it."""
    finding = refused_finding(sweep())
    assert finding.severity == Severity.LOW
    assert "Nothing breaks: cen-access, tr, ipsec already route auth, oss" in finding.fix
    assert "[vpc_endpoint]" in finding.fix


def test_without_an_alternative_the_finding_names_cen_cloud_service_access(cloud, sweep):
    """With only the VBR target, the refusal is high: the fix is a cen_service target (ResolveAndRouteServiceInCen)."""
    finding = refused_finding(sweep(targets=VBR_ONLY))
    assert finding.severity == Severity.HIGH
    assert "type: cen_service" in finding.fix and f"host_region_id: {REGION}" in finding.fix
    assert "ResolveAndRouteServiceInCen" in finding.fix and "families: [auth, oss]" in finding.fix


def test_the_refusal_is_remembered_and_not_written_again(cloud, factory, sweep, store):
    """The next runs plan the refusal from memory: no CreateRouteEntry for the refused prefixes, same finding."""
    first = sweep(targets=VBR_ONLY)
    assert sorted(vbr_creates(cloud)) == sorted([f"{ENI}/32", *SERVICE_PREFIXES])
    assert set(load_refusals(store)[VBR_KEY]) == SERVICE_PREFIXES
    mark = cloud.requests.last_seq()
    second = sweep(1, targets=VBR_ONLY)
    assert vbr_creates(cloud, mark) == [] and not second.failed
    assert refused_finding(second).fingerprint == refused_finding(first).fingerprint
    [target] = second.runs[0].targets
    assert {r.prefix for r in target.decision.plan.refusals} == SERVICE_PREFIXES
    assert all("not written again before" in r.reason for r in target.decision.plan.refusals)


def test_after_the_recheck_interval_the_write_is_tried_once_more(cloud, factory, sweep, store):
    """A week later each refused prefix is written once again; refused again, it is remembered anew."""
    sweep(targets=VBR_ONLY)
    mark = cloud.requests.last_seq()
    sweep(7 * DAY_H + 1, targets=VBR_ONLY)
    assert sorted(vbr_creates(cloud, mark)) == sorted(SERVICE_PREFIXES)
    assert {r.at for r in load_refusals(store)[VBR_KEY].values()} == {(7 * DAY_H + 1) * H}


def test_a_table_that_takes_the_prefixes_later_gets_them_and_is_forgotten(cloud, factory, sweep, store):
    """If the cloud's answer changes, the re-check creates the routes and the memory is dropped."""
    sweep(targets=VBR_ONLY)
    cloud.backend("vpc", ACCOUNT, REGION).tables[VBR_TABLE].service_range = "more_specific"
    result = sweep(7 * DAY_H + 1, targets=VBR_ONLY)
    assert ours(vbr_routes(factory)) == {f"{ENI}/32", *SERVICE_PREFIXES}
    assert VBR_KEY not in load_refusals(store)
    assert not [f for f in result.findings if f.rule == "routes.refused"]


@pytest.mark.parametrize("mode", ["plan", "dry_run"])
def test_previews_remember_nothing(cloud, sweep, store, mode):
    """``routes plan`` and dry_run write neither the cloud nor the refusal memory."""
    sweep(apply=mode != "plan", dry_run=mode == "dry_run", targets=VBR_ONLY)
    assert vbr_creates(cloud) == [] and load_refusals(store) == {}


def test_a_refused_add_removes_nothing_of_its_family(cloud, factory, sweep):
    """Auth routes made while the table took them stay when the new auth address is refused."""
    backend = cloud.backend("vpc", ACCOUNT, REGION)
    backend.tables[VBR_TABLE].service_range = "more_specific"
    sweep(targets=VBR_ONLY)
    old_auth = {f"{address}/32" for address in AUTH_IPS}
    assert old_auth <= ours(vbr_routes(factory))
    backend.tables[VBR_TABLE].service_range = "refuse"
    cloud.dns.set(AUTH_HOST, ["100.103.9.189"])
    result = sweep(1, targets=VBR_ONLY, safety={"hold_runs": 1, "hold_hours": 0})
    assert old_auth <= ours(vbr_routes(factory)) and not result.failed
    [target] = result.runs[0].targets
    assert [r.prefix for r in target.applied.refused] == ["100.103.9.189/32"]
    assert sorted(target.applied.kept_back) == sorted(old_auth) and not target.applied.deleted
