"""The export input: sorted, de-duplicated, and strict about every value that reaches a router or a shell."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from acrguard.routes.desired import DesiredPrefixes
from acrguard.routes.exports import DnsRecord, ExportError, ExportInput, input_from_desired, records_from_desired

AT = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def make(prefixes=None, records=(), **extra) -> ExportInput:
    return ExportInput("testreg", prefixes if prefixes is not None else {}, records, AT, **extra)


def test_routes_are_sorted_by_family_then_numerically():
    """Families come in vpc_endpoint, auth, oss order; prefixes sort as numbers, not as text."""
    data = make({"oss": ["100.118.28.0/24", "100.98.170.0/24"], "auth": ["100.104.12.66/32", "100.104.12.7/32"],
                 "vpc_endpoint": ["192.168.10.21/32"]})
    assert [(r.family, r.prefix) for r in data.routes] == [
        ("vpc_endpoint", "192.168.10.21/32"), ("auth", "100.104.12.7/32"), ("auth", "100.104.12.66/32"),
        ("oss", "100.98.170.0/24"), ("oss", "100.118.28.0/24")]


def test_a_prefix_desired_by_two_families_is_listed_once_under_the_first():
    """The same /32 in auth and oss is rendered once, as auth (a router would keep only one anyway)."""
    data = make({"auth": ["100.118.28.5/32"], "oss": ["100.118.28.5/32", "100.118.28.0/24"]})
    assert [(r.family, r.prefix) for r in data.routes] == [("auth", "100.118.28.5/32"), ("oss", "100.118.28.0/24")]


def test_records_merge_names_sort_addresses_and_say_what_was_left_out():
    """Repeated names merge; IPv6, unroutable and unresolved entries become 'omitted' notes, not records."""
    data = make(records=[("B.example.com.", ["10.0.0.10", "10.0.0.9"]), DnsRecord("b.example.com", ("10.0.0.9",)),
                         ("a.example.com", ["2001:db8::1", "127.0.0.1"]), ("c.example.com", [])])
    assert data.a_records == (("b.example.com", ("10.0.0.9", "10.0.0.10")),)
    assert [(o.name, o.reason.split()[0]) for o in data.omitted] == [
        ("a.example.com", "IPv6"), ("a.example.com", "address"), ("a.example.com", "did"), ("c.example.com", "did")]


@pytest.mark.parametrize("name", [
    "evil.example.com\nip route del default", "a.example.com; reboot", "$(reboot).example.com", "a b.example.com",
    "`id`.example.com", "-lead.example.com", "example", "a..example.com", "x" * 64 + ".example.com", "1.2.3.4",
    "zone.example.com IN A 10.0.0.1", "under_score.example.com"])
def test_names_that_are_not_plain_host_names_are_refused(name):
    """Newlines, shell metacharacters, spaces and malformed labels in a name raise ExportError naming it."""
    with pytest.raises(ExportError, match=r"ExportInput\.records\[0\]\.name: .* refused"):
        make(records=[(name, ["10.0.0.1"])])


@pytest.mark.parametrize("address", ["10.0.0.1\n", "10.0.0.1; reboot", "010.0.0.1", "10.0.0.1/32", "$(id)", ""])
def test_addresses_that_are_not_canonical_ips_are_refused(address):
    """An address must be exactly an IP address in canonical form."""
    with pytest.raises(ExportError, match=r"ExportInput\.records\[0\]\.addresses\[0\]"):
        make(records=[("a.example.com", [address])])


@pytest.mark.parametrize(("prefix", "why"), [
    ("10.0.0.0/24\nip route del default", "not an IPv4 prefix"), ("10.0.0.0/24; reboot", "not an IPv4 prefix"),
    ("10.0.0.1/24", "not an IPv4 prefix"), (" 10.0.0.0/24", "not an IPv4 prefix"),
    ("10.0.0.5", "not in canonical form"), ("2001:db8::/64", "IPv6"), ("0.0.0.0/0", "broader than /16"),
    ("10.0.0.0/8", "broader than /16")])
def test_prefixes_that_are_not_canonical_narrow_ipv4_networks_are_refused(prefix, why):
    """Injection, host bits, non-canonical text, IPv6 and over-broad prefixes raise ExportError naming the value."""
    with pytest.raises(ExportError, match=rf"prefixes_by_family\['oss'\]\[0\]: .*{why}"):
        make({"oss": [prefix]})


def test_unknown_families_and_unsafe_instance_names_are_refused():
    """Only the three families exist, and the instance name/id must be a plain token (it lands in comments)."""
    with pytest.raises(ExportError, match="unknown families"):
        make({"oss ; reboot": ["10.0.0.0/24"]})
    with pytest.raises(ExportError, match="instance_name"):
        ExportInput("testreg\nip route del default", {}, [], AT)
    with pytest.raises(ExportError, match="instance_id"):
        make(instance_id="cri-1 2")


def test_generation_time_must_be_timezone_aware_and_is_shown_in_utc():
    """A naive time is refused; an aware one is rendered as UTC ISO 8601."""
    with pytest.raises(ExportError, match="timezone-aware"):
        ExportInput("testreg", {}, [], datetime(2024, 5, 1, 12, 0))
    from datetime import timedelta

    east = timezone(timedelta(hours=8))
    assert ExportInput("testreg", {}, [], datetime(2024, 5, 1, 20, 0, tzinfo=east)).timestamp == "2024-05-01T12:00:00Z"


def desired(**evidence) -> DesiredPrefixes:
    return DesiredPrefixes("testreg", "cri-test0000000000001", "cn-hangzhou", {
        "vpc_endpoint": frozenset({"192.168.10.21/32"}), "auth": frozenset({"100.104.12.7/32"}),
        "oss": frozenset({"100.118.28.0/24", "100.99.1.5/32"})}, evidence=evidence)


def test_records_from_desired_use_the_kept_addresses_of_each_family():
    """VPC domain -> vpc_endpoint /32s, auth host -> auth /32s, OSS domain -> its answers plus OSS /32s."""
    records = records_from_desired(desired(vpc_domains=["testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com"],
                                           auth_host="dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com",
                                           oss_domain="x-registry.oss-cn-hangzhou-internal.aliyuncs.com"),
                                   oss_addresses=["100.118.28.9"])
    assert records == [DnsRecord("testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com", ("192.168.10.21",)),
                       DnsRecord("dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com", ("100.104.12.7",)),
                       DnsRecord("x-registry.oss-cn-hangzhou-internal.aliyuncs.com", ("100.118.28.9", "100.99.1.5"))]


def test_input_from_desired_carries_prefixes_instance_and_names_known_without_addresses():
    """An undiscovered auth host is simply absent; the input keeps all desired prefixes and the instance id."""
    data = input_from_desired(desired(vpc_domains=["testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com"]), AT)
    assert data.instance_id == "cri-test0000000000001"
    assert [r.prefix for r in data.routes] == ["192.168.10.21/32", "100.104.12.7/32", "100.99.1.5/32",
                                               "100.118.28.0/24"]
    assert data.a_records == (("testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com", ("192.168.10.21",)),)


def test_dns_records_leave_out_addresses_only_held_for_routing():
    """After an ENI change the old address stays routed for the hold, but DNS answers only the new one."""
    from acrguard.routes.desired import HeldRemoval

    domain = "testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com"
    changed = DesiredPrefixes("testreg", "cri-test0000000000001", "cn-hangzhou", {
        "vpc_endpoint": frozenset({"192.168.10.21/32", "192.168.10.99/32"}), "auth": frozenset(), "oss": frozenset()},
        certain=frozenset({"vpc_endpoint"}),
        held=(HeldRemoval("vpc_endpoint", "192.168.10.21", 1, 0.0, 0.0, 2, 23.0),),
        evidence={"vpc_domains": [domain]})
    assert records_from_desired(changed) == [DnsRecord(domain, ("192.168.10.99",))]
    uncertain = DesiredPrefixes(changed.instance, changed.instance_id, changed.region, changed.prefixes,
                                held=changed.held, evidence=changed.evidence)
    assert records_from_desired(uncertain) == [DnsRecord(domain, ("192.168.10.21", "192.168.10.99"))]
