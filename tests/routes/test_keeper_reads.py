"""What the keeper reads, and when: side by side across targets, only the named table on an event, one
read-modify-write at a time on a target that several instances share."""

from __future__ import annotations

from collections import Counter

import pytest
from alibabacloud_vpc20160428 import models as vpc_models

from acrguard.clients import call
from acrguard.config import load_config_data
from acrguard.routes import findings as notes
from acrguard.routes.keeper import handle_event, run_sweep
from acrguard.state.document import read_document
from support import INSTANCE_ID, REGION
from tests.routes.keeperworld import (
    ALL_PREFIXES,
    AUTH_HOST,
    AUTH_IPS,
    ENI,
    OTHER_ENI,
    OTHER_ID,
    OTHER_NAME,
    VBR_TABLE,
    VPN,
    VPN_LOCAL,
    add_other_instance,
    config_data,
    keeper_world,
    local_subnet,
    make_config,
    ours,
    vbr_routes,
)

#: the first read of every target type
TARGET_READS = ("DescribeRouteEntryList", "DescribeRouteServicesInCen", "ListTransitRouterRouteEntries",
                "DescribeVpnConnection")
SLOW_MS = 300


@pytest.fixture
def world():
    """Every target type, settling at once, and a second instance in the same region."""
    return add_other_instance(keeper_world(delay=0))


def actions(cloud, since: int) -> Counter[str]:
    return Counter(r.action for r in cloud.requests.filter(since=since))


def delete_our_eni_route(cloud, factory) -> None:
    """Someone deletes acrguard's route to the VPC endpoint from the VBR table."""
    rows = call("vpc", "DescribeRouteEntryList", factory.vpc().describe_route_entry_list,
                vpc_models.DescribeRouteEntryListRequest(region_id=REGION, route_table_id=VBR_TABLE,
                                                         destination_cidr_block=f"{ENI}/32"))
    call("vpc", "DeleteRouteEntry", factory.vpc().delete_route_entry,
         vpc_models.DeleteRouteEntryRequest(region_id=REGION, route_table_id=VBR_TABLE,
                                            route_entry_id=rows.route_entrys.route_entry[0].route_entry_id))


def test_the_targets_are_read_side_by_side(cloud, factory, store, waiter, tmp_path):
    """With 300 ms on the first read of each target type, the four reads finish together, not one after another."""
    for action in TARGET_READS:
        cloud.inject(action=action, latency_ms=SLOW_MS, times=1)
    result = run_sweep(make_config(cloud, str(tmp_path / "state.db")), factory, store, now=0.0, waiter=waiter)
    assert not result.failed and ours(vbr_routes(factory)) == ALL_PREFIXES
    first = [cloud.requests.filter(action=action)[0].time for action in TARGET_READS]
    assert max(first) - min(first) < SLOW_MS / 1000
    # the instance is discovered while its targets are read: its answer comes before theirs (times are answers)
    assert cloud.requests.filter(action="GetInstanceVpcEndpoint")[0].time < min(first)


def test_a_route_table_event_reads_only_that_table_and_reports_only_what_it_did(cloud, factory, store, waiter,
                                                                                tmp_path):
    """After a sweep, a hand-deleted route is restored by reading the instance and the one table the event names."""
    config = make_config(cloud, str(tmp_path / "state.db"))
    run_sweep(config, factory, store, now=0.0, waiter=waiter)
    delete_our_eni_route(cloud, factory)
    mark = cloud.requests.last_seq()
    result = handle_event(config, factory, store, [("route-table", VBR_TABLE)], now=60.0, waiter=waiter)
    made = actions(cloud, mark)
    assert ours(vbr_routes(factory)) == ALL_PREFIXES
    assert made == Counter({"GetInstance": 1, "GetInstanceVpcEndpoint": 1, "DescribeRouteEntryList": 2,
                            "CreateRouteEntry": 1})  # the read, then one status poll of the write
    [run] = result.runs
    assert run.partial and [t.key for t in run.targets] == [f"vbr_route_table:{VBR_TABLE}"]
    assert INSTANCE_ID not in result.observed_scopes  # the other targets were not looked at this time
    [notice] = result.findings
    assert notice.rule == "routes.changed" and notice.scope == notes.run_scope(INSTANCE_ID)
    assert f"+ {ENI}/32" in notice.details


def test_a_route_table_event_on_a_new_state_reads_every_target(cloud, factory, store, waiter, tmp_path):
    """Before the state knows the instance's addresses, an event reads every target, as a sweep would."""
    config = make_config(cloud, str(tmp_path / "state.db"))
    mark = cloud.requests.last_seq()
    result = handle_event(config, factory, store, [("route-table", VBR_TABLE)], now=0.0, waiter=waiter)
    assert not result.runs[0].partial and INSTANCE_ID in result.observed_scopes
    assert all(actions(cloud, mark)[action] >= 1 for action in TARGET_READS)


def test_an_instance_event_still_reads_every_target(cloud, factory, store, waiter, tmp_path):
    """A link event names the instance: every target is read again, and the instance's findings are complete."""
    config = make_config(cloud, str(tmp_path / "state.db"))
    run_sweep(config, factory, store, now=0.0, waiter=waiter)
    mark = cloud.requests.last_seq()
    result = handle_event(config, factory, store, [("cr-instance", INSTANCE_ID), ("route-table", VBR_TABLE)],
                          now=60.0, waiter=waiter)
    assert not result.runs[0].partial and INSTANCE_ID in result.observed_scopes
    assert all(actions(cloud, mark)[action] == 1 for action in TARGET_READS)


def test_two_instances_sharing_a_connection_write_it_once(cloud, factory, store, waiter, tmp_path):
    """Both instances' prefixes end up in LocalSubnet in one write: the tunnel renegotiates once per run."""
    data = config_data(cloud, str(tmp_path / "state.db"))
    [first] = data["instances"]
    vpn_only = [{"type": "vpn_connection", "name": "ipsec", "vpn_connection_id": VPN, "families": ["vpc_endpoint"]}]
    data["instances"].append({"name": OTHER_NAME, "instance_id": OTHER_ID,
                              "routes": {**first["routes"], "targets": vpn_only}})
    cloud.inject(action="ModifyVpnConnectionAttribute", latency_ms=SLOW_MS, times=1)
    result = run_sweep(load_config_data(data), factory, store, now=0.0, waiter=waiter)
    vpn = [r.action for r in cloud.requests.filter(action=("DescribeVpnConnection", "ModifyVpnConnectionAttribute"))]
    assert not result.failed
    assert set(local_subnet(factory)) == {VPN_LOCAL, *ALL_PREFIXES, f"{OTHER_ENI}/32"}
    # each instance's plan read, then once for both: the read, the (slow) write, the read-back
    assert vpn == ["DescribeVpnConnection"] * 2 + ["DescribeVpnConnection", "ModifyVpnConnectionAttribute",
                                                   "DescribeVpnConnection"]
    ledgers = read_document(store)["routes"]["owned"]
    assert set(ledgers[INSTANCE_ID][f"vpn_connection:{VPN}"]) == ALL_PREFIXES
    assert set(ledgers[OTHER_ID][f"vpn_connection:{VPN}"]) == {f"{OTHER_ENI}/32"}


def test_instances_checked_side_by_side_resolve_the_shared_auth_name_once(cloud, factory, store, waiter, tmp_path):
    """Two instances on the same round-robin auth name get the same, complete answer from one set of queries.

    Asked separately and at the same time, they would split the name's answers between them and each
    route only part of the auth service's addresses.
    """
    data = config_data(cloud, str(tmp_path / "state.db"))
    [first] = data["instances"]
    data["instances"].append({"name": OTHER_NAME, "instance_id": OTHER_ID, "routes": first["routes"]})
    config = load_config_data(data)
    before = cloud.dns.queries.count(AUTH_HOST + ".")
    result = run_sweep(config, factory, store, now=0.0, waiter=waiter)
    assert not result.failed
    assert cloud.dns.queries.count(AUTH_HOST + ".") - before == config.instances[0].routes.queries_per_name
    auth = sorted(f"{address}/32" for address in AUTH_IPS)
    assert [sorted(run.desired.for_family("auth")) for run in result.runs] == [auth] * 2
