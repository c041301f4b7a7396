"""The keeper under hostile input and unlucky operations: what an answer, a state line or an outage cannot make it do.

Every target type, IDC exports in three formats, through the real SDKs, the local DNS and registry.
"""

from __future__ import annotations

from typing import Any

import pytest
from alibabacloud_vpc20160428 import models as vpc_models

from acrguard.clients import call
from acrguard.config import load_config_data
from acrguard.routes.keeper import run_sweep
from acrguard.routes.targets.waiting import Waiter
from acrguard.state.document import edit_document
from support import ACCOUNT, INSTANCE_ID, REGION
from tests.routes.keeperworld import (
    ALL_PREFIXES,
    AUTH_HOST,
    AUTH_IPS,
    ENI,
    HANGZHOU_RANGES,
    OSS_DOMAIN,
    OTHER_ENI,
    OTHER_ID,
    OTHER_NAME,
    VBR_TABLE,
    VPN,
    VPN_LOCAL,
    WRITE_ACTIONS,
    H,
    add_other_instance,
    cen_services,
    config_data,
    keeper_world,
    local_subnet,
    make_config,
    ours,
    tr_routes,
    vbr_routes,
    writes,
)

SHORT_HOLD = {"hold_runs": 1, "hold_hours": 0}
#: what the reviewer's hostile answer put on every target
HOSTILE = ("10.0.0.1", "8.8.8.8", "172.16.5.5", "192.168.0.1", "100.100.100.200")
VPC_DOMAIN = f"testreg-registry-vpc.{REGION}.cr.aliyuncs.com"
VPN_KEY = f"vpn_connection:{VPN}"


@pytest.fixture
def world():
    """Every target type, settling at once, and a second instance in the same region (for sharing)."""
    return add_other_instance(keeper_world(delay=0))


@pytest.fixture
def exports(tmp_path) -> list[dict[str, Any]]:
    """A Cisco route snippet, a dnsmasq file and a hosts file."""
    return [{"format": "cisco_ios", "destination": str(tmp_path / "routes.cisco"), "next_hop": "10.0.0.1"},
            {"format": "dnsmasq", "destination": str(tmp_path / "acrguard.conf")},
            {"format": "hosts", "destination": str(tmp_path / "acrguard.hosts")}]


@pytest.fixture
def sweep(cloud, factory, store, tmp_path, exports):
    """One keeper run at hour ``hours``, every target type and the exports."""
    waiter = Waiter(timeout_s=60, interval_s=1, sleep=cloud.advance)

    def run(hours: float = 0.0, **options: Any):
        config = make_config(cloud, str(tmp_path / "state.db"), exports=options.pop("exports", exports), **options)
        return run_sweep(config, factory, store, now=hours * H, waiter=waiter)

    return run


def routed(factory, tmp_path, address: str) -> list[str]:
    """Where ``address`` is routed or resolved to: targets (as a /32) and exports (a route, a record, a hosts line)."""
    where = [name for name, prefixes in (("vbr", vbr_routes(factory)), ("tr", tr_routes(factory)),
                                         ("cen", cen_services(factory)), ("vpn", local_subnet(factory)))
             if f"{address}/32" in prefixes]
    cisco = (tmp_path / "routes.cisco").read_text()
    if f"ip route {address} 255.255.255.255 " in cisco:
        where.append("cisco")
    if any(line.startswith("host-record=") and line.endswith(f",{address}") for line in dnsmasq(tmp_path).splitlines()):
        where.append("dnsmasq")
    if any(line.startswith(f"{address}\t") for line in (tmp_path / "acrguard.hosts").read_text().splitlines()):
        where.append("hosts")
    return where


def dnsmasq(tmp_path) -> str:
    return (tmp_path / "acrguard.conf").read_text()


# -- 1. DNS answers never become routes outside the documented ranges ------------------------------------------

@pytest.mark.parametrize("name", [AUTH_HOST, OSS_DOMAIN.lower()])
def test_a_hostile_answer_routes_nothing_anywhere(cloud, factory, sweep, tmp_path, name):
    """An auth or OSS answer naming the IDC's uplink, public, private and metadata addresses reaches no target and no
    export, freezes its family (not even its good address is added), and a finding names each address and the name."""
    good = "100.103.7.181" if name == AUTH_HOST else "100.118.28.7"
    cloud.dns.set(name, [good, *HOSTILE])
    result = sweep()
    assert {address: routed(factory, tmp_path, address) for address in HOSTILE} == {a: [] for a in HOSTILE}
    family = "auth" if name == AUTH_HOST else "oss"
    [finding] = [f for f in result.findings if f.rule == "routes.address-refused"]
    assert finding.labels == {"family": family, "name": name} and finding.severity.value == "high"
    assert all(address in finding.details for address in HOSTILE)
    assert result.runs[0].desired.frozen == {family}
    if family == "auth":  # the good address of the refused answer is not added either
        assert routed(factory, tmp_path, good) == []


def test_a_hostile_answer_on_a_converged_keeper_adds_and_removes_nothing(cloud, factory, sweep, tmp_path):
    """Once routed, a hostile auth answer (even with the shortest hold) neither adds nor removes a route, and the
    IPsec tunnel is not renegotiated."""
    sweep(safety=SHORT_HOLD)
    before = (ours(vbr_routes(factory)), local_subnet(factory), dnsmasq(tmp_path))
    cloud.dns.set(AUTH_HOST, ["100.103.7.181", "10.0.0.1"])
    mark = cloud.requests.last_seq()
    sweep(1, safety=SHORT_HOLD)
    assert writes(cloud, mark) == []
    assert (ours(vbr_routes(factory)), local_subnet(factory), dnsmasq(tmp_path)) == before


def test_an_endpoint_address_inside_the_idc_ranges_is_refused(cloud, factory, sweep, tmp_path):
    """The API's ENI address inside routes.idc_cidrs (or outside routes.vpc_cidrs) routes nothing for the endpoint."""
    result = sweep(idc_cidrs=["192.168.10.0/24"])
    assert routed(factory, tmp_path, ENI) == []
    finding = next(f for f in result.findings if f.rule == "routes.address-refused")
    assert finding.labels["family"] == "vpc_endpoint" and "GetInstanceVpcEndpoint" in finding.labels["name"]


# -- 2. one answer writes a bounded number of entries -----------------------------------------------------------

def test_an_answer_with_250_addresses_writes_nothing_for_its_family(cloud, factory, sweep):
    """250 addresses in 100.64.0.0/10 for the auth host make no write for auth: the answer is over the cap."""
    cloud.dns.set(AUTH_HOST, [f"100.103.{i // 250}.{i % 250 + 1}" for i in range(250)])
    result = sweep()
    auth_writes = [r for r in cloud.requests.filter(action=WRITE_ACTIONS)
                   if "100.103." in str(r.params.get("DestinationCidrBlock") or r.params.get("Host")
                                        or r.params.get("TransitRouterRouteEntryDestinationCidrBlock")
                                        or r.params.get("LocalSubnet"))]
    assert auth_writes == [] and len(ours(vbr_routes(factory))) == len(ALL_PREFIXES) - len(AUTH_IPS)
    [finding] = [f for f in result.findings if f.rule == "routes.answer-too-large"]
    assert finding.evidence["addresses"] == 250 and finding.evidence["cap"] == 8


# -- 4. an API error does not empty the IDC DNS export ----------------------------------------------------------

@pytest.mark.parametrize("fault", [{"action": "GetInstanceVpcEndpoint", "code": "Forbidden.RAM", "status": 403},
                                   {"action": "*", "product": "cr", "code": "InvalidAccessKeyId.NotFound",
                                    "status": 404},
                                   {"action": "*", "product": "cr", "code": "ServiceUnavailable", "status": 503}])
def test_an_unobservable_endpoint_keeps_its_records_in_the_exports(cloud, factory, sweep, tmp_path, fault):
    """With GetInstanceVpcEndpoint refused, wrong credentials or the endpoint down, the dnsmasq export keeps the
    registry's records and the route snippet its routes."""
    sweep()
    before = dnsmasq(tmp_path), (tmp_path / "routes.cisco").read_text()
    assert f"host-record={VPC_DOMAIN},{ENI}" in before[0]
    cloud.inject(**fault)
    result = sweep(1)
    assert (dnsmasq(tmp_path), (tmp_path / "routes.cisco").read_text()) == before
    assert not [f for f in result.findings if f.rule == "routes.changed.export"]


def test_a_rewritten_export_keeps_the_unobserved_family_and_says_so(cloud, factory, sweep, tmp_path, store):
    """When the OSS address changes while GetInstanceVpcEndpoint is refused, the export is rewritten with the new
    OSS record, the endpoint's record as last observed, and a notice naming the family kept."""
    sweep()
    cloud.inject(action="GetInstanceVpcEndpoint", code="Forbidden.RAM", status=403)
    cloud.dns.set(OSS_DOMAIN.lower(), ["100.118.28.9"])
    result = sweep(1)
    text = dnsmasq(tmp_path)
    assert f"host-record={VPC_DOMAIN},{ENI}" in text and f"host-record={OSS_DOMAIN.lower()},100.118.28.9" in text
    notice = next(f for f in result.findings if f.rule == "routes.changed.export" and f.labels["format"] == "dnsmasq")
    assert "Not observed this run: vpc_endpoint" in notice.details


def test_a_lost_memory_and_an_outage_leave_an_existing_export_alone(cloud, factory, sweep, tmp_path, store):
    """Neither observed nor remembered: the export that exists is not rewritten (held), nothing is announced."""
    sweep()
    before = dnsmasq(tmp_path)
    edit_document(store, lambda document: document["routes"].pop("exported"))
    cloud.inject(action="*", product="cr", code="ServiceUnavailable", status=503)
    cloud.dns.set(OSS_DOMAIN.lower(), ["100.118.28.9"])
    result = sweep(1)
    assert dnsmasq(tmp_path) == before
    [held] = [e for e in result.runs[0].exports if e.format == "dnsmasq"]
    assert held.held and "vpc_endpoint, auth could not be observed" in held.held and not held.written


def test_a_forged_memory_line_cannot_put_a_record_into_an_export(cloud, factory, sweep, tmp_path, store):
    """What the memory says is checked like a fresh answer: a foreign name or a hostile address is left out."""
    sweep()

    def forge(document: dict) -> None:
        document["routes"]["exported"][INSTANCE_ID]["vpc_endpoint"]["records"].update(
            {"bank.example.com": [ENI], VPC_DOMAIN: [ENI, "8.8.8.8"]})

    edit_document(store, forge)
    cloud.inject(action="GetInstanceVpcEndpoint", code="Forbidden.RAM", status=403)
    cloud.dns.set(OSS_DOMAIN.lower(), ["100.118.28.9"])
    sweep(1)
    text = dnsmasq(tmp_path)
    assert "bank.example.com" not in text and "8.8.8.8" not in text and f"host-record={VPC_DOMAIN},{ENI}" in text


# -- 7. the state is not proof of ownership; nothing skips the hold ---------------------------------------------

def add_ledger_line(store, prefix: str, family: str) -> None:
    """A forged (or corrupted) line in the IPsec ownership ledger."""
    edit_document(store, lambda document: document["routes"]["owned"][INSTANCE_ID][VPN_KEY].update({prefix: family}))


def set_local_subnet(factory, value: str) -> None:
    call("vpc", "ModifyVpnConnectionAttribute", factory.vpc().modify_vpn_connection_attribute,
         vpc_models.ModifyVpnConnectionAttributeRequest(region_id=REGION, vpn_connection_id=VPN, local_subnet=value))


def test_a_forged_ledger_line_never_removes_a_foreign_item(cloud, factory, sweep, store):
    """192.168.1.0/16-style foreign items named in a forged ledger line stay, run after run, even with the shortest
    hold; a medium finding says the ledger lists what acrguard could not have made."""
    sweep(safety=SHORT_HOLD)
    add_ledger_line(store, VPN_LOCAL, "oss")
    for hours in (1, 30, 60):
        result = sweep(hours, safety=SHORT_HOLD)
        assert VPN_LOCAL in local_subnet(factory)
    finding = next(f for f in result.findings if f.rule == "routes.ledger-unproven")
    assert finding.evidence["prefixes"] == [VPN_LOCAL]


def test_a_ledger_line_waits_for_the_hold(cloud, factory, sweep, store):
    """A plausible ledger line (an OSS-looking range someone else put in LocalSubnet) is removed only after the
    default hold: three runs and 24 hours."""
    sweep()
    set_local_subnet(factory, ",".join([*local_subnet(factory), "100.118.99.0/24"]))
    cloud.advance(60)
    add_ledger_line(store, "100.118.99.0/24", "oss")
    for hours in (1, 2, 3):
        sweep(hours)
        assert "100.118.99.0/24" in local_subnet(factory)
    sweep(30)
    assert "100.118.99.0/24" not in local_subnet(factory)


def test_a_marked_route_unknown_to_the_state_waits_for_the_hold(cloud, factory, sweep):
    """A marked entry the hysteresis never tracked (the family known to the state) is not removed at once."""
    sweep()
    call("vpc", "CreateRouteEntry", factory.vpc().create_route_entry,
         vpc_models.CreateRouteEntryRequest(region_id=REGION, route_table_id=VBR_TABLE,
                                            destination_cidr_block="100.103.1.1/32", next_hop_type="RouterInterface",
                                            next_hop_id="ri-vbr1", route_entry_name="acrguard:testreg:auth"))
    cloud.advance(3)
    for hours in (1, 2, 3):
        result = sweep(hours)
        assert "100.103.1.1/32" in vbr_routes(factory)
    kept = [k for t in result.runs[0].targets for k in t.kept if k.prefix == "100.103.1.1/32"]
    assert kept and kept[0].cause == "hysteresis"
    sweep(30)
    assert "100.103.1.1/32" not in vbr_routes(factory)


# -- 12. instances side by side share what both need -----------------------------------------------------------

@pytest.fixture
def two_instances(cloud, factory, store, tmp_path):
    """Both instances route through the VBR table and the IPsec connection; ``run(hours)`` sweeps both."""
    waiter = Waiter(timeout_s=60, interval_s=1, sleep=cloud.advance)
    shared = [{"type": "vbr_route_table", "name": "idc-vbr", "route_table_id": VBR_TABLE, "next_hop_id": "ri-vbr1"},
              {"type": "vpn_connection", "name": "ipsec", "vpn_connection_id": VPN}]

    def run(hours: float = 0.0, *, only: str | None = None, safety: dict | None = None,
            first_families: list[str] | None = None):
        data = config_data(cloud, str(tmp_path / "state.db"), targets=shared, safety=safety)
        [first] = data["instances"]
        data["instances"].append({"name": OTHER_NAME, "instance_id": OTHER_ID, "routes": {**first["routes"]}})
        if first_families is not None:
            first["routes"] = {**first["routes"], "targets": [{**t, "families": first_families} for t in shared]}
        config = load_config_data(data)
        chosen = [i for i in config.instances if only is None or i.instance_id == only]
        from acrguard.routes.keeper import Keeper

        return Keeper(config, factory, store, now=hours * H, waiter=waiter).run(chosen)

    return run


def test_two_instances_on_one_table_share_their_common_prefixes(cloud, factory, two_instances):
    """From the second run on, nothing is refused as foreign and the run does not fail; each prefix is routed once."""
    two_instances()
    mark = cloud.requests.last_seq()
    result = two_instances(1)
    assert not result.failed and writes(cloud, mark) == []
    assert not [f for f in result.findings if f.rule == "routes.refused"]
    routed = vbr_routes(factory)
    assert set(routed) >= ALL_PREFIXES | {f"{OTHER_ENI}/32"}
    assert sum(1 for p in routed if p in HANGZHOU_RANGES) == len(HANGZHOU_RANGES)


def test_a_shared_prefix_stays_while_the_other_instance_needs_it(cloud, factory, two_instances):
    """The first instance made the auth routes both use; when it stops routing auth there, the other still needs
    them, so they stay (with the shortest hold), while what nobody needs any more goes."""
    two_instances(safety=SHORT_HOLD)
    assert all(vbr_routes(factory)[f"{a}/32"] == "acrguard:testreg:auth" for a in AUTH_IPS)
    result = two_instances(1, safety=SHORT_HOLD, first_families=["vpc_endpoint", "oss"])
    assert all(f"{a}/32" in vbr_routes(factory) for a in AUTH_IPS) and not result.failed
    kept = {k.prefix: k.cause for t in result.runs[0].targets for k in t.kept}
    assert all(kept[f"{a}/32"] == "shared" for a in AUTH_IPS)
    cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].linked_vpcs[0].ip = "192.168.10.99"
    two_instances(2, safety=SHORT_HOLD, first_families=["vpc_endpoint", "oss"])
    assert f"{ENI}/32" not in vbr_routes(factory)  # needed by nobody any more: removed after the (short) hold


def test_an_instance_checked_alone_removes_nothing_from_a_shared_target(cloud, factory, two_instances):
    """A run that checks one instance only cannot know what the other needs: nothing is removed from shared targets."""
    two_instances(safety=SHORT_HOLD)
    cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].linked_vpcs[0].ip = "192.168.10.99"
    result = two_instances(1, only=INSTANCE_ID, safety=SHORT_HOLD)
    assert f"{ENI}/32" in vbr_routes(factory) and "192.168.10.99/32" in vbr_routes(factory)
    kept = [k for t in result.runs[0].targets for k in t.kept if k.prefix == f"{ENI}/32"]
    assert kept and {k.cause for k in kept} == {"shared"}


def test_a_shared_ipsec_connection_is_written_once_per_run(cloud, factory, two_instances):
    """Both instances' changes to LocalSubnet go in one write: one tunnel renegotiation per run."""
    two_instances()
    assert writes(cloud).count("ModifyVpnConnectionAttribute") == 1
    assert set(local_subnet(factory)) == {VPN_LOCAL, *ALL_PREFIXES, f"{OTHER_ENI}/32"}


def test_a_prefix_a_broader_local_subnet_item_covers_is_not_added(cloud, factory, sweep):
    """With 100.64.0.0/10 in LocalSubnet, the auth addresses and OSS ranges are not added to it again."""
    set_local_subnet(factory, f"{VPN_LOCAL},100.64.0.0/10")
    cloud.advance(60)
    sweep()
    assert local_subnet(factory) == [VPN_LOCAL, "100.64.0.0/10", f"{ENI}/32"]


# -- 13. a family is added whole or not at all --------------------------------------------------------------------

def test_one_free_entry_adds_no_part_of_a_bigger_family(cloud, factory, sweep):
    """With one free entry and the four OSS ranges to add, no OSS range is written; the refusal says free and needed."""
    targets = [{"type": "vbr_route_table", "name": "idc-vbr", "route_table_id": VBR_TABLE, "next_hop_id": "ri-vbr1",
                "quota": 5, "families": ["oss"]}]
    for n in range(3):
        call("vpc", "CreateRouteEntry", factory.vpc().create_route_entry,
             vpc_models.CreateRouteEntryRequest(region_id=REGION, route_table_id=VBR_TABLE,
                                                destination_cidr_block=f"10.{n + 1}.0.0/16",
                                                next_hop_type="RouterInterface", next_hop_id="ri-idc"))
    cloud.advance(3)
    result = sweep(targets=targets, exports=[])
    assert ours(vbr_routes(factory)) == set()
    refusal = next(f for f in result.findings if f.rule == "routes.refused")
    assert "oss needs 4 new entries but only 1 of 5 are free" in refusal.details
