"""The endpoint keeper over a seeded world: every target type, through the real SDKs, local DNS and registry."""

from __future__ import annotations

import pytest
from alibabacloud_vpc20160428 import models as vpc_models

from acrguard.clients import call
from acrguard.routes.keeper import affected_instances, handle_event
from acrguard.state.document import edit_document, read_document
from support import ACCOUNT, INSTANCE_ID, REGION
from tests.routes.keeperworld import (
    ALL_PREFIXES,
    AUTH_HOST,
    AUTH_IPS,
    ENI,
    HANGZHOU_RANGES,
    MARKER,
    OSS_IP,
    SERVICE_PREFIXES,
    VBR_TABLE,
    VPN_LOCAL,
    cen_services,
    keeper_world,
    local_subnet,
    make_config,
    ours,
    tr_routes,
    vbr_routes,
    writes,
)

NEW_ENI = "192.168.10.77"
SHORT_HOLD = {"hold_runs": 1, "hold_hours": 0}


@pytest.fixture
def world():
    """One target of every type, the auth name answering round robin, the OSS domain."""
    return keeper_world()


def move_endpoint(cloud, address: str) -> None:
    """The VPC endpoint's ENI gets a new address (ACR updates its PrivateZone record too)."""
    cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].linked_vpcs[0].ip = address
    cloud.dns.set(f"testreg-registry-vpc.{REGION}.cr.aliyuncs.com", [address])


def add_vbr_route(cloud, factory, destination: str, name: str) -> None:
    """A custom route created by someone else (or by an earlier acrguard), left to settle."""
    call("vpc", "CreateRouteEntry", factory.vpc().create_route_entry,
         vpc_models.CreateRouteEntryRequest(region_id=REGION, route_table_id=VBR_TABLE,
                                            destination_cidr_block=destination, next_hop_type="RouterInterface",
                                            next_hop_id="ri-vbr1", route_entry_name=name))
    cloud.advance(3)


def test_first_run_creates_exactly_the_routes_needed_on_every_target_type(cloud, factory, sweep):
    """VBR table, CEN service access, transit router and IPsec LocalSubnet each get exactly their prefixes."""
    result = sweep()
    assert not result.failed
    assert ours(vbr_routes(factory)) == ALL_PREFIXES
    assert set(cen_services(factory)) == SERVICE_PREFIXES
    assert all(d.startswith(MARKER) for d in cen_services(factory).values())
    assert ours(tr_routes(factory)) == ALL_PREFIXES
    assert local_subnet(factory)[0] == VPN_LOCAL and set(local_subnet(factory)[1:]) == ALL_PREFIXES
    assert vbr_routes(factory)["10.0.0.0/8"] == "idc-uplink"
    assert writes(cloud).count("ModifyVpnConnectionAttribute") == 1
    notices = {f.labels["target"]: f for f in result.findings if f.rule == "routes.changed"}
    assert set(notices) == {f"vbr_route_table:{VBR_TABLE}", "cen_service:cen-1:cn-hangzhou",
                            "cen_transit_router:vtb-tr1", "vpn_connection:vco-1"}
    assert "renegotiates the IPsec tunnel" in notices["vpn_connection:vco-1"].details
    assert notices["vpn_connection:vco-1"].severity.value == "medium"


def test_second_run_makes_zero_write_calls(cloud, sweep):
    """Once converged, a run reads and writes nothing and reports no change."""
    sweep()
    mark = cloud.requests.last_seq()
    result = sweep(1)
    assert writes(cloud, mark) == []
    assert not [f for f in result.findings if f.rule.startswith("routes.changed")]
    assert not result.planned


def test_endpoint_ip_change_replaces_the_route_after_a_short_hold(cloud, factory, sweep):
    """With hold_runs 1 and hold_hours 0 the new /32 is added first, then the old one removed, everywhere."""
    sweep(safety=SHORT_HOLD)
    move_endpoint(cloud, NEW_ENI)
    mark = cloud.requests.last_seq()
    result = sweep(1, safety=SHORT_HOLD)
    expected = ALL_PREFIXES - {f"{ENI}/32"} | {f"{NEW_ENI}/32"}
    assert ours(vbr_routes(factory)) == expected and ours(tr_routes(factory)) == expected
    assert set(local_subnet(factory)[1:]) == expected
    vbr_writes = [(r.action, r.params.get("DestinationCidrBlock")) for r in
                  cloud.requests.filter(product="vpc", action=("CreateRouteEntry", "DeleteRouteEntry"), since=mark)]
    assert vbr_writes[0] == ("CreateRouteEntry", f"{NEW_ENI}/32") and vbr_writes[-1][0] == "DeleteRouteEntry"
    assert writes(cloud, mark).count("ModifyVpnConnectionAttribute") == 1
    vbr_notice = next(f for f in result.findings if f.rule == "routes.changed" and "vbr" in f.labels["target"])
    assert f"+ {NEW_ENI}/32 (vpc_endpoint)" in vbr_notice.details and f"- {ENI}/32" in vbr_notice.details


def test_endpoint_ip_change_keeps_the_old_route_for_the_default_hold(cloud, factory, sweep):
    """With the default hold (3 runs, 24 h) the old /32 stays, listed with why, until both have passed."""
    sweep()
    move_endpoint(cloud, NEW_ENI)
    result = sweep(1)
    assert {f"{ENI}/32", f"{NEW_ENI}/32"} <= ours(vbr_routes(factory))
    [vbr] = [t for t in result.runs[0].targets if t.key.startswith("vbr")]
    [kept] = vbr.kept
    assert (kept.prefix, kept.cause) == (f"{ENI}/32", "hysteresis")
    assert "2 more successful run(s) and 24.0 more hour(s)" in kept.why
    sweep(2)
    sweep(3)
    assert f"{ENI}/32" in ours(vbr_routes(factory))  # three runs, but not yet 24 hours
    sweep(26)
    assert f"{ENI}/32" not in ours(vbr_routes(factory)) and f"{NEW_ENI}/32" in ours(vbr_routes(factory))


def test_auth_address_flipping_between_two_ips_keeps_both(cloud, factory, sweep):
    """A rotating auth name seen one address per run, for days, never loses a route nor rewrites one."""
    sweep()
    mark = cloud.requests.last_seq()
    for run in range(1, 7):
        result = sweep(run * 12, queries_per_name=1)
        assert ours(vbr_routes(factory)) == ALL_PREFIXES
        assert [k.cause for t in result.runs[0].targets for k in t.kept] != []
    assert [a for a in writes(cloud, mark) if a.startswith("Delete")] == []
    assert "ModifyVpnConnectionAttribute" not in writes(cloud, mark)


@pytest.mark.parametrize("mode", ["servfail", "timeout"])
def test_dns_outage_deletes_nothing(cloud, factory, sweep, mode):
    """Days of DNS outage with the shortest hold remove no route; the families are reported uncertain."""
    sweep(safety=SHORT_HOLD)
    cloud.dns.set_outage(mode)
    mark = cloud.requests.last_seq()
    for run in (30, 60, 90):
        result = sweep(run, safety=SHORT_HOLD, queries_per_name=1, dns_timeout_s=0.1)
    assert writes(cloud, mark) == []
    assert ours(vbr_routes(factory)) == ALL_PREFIXES and set(local_subnet(factory)[1:]) == ALL_PREFIXES
    desired = result.runs[0].desired
    assert not desired.may_remove("auth") and not desired.may_remove("oss")
    rules = {(f.rule, f.labels.get("family")) for f in result.findings}
    assert ("routes.dns-unknown", "auth") in rules and ("routes.dns-unknown", "oss") in rules


def test_unreadable_oss_ranges_keep_every_oss_route(cloud, factory, sweep, tmp_path):
    """An invalid ranges file leaves OSS uncertain: its ranges stay (kept, with the reason), it is critical."""
    sweep(safety=SHORT_HOLD)
    broken = tmp_path / "ranges.json"
    broken.write_text("{not json", encoding="utf-8")
    mark = cloud.requests.last_seq()
    result = sweep(5, safety=SHORT_HOLD, oss_ranges_file=str(broken))
    assert [a for a in writes(cloud, mark) if a.startswith("Delete")] == []
    assert ours(vbr_routes(factory)) == ALL_PREFIXES | {f"{OSS_IP}/32"}  # the resolved address, as a stopgap
    [vbr] = [t for t in result.runs[0].targets if t.key.startswith("vbr")]
    assert {k.prefix for k in vbr.kept if k.cause == "uncertain"} == set(HANGZHOU_RANGES)
    assert any(f.rule == "routes.oss-ranges-invalid" and f.severity.value == "critical" for f in result.findings)


def test_unmarked_routes_are_never_touched(cloud, factory, sweep):
    """A foreign route on a desired prefix, another instance's marked route and an IDC route all stay as they are."""
    add_vbr_route(cloud, factory, "100.118.28.0/24", "ops-manual")
    add_vbr_route(cloud, factory, "100.103.1.1/32", "acrguard:otherreg:auth")
    before = vbr_routes(factory)
    mark = cloud.requests.last_seq()
    result = sweep(safety=SHORT_HOLD)
    sweep(30, safety=SHORT_HOLD)
    after = vbr_routes(factory)
    for destination in ("100.118.28.0/24", "100.103.1.1/32", "10.0.0.0/8"):
        assert after[destination] == before[destination]
    deleted = [r.params.get("RouteEntryId") for r in cloud.requests.filter(action="DeleteRouteEntry", since=mark)]
    assert deleted == []
    [refusal] = [f for f in result.findings if f.rule == "routes.refused" and f.labels["code"] == "foreign"]
    assert "100.118.28.0/24" in refusal.details and refusal.labels["target"] == f"vbr_route_table:{VBR_TABLE}"


def test_a_plan_deleting_more_than_the_share_stops_and_alerts(cloud, factory, sweep):
    """Five stale marked routes against a 30 % share: none is deleted, the adds still go, a high finding says why."""
    stale = [f"100.103.1.{i}/32" for i in range(1, 6)]
    for prefix in stale:
        add_vbr_route(cloud, factory, prefix, MARKER + "auth")
    mark = cloud.requests.last_seq()
    result = sweep(safety={**SHORT_HOLD, "max_delete_share": 0.3, "max_delete_floor": 1})
    assert writes(cloud, mark).count("DeleteRouteEntry") == 0
    assert set(stale) | ALL_PREFIXES == ours(vbr_routes(factory))
    assert result.stopped is not None and result.stopped.removals == 5
    [finding] = [f for f in result.findings if f.rule == "routes.blast-radius"]
    assert finding.severity.value == "high" and "100.103.1.1/32" in finding.details
    [vbr] = [t for t in result.runs[0].targets if t.key.startswith("vbr")]
    assert {k.prefix for k in vbr.kept if k.cause == "blast_radius"} == set(stale)


def test_removals_within_the_share_go_ahead(cloud, factory, sweep):
    """One stale marked route is within the floor: it is removed after the adds, with no blast-radius finding."""
    add_vbr_route(cloud, factory, "100.103.1.1/32", MARKER + "auth")
    result = sweep(safety=SHORT_HOLD)
    assert ours(vbr_routes(factory)) == ALL_PREFIXES
    assert result.stopped is None and not [f for f in result.findings if f.rule == "routes.blast-radius"]


def test_dry_run_writes_nothing(cloud, factory, sweep, store):
    """With dry_run the plan is made and reported, but no target, ledger or hysteresis state is written."""
    before = store.get_many(prefix="")
    result = sweep(dry_run=True)
    assert writes(cloud) == []
    assert store.get_many(prefix="") == before
    assert result.dry_run and result.planned and result.changes == []
    assert all(len(t.decision.plan.adds) > 0 for t in result.runs[0].targets)


def test_plan_writes_neither_the_cloud_nor_the_state(cloud, factory, sweep, store):
    """A preview after an address change shows the add and the hold, and leaves cloud and state untouched."""
    sweep(safety=SHORT_HOLD)
    move_endpoint(cloud, NEW_ENI)
    before = store.get_many(prefix="")  # every record with its version
    mark = cloud.requests.last_seq()
    result = sweep(1, apply=False, safety=SHORT_HOLD)
    assert writes(cloud, mark) == []
    assert store.get_many(prefix="") == before
    [vbr] = [t for t in result.runs[0].targets if t.key.startswith("vbr")]
    assert [c.prefix for c in vbr.decision.plan.adds] == [f"{NEW_ENI}/32"]
    assert [c.prefix for c in vbr.decision.plan.removes] == [f"{ENI}/32"]
    assert result.mode == "plan" and result.changes == []


def test_vpn_ledger_is_kept_in_the_state_and_only_ledger_prefixes_are_removed(cloud, factory, sweep, store):
    """The ledger lists what acrguard added; after an address change only the old ledger prefix leaves LocalSubnet."""
    sweep(safety=SHORT_HOLD)
    ledger = read_document(store)["routes"]["owned"][INSTANCE_ID]["vpn_connection:vco-1"]
    assert set(ledger) == ALL_PREFIXES
    move_endpoint(cloud, NEW_ENI)
    sweep(1, safety=SHORT_HOLD)
    ledger = read_document(store)["routes"]["owned"][INSTANCE_ID]["vpn_connection:vco-1"]
    assert f"{NEW_ENI}/32" in ledger and f"{ENI}/32" not in ledger
    assert local_subnet(factory)[0] == VPN_LOCAL and f"{ENI}/32" not in local_subnet(factory)


def test_quota_pressure_and_quota_refusals_are_reported(cloud, factory, sweep):
    """A VBR table with four free entries routes the endpoint and auth families, refuses OSS whole (four ranges do
    not fit the one entry left) and says it is nearly full."""
    targets = [{"type": "vbr_route_table", "name": "idc-vbr", "route_table_id": VBR_TABLE,
                "next_hop_id": "ri-vbr1", "quota": 5}]
    result = sweep(targets=targets)
    assert ours(vbr_routes(factory)) == {f"{ENI}/32", *(f"{a}/32" for a in AUTH_IPS)}
    rules = {f.rule: f for f in result.findings}
    assert rules["routes.refused"].labels["code"] == "quota" and rules["routes.refused"].severity.value == "high"
    assert set(rules["routes.refused"].evidence["prefixes"]) == set(HANGZHOU_RANGES)
    assert "oss needs 4 new entries but only 1 of 5 are free" in rules["routes.refused"].details
    assert rules["routes.quota-pressure"].evidence == {"used": 4, "quota": 5}


def test_unreadable_target_is_reported_and_the_others_still_converge(cloud, factory, sweep):
    """Throttled reads of the transit router leave it alone this run (transient) while the rest is routed."""
    cloud.inject(action="ListTransitRouterRouteEntries", code="Throttling.User")
    result = sweep()
    assert result.transient and result.failed
    assert ours(vbr_routes(factory)) == ALL_PREFIXES
    [finding] = [f for f in result.findings if f.rule == "routes.target-unreadable"]
    assert finding.labels["target"] == "cen_transit_router:vtb-tr1"


def test_events_select_the_instance_or_the_instances_routing_through_the_table(cloud, factory, store, waiter,
                                                                                 state_path):
    """A link event names the instance; a route-table event finds it by its target; other tables cost nothing."""
    config = make_config(cloud, state_path)
    assert affected_instances(config, [("cr-instance", INSTANCE_ID)]) == [config.instances[0]]
    assert affected_instances(config, [("route-table", VBR_TABLE)]) == [config.instances[0]]
    assert affected_instances(config, [("route-table", "vtb-other"), ("vpc", "vpc-test1")]) == []
    result = handle_event(config, factory, store, [("route-table", VBR_TABLE)], now=0.0, waiter=waiter)
    assert [run.instance_id for run in result.runs] == [INSTANCE_ID]
    assert ours(vbr_routes(factory)) == ALL_PREFIXES
    mark = cloud.requests.last_seq()
    assert handle_event(config, factory, store, [("route-table", "vtb-other")], now=0.0).runs == ()
    assert cloud.requests.last_seq() == mark


def test_auth_host_in_the_plan_json_comes_from_the_challenge(cloud, sweep):
    """The plan records where the addresses came from (the realm host and its DNS answer)."""
    data = sweep(apply=False).to_dict()
    desired = data["instances"][0]["desired"]
    assert desired["evidence"]["auth_host"] == AUTH_HOST
    assert desired["prefixes"]["auth"] == sorted(f"{a}/32" for a in AUTH_IPS)


def test_every_finding_is_in_a_scope_the_run_observed(cloud, factory, sweep, store):
    """Even when the instance is skipped (unusable hysteresis state, a target unreadable), alerting can take it all."""
    edit_document(store, lambda document: document.update(hysteresis={f"routes:{INSTANCE_ID}": "garbage"}))
    cloud.inject(action="ListTransitRouterRouteEntries", code="Throttling.User")
    result = sweep()
    assert result.runs[0].error is not None and writes(cloud) == []
    rules = {f.rule for f in result.findings}
    assert {"routes.state-unreadable", "routes.target-unreadable"} <= rules
    assert INSTANCE_ID not in result.observed_scopes
    assert {f.scope for f in result.findings} <= result.observed_scopes
