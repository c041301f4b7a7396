"""Desired prefixes per family: discovery + resolution + hysteresis, pure and against the local cloud."""

from __future__ import annotations

import dataclasses
import json

import pytest

from acrguard.addresses import AddressRules, networks
from acrguard.config import load_config_data
from acrguard.findings import Severity
from acrguard.hysteresis import HoldPolicy, HysteresisTracker, Observation, Tracked
from acrguard.resolve import NoSuchName, Resolved, Unknown
from acrguard.routes.desired import (
    InstanceObservations,
    accept_answers,
    desire,
    desired_prefixes,
    hysteresis_scope,
    live_addresses,
    observe_instance,
    outcome_observation,
    routable,
)
from acrguard.routes.oss_ranges import load_oss_ranges
from acrguard.state.sqlite import SqliteStateStore
from support import ACCOUNT, INSTANCE_ID, INSTANCE_NAME, REGION, base_world

H = 3600.0
POLICY = HoldPolicy(runs=3, hours=24)
HANGZHOU = load_oss_ranges().for_region("cn-hangzhou")
HANGZHOU_RANGES = {"100.118.28.0/24", "100.114.102.0/24", "100.98.170.0/24", "100.118.31.0/24"}
AUTH_HOST = f"dockerauth-ee-vpc.{REGION}.aliyuncs.com"
AUTH_IPS = {"100.103.9.188", "100.103.7.181"}
OSS_DOMAIN = f"{INSTANCE_ID}-registry.oss-{REGION}-internal.aliyuncs.com"
ENI = "192.168.10.21"


# -- pure ----------------------------------------------------------------------------------------

SEEN_VPC = Observation.success({ENI})
SEEN_AUTH = Observation.success(AUTH_IPS)
SEEN_OSS = Observation.success({"100.118.28.7"})


def observed(vpc=SEEN_VPC, auth=SEEN_AUTH, oss=SEEN_OSS, ranges=HANGZHOU, findings=()) -> InstanceObservations:
    """Observations of one run for the test instance."""
    return InstanceObservations("testreg", INSTANCE_ID, REGION, {"vpc_endpoint": vpc, "auth": auth, "oss": oss},
                                ranges, OSS_DOMAIN, tuple(findings))


def test_first_run_adds_every_family():
    """Host routes for the endpoint and auth addresses, the region's ranges for OSS; all certain."""
    desired, state = desire(observed(), {}, 0.0, POLICY)
    assert desired.prefixes == {"vpc_endpoint": {f"{ENI}/32"}, "auth": {f"{a}/32" for a in AUTH_IPS},
                                "oss": HANGZHOU_RANGES}
    assert desired.certain == {"vpc_endpoint", "auth", "oss"}
    assert desired.held == () and desired.released == () and desired.findings == ()
    assert set(state["auth"]) == AUTH_IPS
    assert desired.all_prefixes() == {f"{ENI}/32", *(f"{a}/32" for a in AUTH_IPS), *HANGZHOU_RANGES}
    assert (f"{ENI}/32", "vpc_endpoint") in desired.pairs() and ("100.118.28.0/24", "oss") in desired.pairs()
    assert len(desired.pairs()) == 7


def test_missing_address_is_held_with_the_reason():
    """An address absent from a successful observation stays desired and is listed as held, with why."""
    _, state = desire(observed(), {}, 0.0, POLICY)
    desired, _ = desire(observed(auth=Observation.success({"100.103.9.188"})), state, 2 * H, POLICY)
    assert desired.for_family("auth") == {f"{a}/32" for a in AUTH_IPS}
    [held] = desired.held
    assert (held.family, held.address, held.prefix, held.misses) == ("auth", "100.103.7.181", "100.103.7.181/32", 1)
    assert "absent from 1 successful observation(s) since 1970-01-01T02:00:00Z" in held.why
    assert "2 more successful run(s) and 24.0 more hour(s)" in held.why


def test_address_is_released_after_runs_and_hours():
    """After hold_runs misses over hold_hours the address leaves the desired set and is listed as released."""
    _, state = desire(observed(), {}, 0.0, POLICY)
    only_one = observed(auth=Observation.success({"100.103.9.188"}))
    for moment in (1 * H, 2 * H, 3 * H):
        desired, state = desire(only_one, state, moment, POLICY)
    assert "100.103.7.181/32" in desired.for_family("auth")
    desired, state = desire(only_one, state, 25 * H, POLICY)
    assert desired.for_family("auth") == {"100.103.9.188/32"}
    assert [(r.family, r.prefix) for r in desired.released] == [("auth", "100.103.7.181/32")]
    assert "100.103.7.181" not in state["auth"]


def test_unknown_families_keep_everything_and_are_not_certain():
    """A failed observation keeps every tracked address and forbids removals in that family."""
    _, state = desire(observed(), {}, 0.0, POLICY)
    unknown = Observation.unknown()
    desired, new_state = desire(observed(vpc=unknown, auth=unknown, oss=unknown), state, 99 * H, POLICY)
    assert desired.for_family("auth") == {f"{a}/32" for a in AUTH_IPS}
    assert desired.for_family("vpc_endpoint") == {f"{ENI}/32"}
    assert desired.certain == frozenset()
    assert not desired.may_remove("auth") and not desired.may_remove("oss")
    assert new_state["auth"] == state["auth"]


def test_oss_address_outside_the_ranges_refuses_the_answer_and_freezes_oss():
    """A resolved OSS address outside the published ranges is not routed: the family is frozen, with a finding."""
    desired, state = desire(observed(oss=Observation.success({"100.118.28.7", "100.103.5.5"})), {}, 0.0, POLICY)
    assert desired.frozen == {"oss"} and not desired.may_add("oss") and not desired.may_remove("oss")
    assert "100.103.5.5/32" not in desired.for_family("oss")
    [finding] = desired.findings
    assert finding.rule == "routes.address-refused" and finding.severity is Severity.HIGH
    assert finding.labels == {"family": "oss", "name": OSS_DOMAIN}
    assert "100.103.5.5: outside the region's published OSS VIP ranges" in finding.details
    assert state["oss"] == {}  # nothing of the refused answer is tracked, not even its good address


def test_tracked_addresses_that_fail_the_rules_are_no_longer_desired():
    """An address tracked before the rules (an earlier version's temporary OSS /32, a hostile auth answer) goes."""
    tracked = {"auth": {"10.0.0.1": Tracked(0.0, 0.0), "100.103.9.188": Tracked(0.0, 0.0)},
               "oss": {"100.103.5.5": Tracked(0.0, 0.0)}}
    desired, _ = desire(observed(auth=Observation.success({"100.103.9.188"})), tracked, H, POLICY)
    assert desired.for_family("auth") == {"100.103.9.188/32"}
    assert desired.for_family("oss") == HANGZHOU_RANGES


def test_region_without_ranges_routes_resolved_addresses_and_is_uncertain():
    """Without published ranges OSS gets only host routes, and a plan may not remove OSS prefixes."""
    desired, _ = desire(observed(ranges=None), {}, 0.0, POLICY)
    assert desired.for_family("oss") == {"100.118.28.7/32"}
    assert not desired.may_remove("oss")
    assert [f.rule for f in desired.findings] == []  # the missing-ranges finding is raised by observe_instance


def test_live_host_routes_unknown_to_the_state_are_adopted_not_dropped():
    """After a lost state, a marked /32 still on a target is held through the usual hysteresis."""
    live = {"auth": ["100.103.7.181/32", "100.103.9.188/32"], "oss": sorted(HANGZHOU_RANGES)}
    only_one = observed(auth=Observation.success({"100.103.9.188"}))
    desired, state = desire(only_one, {}, 0.0, POLICY, live=live)
    assert desired.for_family("auth") == {"100.103.7.181/32", "100.103.9.188/32"}
    assert [h.address for h in desired.held] == ["100.103.7.181"]
    assert set(state["oss"]) == {"100.118.28.7"}  # ranges are not tracked


def test_live_addresses_keeps_only_host_routes():
    """live_addresses() turns /32 prefixes into addresses and ignores ranges and garbage."""
    assert live_addresses({"oss": ["100.118.28.0/24", "100.100.5.5/32", "bogus"], "auth": ["192.0.2.1"]}) == \
        {"oss": {"100.100.5.5"}, "auth": {"192.0.2.1"}}
    assert live_addresses(None) == {}


@pytest.mark.parametrize("address", ["127.0.0.1", "0.0.0.0", "224.0.0.1", "169.254.169.254", "255.255.255.255",
                                     "240.0.0.1", "::1", "not-an-ip"])
def test_unroutable_addresses_are_refused(address):
    """Loopback, unspecified, multicast, link-local, reserved and non-IPv4 addresses are never routed."""
    assert not routable(address)
    _, before = desire(observed(), {}, 0.0, POLICY)
    desired, state = desire(observed(auth=Observation.success({address, "100.103.9.188"})), before, H, POLICY)
    assert desired.for_family("auth") == {f"{a}/32" for a in AUTH_IPS}  # what was desired stays, nothing is added
    assert desired.frozen == {"auth"} and "auth" not in desired.certain
    assert [f.rule for f in desired.findings] == ["routes.address-refused"]
    assert address not in state["auth"] and state["auth"] == before["auth"]


@pytest.mark.parametrize(("family", "address"), [
    ("auth", "10.0.0.1"), ("auth", "8.8.8.8"), ("auth", "172.16.5.5"), ("auth", "192.168.0.1"),
    ("auth", "100.100.100.200"), ("oss", "10.0.0.1"), ("oss", "8.8.8.8"), ("oss", "100.100.100.200"),
    ("oss", "100.103.9.188"), ("vpc_endpoint", "8.8.8.8"), ("vpc_endpoint", "100.103.9.188"),
    ("vpc_endpoint", "10.0.0.1"),
])
def test_hostile_answers_route_nothing_and_name_the_address_and_the_answerer(family, address):
    """An auth or OSS answer outside 100.64.0.0/10 (or inside 100.100.0.0/16, or outside the OSS ranges), or an
    endpoint address outside the VPC ranges or inside the IDC's, freezes the family: nothing is added for it."""
    rules = AddressRules(oss_ranges=HANGZHOU.ranges, idc_ranges=networks(["10.0.0.0/8"]))
    good = {"auth": "100.103.9.188", "oss": "100.118.28.7", "vpc_endpoint": ENI}[family]
    answer = observed(**{{"vpc_endpoint": "vpc"}.get(family, family): Observation.success({good, address})})
    clean = accept_answers(dataclasses.replace(answer, evidence={"auth_host": AUTH_HOST}), rules)
    assert clean.frozen == {family} and clean.observation(family).is_unknown
    [finding] = clean.findings
    assert finding.severity is Severity.HIGH and address in finding.title and address in finding.details
    name = {"auth": AUTH_HOST, "oss": OSS_DOMAIN}.get(family, f"GetInstanceVpcEndpoint (LinkedVpcs[].Ip of "
                                                              f"{INSTANCE_ID})")
    assert finding.labels["name"] == name and name in finding.title


def test_an_answer_with_more_addresses_than_the_cap_is_refused_whole():
    """250 good-looking auth addresses are more than one name may answer: nothing is added, one finding says why."""
    many = {f"100.103.{i // 250}.{i % 250 + 1}" for i in range(250)}
    clean = accept_answers(observed(auth=Observation.success(many)), AddressRules(oss_ranges=HANGZHOU.ranges, cap=8))
    assert clean.frozen == {"auth"} and clean.observation("auth").is_unknown
    [finding] = clean.findings
    assert finding.rule == "routes.answer-too-large" and "250 addresses" in finding.title
    assert finding.evidence["cap"] == 8
    within = accept_answers(observed(auth=Observation.success(sorted(many)[:8])), AddressRules(cap=8))
    assert within.frozen == frozenset()


@pytest.mark.parametrize(("outcome", "expected"), [
    (Resolved("n", frozenset({"192.0.2.1"})), Observation.success({"192.0.2.1"})),
    (Resolved("n", frozenset({"192.0.2.1"}), (), 3, ("timeout",)), Observation.partial({"192.0.2.1"})),
    (NoSuchName("n", "nxdomain"), Observation.unknown()),
    (NoSuchName("n", "no-data"), Observation.unknown()),
    (Unknown("n", "servfail"), Observation.unknown()),
])
def test_only_successful_answers_are_observations(outcome, expected):
    """NXDOMAIN, empty and failed lookups are unknown; a partial answer adds but does not miss."""
    assert outcome_observation(outcome) == expected


def test_plan_data_is_plain_json():
    """to_dict() gives sorted, JSON-serializable data with the held reasons."""
    _, state = desire(observed(), {}, 0.0, POLICY)
    desired, _ = desire(observed(vpc=Observation.success({"192.168.10.99"})), state, H, POLICY)
    data = json.loads(json.dumps(desired.to_dict()))
    assert data["prefixes"]["vpc_endpoint"] == ["192.168.10.21/32", "192.168.10.99/32"]
    assert data["held"][0]["prefix"] == "192.168.10.21/32" and "absent from 1" in data["held"][0]["why"]


# -- against the local cloud -----------------------------------------------------------------------

@pytest.fixture
def world():
    """The base world plus the auth host (round robin) and the OSS internal domain."""
    data = base_world()
    data["dns"]["records"].update({
        AUTH_HOST: {"A": sorted(AUTH_IPS), "rotate": True},
        OSS_DOMAIN.lower(): {"CNAME": f"oss-{REGION}-internal.aliyuncs.com"},
        f"oss-{REGION}-internal.aliyuncs.com": {"A": ["100.118.28.7"]},
    })
    return data


def make_config(cloud, **routes):
    """A config for the test instance, resolving and probing through the local cloud."""
    host, port = cloud.endpoints()["dns"].split(":")
    settings = {"nameservers": [host], "dns_port": int(port), "queries_per_name": 4, "dns_timeout_s": 0.3,
                "registry_probe_address": cloud.endpoints()["registry"], "registry_probe_scheme": "http",
                "registry_probe_timeout_s": 2, **routes}
    return load_config_data({"cloud": {"region": REGION},
                             "instances": [{"name": "testreg", "instance_id": INSTANCE_ID, "routes": settings}]})


@pytest.fixture
def tracker(tmp_path):
    """A hysteresis tracker on a SQLite state file."""
    store = SqliteStateStore(tmp_path / "state.db")
    yield HysteresisTracker(store, POLICY)
    store.close()


def run(cloud, factory, tracker, now, config=None, **kwargs):
    """One keeper run for the test instance at time ``now``."""
    config = config or make_config(cloud)
    return desired_prefixes(config, config.instances[0], factory, tracker, now=now, **kwargs)


def test_first_run_discovers_all_three_families(cloud, factory, tracker):
    """The endpoint ENI, both round-robin auth addresses and the Hangzhou OSS ranges, all certain."""
    desired = run(cloud, factory, tracker, 0.0)
    assert desired.prefixes == {"vpc_endpoint": {f"{ENI}/32"}, "auth": {f"{a}/32" for a in AUTH_IPS},
                                "oss": HANGZHOU_RANGES}
    assert desired.certain == {"vpc_endpoint", "auth", "oss"}
    assert desired.findings == ()
    assert desired.evidence["auth_host"] == AUTH_HOST and desired.evidence["oss_domain"] == OSS_DOMAIN
    assert "oss_ranges" in desired.evidence
    assert set(tracker.current(hysteresis_scope(INSTANCE_ID), "auth")) == AUTH_IPS


def test_auth_address_flipping_between_runs_keeps_both(cloud, factory, tracker):
    """With one query per run a rotating auth name shows one address per run; both stay desired."""
    config = make_config(cloud, queries_per_name=1)
    run(cloud, factory, tracker, 0.0, config)
    for index in range(1, 6):
        desired = run(cloud, factory, tracker, index * 12 * H, config)
        assert desired.for_family("auth") == {f"{a}/32" for a in AUTH_IPS}
        [held] = desired.held  # the address this run did not see, missed once
        assert held.family == "auth" and held.misses == 1
        assert desired.released == ()


@pytest.mark.parametrize("mode", ["timeout", "servfail"])
def test_dns_outage_removes_nothing(cloud, factory, tracker, mode):
    """During a DNS outage, days later, every prefix stays desired; DNS families are uncertain and reported."""
    first = run(cloud, factory, tracker, 0.0)
    cloud.dns.set_outage(mode)
    for moment in (30 * H, 60 * H, 90 * H, 120 * H):
        desired = run(cloud, factory, tracker, moment, make_config(cloud, queries_per_name=1, dns_timeout_s=0.1))
    assert desired.prefixes == first.prefixes
    assert desired.released == ()
    assert desired.certain == {"vpc_endpoint"}
    rules = {(f.rule, f.labels.get("family")) for f in desired.findings}
    assert {("routes.dns-unknown", "auth"), ("routes.dns-unknown", "oss")} <= rules


def test_nxdomain_for_the_auth_host_is_reported_and_removes_nothing(cloud, factory, tracker):
    """An auth host that stops existing is a finding and unknown, not a removal."""
    run(cloud, factory, tracker, 0.0)
    cloud.dns.remove(AUTH_HOST)
    for moment in (30 * H, 60 * H, 90 * H, 120 * H):
        desired = run(cloud, factory, tracker, moment)
    assert desired.for_family("auth") == {f"{a}/32" for a in AUTH_IPS}
    assert not desired.may_remove("auth")
    assert any(f.rule == "routes.dns-no-such-name" and f.labels["name"] == AUTH_HOST for f in desired.findings)


def test_vpc_endpoint_address_change_adds_at_once_and_removes_after_the_hold(cloud, factory, tracker):
    """A new ENI address is desired immediately; the old one is held, then released after runs and hours."""
    run(cloud, factory, tracker, 0.0)
    cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].linked_vpcs[0].ip = "192.168.10.77"
    desired = run(cloud, factory, tracker, 1 * H)
    assert desired.for_family("vpc_endpoint") == {"192.168.10.21/32", "192.168.10.77/32"}
    assert [h.prefix for h in desired.held] == ["192.168.10.21/32"]
    run(cloud, factory, tracker, 2 * H)
    desired = run(cloud, factory, tracker, 26 * H)
    assert desired.for_family("vpc_endpoint") == {"192.168.10.77/32"}
    assert [r.prefix for r in desired.released] == ["192.168.10.21/32"]


def test_eni_issue_never_withdraws_the_route(cloud, factory, tracker):
    """An endpoint reporting an Issue keeps its last address however long it lasts."""
    run(cloud, factory, tracker, 0.0)
    linked = cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].linked_vpcs[0]
    linked.issue, linked.ip = "ENI_DELETED", ""
    for moment in (30 * H, 60 * H, 90 * H, 120 * H):
        desired = run(cloud, factory, tracker, moment)
    assert desired.for_family("vpc_endpoint") == {f"{ENI}/32"}
    assert not desired.may_remove("vpc_endpoint")
    assert any(f.rule == "routes.endpoint-issue" for f in desired.findings)


def test_refused_realm_leaves_auth_unknown(cloud, factory, tracker):
    """A realm for another region is a finding; the auth routes stay as they were."""
    run(cloud, factory, tracker, 0.0)
    cloud.registry.set(f"{INSTANCE_NAME}-registry-vpc.{REGION}.cr.aliyuncs.com",
                       "https://dockerauth-ee-vpc.cn-shanghai.aliyuncs.com/auth", "registry.aliyuncs.com:x")
    for moment in (30 * H, 60 * H, 90 * H, 120 * H):
        desired = run(cloud, factory, tracker, moment)
    assert desired.for_family("auth") == {f"{a}/32" for a in AUTH_IPS}
    assert "auth" not in desired.certain
    assert any(f.rule == "routes.auth-realm-refused" for f in desired.findings)


def test_oss_address_outside_the_ranges_is_refused_and_reported(cloud, factory, tracker):
    """An OSS domain resolving outside the region's ranges routes nothing new and names the address and domain."""
    cloud.dns.set(f"oss-{REGION}-internal.aliyuncs.com", ["100.100.77.7"])
    desired = run(cloud, factory, tracker, 0.0)
    assert desired.for_family("oss") == HANGZHOU_RANGES and desired.frozen == {"oss"}
    finding = next(f for f in desired.findings if f.rule == "routes.address-refused")
    assert finding.labels == {"family": "oss", "name": OSS_DOMAIN.lower()} and "100.100.77.7" in finding.details


def test_the_cap_comes_from_the_routes_config(cloud, factory, tracker):
    """routes.max_addresses_per_name bounds the auth answer; the default of 8 takes the world's two addresses."""
    assert run(cloud, factory, tracker, 0.0, commit=False).frozen == frozenset()
    capped = run(cloud, factory, tracker, 0.0, config=make_config(cloud, max_addresses_per_name=1), commit=False)
    assert capped.frozen == {"auth"} and capped.for_family("auth") == frozenset()


def test_vpc_cidrs_and_idc_cidrs_judge_the_endpoint_address(cloud, factory, tracker):
    """The ENI (192.168.10.21) is refused outside routes.vpc_cidrs or inside routes.idc_cidrs."""
    outside = run(cloud, factory, tracker, 0.0, config=make_config(cloud, vpc_cidrs=["172.16.0.0/12"]), commit=False)
    assert outside.frozen == {"vpc_endpoint"} and outside.for_family("vpc_endpoint") == frozenset()
    idc = run(cloud, factory, tracker, 0.0, config=make_config(cloud, idc_cidrs=["192.168.10.0/24"]), commit=False)
    assert idc.frozen == {"vpc_endpoint"}
    inside = run(cloud, factory, tracker, 0.0, config=make_config(cloud, vpc_cidrs=["192.168.0.0/16"]), commit=False)
    assert inside.frozen == frozenset() and inside.for_family("vpc_endpoint") == {f"{ENI}/32"}


def test_custom_bucket_domain_is_resolved(cloud, factory, tracker):
    """With instances[].oss_bucket the bucket's internal domain is the one resolved."""
    cloud.dns.set(f"my-layers.oss-{REGION}-internal.aliyuncs.com", ["100.98.170.20"])
    config = make_config(cloud)
    data = config.model_dump(mode="json")
    data["instances"][0]["oss_bucket"] = "my-layers"
    config = load_config_data(data)
    desired = run(cloud, factory, tracker, 0.0, config)
    assert desired.evidence["oss_domain"] == f"my-layers.oss-{REGION}-internal.aliyuncs.com"
    assert desired.for_family("oss") == HANGZHOU_RANGES and "oss" in desired.certain


def test_ranges_file_override_is_used(cloud, factory, tracker, tmp_path):
    """routes.oss_ranges_file replaces the shipped ranges (and its version shows in the evidence)."""
    path = tmp_path / "ranges.json"
    path.write_text(json.dumps({"format": 1, "version": "local-7", "source": "https://example.com/vips",
                                "retrieved": "2026-11-01", "regions": {REGION: {"ranges": ["100.118.28.0/24"]}}}))
    desired = run(cloud, factory, tracker, 0.0, make_config(cloud, oss_ranges_file=str(path)))
    assert desired.for_family("oss") == {"100.118.28.0/24"}
    assert "local-7" in desired.evidence["oss_ranges"]


def test_ranges_file_without_the_region_is_reported(cloud, factory, tracker, tmp_path):
    """A ranges table lacking the region gives a finding, host routes only, and no OSS removals."""
    path = tmp_path / "ranges.json"
    path.write_text(json.dumps({"format": 1, "version": "v", "source": "https://example.com/vips",
                                "retrieved": "2026-11-01", "regions": {"cn-shanghai": {"ranges": ["100.98.35.0/24"]},
                                                                       REGION: None}}))
    desired = run(cloud, factory, tracker, 0.0, make_config(cloud, oss_ranges_file=str(path)))
    assert desired.for_family("oss") == {"100.118.28.7/32"}
    assert not desired.may_remove("oss")
    assert [(f.rule, f.severity) for f in desired.findings] == [("routes.oss-ranges-missing", Severity.HIGH)]


def test_region_listed_without_ranges_says_why(cloud, factory, tracker, tmp_path):
    """A region the table lists with ``"ranges": null`` and a note is missing, and the finding quotes the note."""
    path = tmp_path / "ranges.json"
    path.write_text(json.dumps({"format": 1, "version": "v", "source": "https://example.com/vips",
                                "retrieved": "2026-11-01",
                                "regions": {REGION: {"ranges": None, "note": "VIP ranges not supported"}}}))
    desired = run(cloud, factory, tracker, 0.0, make_config(cloud, oss_ranges_file=str(path)))
    [finding] = [f for f in desired.findings if f.rule == "routes.oss-ranges-missing"]
    assert "publishes no VIP ranges for it: VIP ranges not supported" in finding.details
    assert finding.evidence["absence"].endswith("VIP ranges not supported")


def test_published_ranges_outside_the_service_space_are_routed_and_reported(cloud, factory, tracker, tmp_path):
    """A range outside 100.64.0.0/10 is kept as published (desired) and reported, never dropped."""
    path = tmp_path / "ranges.json"
    path.write_text(json.dumps({"format": 1, "version": "v", "source": "https://example.com/vips",
                                "retrieved": "2026-11-01",
                                "regions": {REGION: {"ranges": ["100.118.28.0/24", "47.96.0.0/24"]}}}))
    desired = run(cloud, factory, tracker, 0.0, make_config(cloud, oss_ranges_file=str(path)))
    assert {"100.118.28.0/24", "47.96.0.0/24"} <= desired.for_family("oss")
    [finding] = [f for f in desired.findings if f.rule == "routes.oss-ranges-unusual"]
    assert finding.evidence["ranges"] == ["47.96.0.0/24"] and finding.severity == Severity.MEDIUM


def test_invalid_ranges_file_is_critical_and_leaves_oss_uncertain(cloud, factory, tracker, tmp_path):
    """A broken override file is a critical finding, not a crash, and OSS removals are blocked."""
    path = tmp_path / "ranges.json"
    path.write_text('{"format": 1, "regions": {"cn-hangzhou": {"ranges": ["0.0.0.0/0"]}}}')
    desired = run(cloud, factory, tracker, 0.0, make_config(cloud, oss_ranges_file=str(path)))
    finding = next(f for f in desired.findings if f.rule == "routes.oss-ranges-invalid")
    assert finding.severity is Severity.CRITICAL and "broader than /16" in finding.details
    assert not desired.may_remove("oss")


def test_preview_does_not_advance_the_hysteresis(cloud, factory, tracker):
    """commit=False (routes plan) computes the same answer without counting the run."""
    run(cloud, factory, tracker, 0.0)
    cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].linked_vpcs[0].ip = "192.168.10.77"
    for moment in (1 * H, 2 * H, 30 * H):
        preview = run(cloud, factory, tracker, moment, commit=False)
    assert preview.held[0].misses == 1
    assert tracker.current(hysteresis_scope(INSTANCE_ID), "vpc_endpoint") == {ENI: Tracked(0.0, 0.0)}


def test_lost_state_with_live_routes_removes_nothing_at_once(cloud, factory, tracker):
    """A first run with our routes already on a target adopts their /32s instead of dropping them."""
    live = {"vpc_endpoint": ["192.168.10.5/32"], "auth": [f"{a}/32" for a in AUTH_IPS]}
    desired = run(cloud, factory, tracker, 0.0, live=live)
    assert desired.for_family("vpc_endpoint") == {"192.168.10.5/32", f"{ENI}/32"}
    assert [h.prefix for h in desired.held] == ["192.168.10.5/32"]
    assert "192.168.10.5" in tracker.current(hysteresis_scope(INSTANCE_ID), "vpc_endpoint")


def test_auth_is_still_probed_when_only_the_vpc_endpoint_call_fails(cloud, factory, tracker):
    """If GetInstanceVpcEndpoint fails, the documented VPC domain of the instance name is probed."""
    cloud.inject(product="cr", action="GetInstanceVpcEndpoint", code="NoPrivilege", status=403)
    desired = run(cloud, factory, tracker, 0.0)
    assert desired.evidence["vpc_domain_derived"] == f"{INSTANCE_NAME}-registry-vpc.{REGION}.cr.aliyuncs.com"
    assert desired.for_family("auth") == {f"{a}/32" for a in AUTH_IPS} and "auth" in desired.certain
    assert desired.for_family("vpc_endpoint") == frozenset() and not desired.may_remove("vpc_endpoint")
    assert any(f.rule == "routes.discovery-failed" for f in desired.findings)


def test_observe_instance_uses_the_sdk_dns_and_registry(cloud, factory):
    """One observation calls GetInstance and GetInstanceVpcEndpoint, probes /v2/ and queries DNS."""
    config = make_config(cloud)
    obs = observe_instance(config, config.instances[0], factory)
    assert [r.action for r in cloud.requests.filter(product="cr")] == ["GetInstance", "GetInstanceVpcEndpoint"]
    assert cloud.registry.probes == [f"{INSTANCE_NAME}-registry-vpc.{REGION}.cr.aliyuncs.com"]
    assert AUTH_HOST + "." in cloud.dns.queries and OSS_DOMAIN.lower() + "." in cloud.dns.queries
    assert obs.observation("auth") == Observation.success(AUTH_IPS)
