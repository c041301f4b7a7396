"""``whitelist.desired``: declared CIDRs as given, hostnames through resolution and hysteresis."""

from __future__ import annotations

from typing import Any

from acrguard.addresses import DEFAULT_MAX_ADDRESSES_PER_NAME
from acrguard.config.model import InstanceConfig
from acrguard.hysteresis import HoldPolicy, HysteresisTracker
from acrguard.resolve import NoSuchName, Resolved, Unknown
from acrguard.state.document import read_document
from acrguard.whitelist.desired import compute_desired, resolve_hosts, resolver_settings
from acrguard.whitelist.marker import make_comment
from acrguard.whitelist.model import AclEntry, EndpointState

HOST = "idc.example.com"
HOUR = 3600.0
#: the hostname's answers are public addresses (documentation ranges are not public: they never enter an ACL)


def _instance(**whitelist: Any) -> InstanceConfig:
    return InstanceConfig.model_validate({"name": "testreg", "instance_id": "cri-test0000000000001",
                                          "whitelist": {"entries": [{"host": HOST, "comment": "IDC"}], **whitelist}})


def _endpoint(*entries: tuple[str, str]) -> EndpointState:
    return EndpointState("cri-test0000000000001", True, True, "RUNNING", tuple(AclEntry(e, c) for e, c in entries))


class _Desire:
    """Runs compute_desired for one hostname entry with a given resolution outcome."""

    def __init__(self, store, runs: int = 2, hours: float = 1.0) -> None:
        self.tracker = HysteresisTracker(store, HoldPolicy(runs, hours))
        self.instance = _instance()

    def __call__(self, outcome, now: float, *live: tuple[str, str], commit: bool = True):
        return compute_desired(self.instance, self.instance.whitelist, _endpoint(*live), {HOST: outcome},
                               self.tracker, now=now, commit=commit)


def _resolved(*addresses: str, complete: bool = True) -> Resolved:
    return Resolved(HOST, frozenset(addresses), failures=() if complete else ("timeout",))


def _cidrs(state) -> list[tuple[str, str]]:
    return sorted((e.cidr, e.source) for e in state.entries)


def test_declared_cidrs_are_desired_with_the_marker_comment(store):
    """A CIDR entry is desired as written, its comment the marker and the declared comment."""
    instance = InstanceConfig.model_validate({"name": "testreg", "instance_id": "cri-test0000000000001",
                                              "whitelist": {"entries": [{"cidr": "203.0.113.7", "comment": "x"}]}})
    state = compute_desired(instance, instance.whitelist, _endpoint(), {}, HysteresisTracker(store, HoldPolicy()),
                            now=0.0, commit=True)
    assert [(e.cidr, e.comment, e.source) for e in state.entries] == [
        ("203.0.113.7/32", "acrguard:testreg:203.0.113.7_32 x", "declared")]


def test_a_new_address_is_desired_at_once_and_the_old_one_is_held(store):
    """After an address change the new /32 is desired immediately and the old one until the hold ends."""
    desire = _Desire(store, runs=2, hours=1.0)
    first = desire(_resolved("47.96.0.10"), 0.0)
    assert [(e.cidr, e.source, e.fresh) for e in first.entries] == [("47.96.0.10/32", "resolved", True)]
    assert first.entries[0].comment == "acrguard:testreg:idc.example.com IDC"
    assert _cidrs(desire(_resolved("47.96.0.20"), HOUR)) == [("47.96.0.10/32", "held"),
                                                              ("47.96.0.20/32", "resolved")]
    assert _cidrs(desire(_resolved("47.96.0.20"), 1.5 * HOUR)) == [("47.96.0.10/32", "held"),
                                                                    ("47.96.0.20/32", "resolved")]
    assert _cidrs(desire(_resolved("47.96.0.20"), 2 * HOUR)) == [("47.96.0.20/32", "resolved")]


def test_a_partial_answer_adds_but_does_not_count_as_absence(store):
    """A resolution where some queries failed adds what it saw and holds the rest without a miss."""
    desire = _Desire(store, runs=1, hours=0.0)
    desire(_resolved("47.96.0.10"), 0.0)
    state = desire(_resolved("47.96.0.20", complete=False), HOUR)
    assert _cidrs(state) == [("47.96.0.10/32", "kept"), ("47.96.0.20/32", "resolved")]


def test_an_unknown_hostname_keeps_its_addresses_and_is_a_medium_finding(store):
    """A failed resolution keeps every address and reports the hostname."""
    desire = _Desire(store, runs=1, hours=0.0)
    desire(_resolved("47.96.0.10"), 0.0)
    state = desire(Unknown(HOST, "servfail"), 10 * HOUR)
    assert _cidrs(state) == [("47.96.0.10/32", "kept")]
    assert [(f.rule, f.severity.value, f.labels["host"]) for f in state.findings] == [
        ("whitelist.host-unresolved", "medium", HOST)]
    assert "keeping its entries 47.96.0.10/32" in state.findings[0].details


def test_a_hostname_resolving_to_nothing_is_a_high_finding_and_removes_nothing(store):
    """NXDOMAIN is reported as high and treated as unknown for removal."""
    desire = _Desire(store, runs=1, hours=0.0)
    desire(_resolved("47.96.0.10"), 0.0)
    state = desire(NoSuchName(HOST, "nxdomain"), 10 * HOUR)
    assert _cidrs(state) == [("47.96.0.10/32", "kept")]
    assert [(f.rule, f.severity.value) for f in state.findings] == [("whitelist.host-no-address", "high")]


def test_addresses_that_are_not_public_never_enter_the_acl(store):
    """Loopback, unspecified, broadcast, multicast, link-local, private, shared and documentation addresses are
    dropped with a high finding; the public address of the same answer is added, nothing is removed."""
    desire = _Desire(store, runs=1, hours=0.0)
    desire(_resolved("47.96.0.9"), 0.0)
    hostile = ["0.0.0.0", "127.0.0.1", "255.255.255.255", "224.0.0.1", "169.254.169.254", "100.100.100.200",
               "192.0.2.1"]  # with the public one, eight: within the cap
    state = desire(_resolved("47.96.0.10", *hostile), HOUR)
    assert _cidrs(state) == [("47.96.0.10/32", "resolved"), ("47.96.0.9/32", "kept")]
    [finding] = state.findings
    assert finding.rule == "whitelist.host-address-refused" and finding.severity.value == "high"
    assert all(address in finding.details for address in hostile)


def test_an_answer_over_the_cap_is_refused_whole(store):
    """More addresses than one name may answer: nothing is added and nothing removed, with a high finding."""
    desire = _Desire(store, runs=1, hours=0.0)
    desire(_resolved("47.96.0.9"), 0.0)
    many = [f"47.96.1.{n}" for n in range(1, DEFAULT_MAX_ADDRESSES_PER_NAME + 2)]
    state = desire(_resolved(*many), HOUR)
    assert _cidrs(state) == [("47.96.0.9/32", "kept")]
    assert [f.rule for f in state.findings] == ["whitelist.host-too-many"]
    assert _cidrs(desire(_resolved(*many[:DEFAULT_MAX_ADDRESSES_PER_NAME]), 2 * HOUR)) == [
        (f"{a}/32", "resolved") for a in sorted(many[:DEFAULT_MAX_ADDRESSES_PER_NAME])]


def test_a_tracked_address_that_is_not_public_is_no_longer_desired(store):
    """An address an earlier version let in (127.0.0.1 from the hostname) is not desired any more."""
    desire = _Desire(store, runs=3, hours=24.0)
    marked = ("127.0.0.1/32", make_comment("testreg", HOST, "IDC"))
    state = desire(_resolved("47.96.0.10"), 0.0, marked)
    assert _cidrs(state) == [("47.96.0.10/32", "resolved")]


def test_a_marked_entry_unknown_to_the_state_is_adopted_not_dropped(store):
    """With lost state, a live entry marked for the hostname is tracked first and held like any other."""
    desire = _Desire(store, runs=2, hours=1.0)
    marked = ("47.96.0.10/32", make_comment("testreg", HOST, "IDC"))
    state = desire(_resolved("47.96.0.20"), 0.0, marked)
    assert _cidrs(state) == [("47.96.0.10/32", "held"), ("47.96.0.20/32", "resolved")]


def test_a_preview_writes_no_state_and_matches_the_real_run(store):
    """commit=False computes the same entries as a committed run and leaves the state document alone."""
    desire = _Desire(store, runs=2, hours=1.0)
    desire(_resolved("47.96.0.10"), 0.0)
    before = read_document(store)
    marked = ("47.96.0.9/32", make_comment("testreg", HOST))
    preview = desire(_resolved("47.96.0.20"), HOUR, marked, commit=False)
    assert read_document(store) == before
    assert _cidrs(preview) == _cidrs(desire(_resolved("47.96.0.20"), HOUR, marked))


def test_hostnames_removed_from_the_config_are_forgotten(store):
    """The hysteresis record of a hostname no longer declared is dropped on a committed run."""
    desire = _Desire(store)
    desire(_resolved("47.96.0.10"), 0.0)
    instance = InstanceConfig.model_validate({"name": "testreg", "instance_id": "cri-test0000000000001",
                                              "whitelist": {"entries": []}})
    compute_desired(instance, instance.whitelist, _endpoint(), {}, desire.tracker, now=HOUR, commit=True)
    assert desire.tracker.scope_keys("whitelist:cri-test0000000000001") == {}


def test_nameservers_come_from_the_whitelist_then_routes_then_the_vpc_default():
    """Resolver settings prefer the whitelist's own nameservers, then the instance's routes section."""
    assert resolver_settings(_instance(), _instance().whitelist).nameservers == ("100.100.2.136", "100.100.2.138")
    with_routes = InstanceConfig.model_validate({"name": "testreg", "instance_id": "cri-test0000000000001",
                                                 "routes": {"nameservers": ["10.0.0.53"], "dns_port": 5353},
                                                 "whitelist": {}})
    settings = resolver_settings(with_routes, with_routes.whitelist)
    assert (settings.nameservers, settings.port) == (("10.0.0.53",), 5353)
    own = _instance(nameservers=["10.1.1.1"], dns_port=53)
    assert resolver_settings(own, own.whitelist).nameservers == ("10.1.1.1",)


def test_hostnames_are_resolved_against_the_configured_nameserver(cloud):
    """resolve_hosts asks the local DNS and returns one outcome per hostname."""
    cloud.dns.set(HOST, ["47.96.0.10"])
    host, port = cloud.endpoints()["dns"].rsplit(":", 1)
    instance = _instance(nameservers=[host], dns_port=int(port), queries_per_name=1)
    assert resolve_hosts(instance, instance.whitelist) == {HOST: Resolved(HOST, frozenset({"47.96.0.10"}))}
