"""``acrguard.addresses``: which observed addresses may become routes or ACL entries."""

from __future__ import annotations

import pytest

from acrguard.addresses import (
    DEFAULT_MAX_ADDRESSES_PER_NAME,
    AddressRules,
    check_answer,
    networks,
    public_problem,
)

HANGZHOU = networks(["100.114.102.0/24", "100.118.28.0/24", "100.118.31.0/24", "100.98.170.0/24"])
RULES = AddressRules(oss_ranges=HANGZHOU, idc_ranges=networks(["10.0.0.0/8"]))


@pytest.mark.parametrize(("address", "why"), [
    ("0.0.0.0", "unspecified"), ("127.0.0.1", "loopback"), ("255.255.255.255", "reserved"),
    ("224.0.0.1", "multicast"), ("169.254.169.254", "link-local"), ("240.0.0.1", "reserved"),
    ("10.0.0.1", "private"), ("172.16.5.5", "private"), ("192.168.0.1", "private"),
    ("100.100.100.200", "shared range"), ("192.0.2.1", "documentation"), ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"), ("198.18.7.10", "special-purpose"), ("::1", "IPv4"), ("bogus", "IPv4"),
])
def test_only_public_ipv4_addresses_may_enter_a_public_acl(address, why):
    """Every special-purpose range the stdlib knows is refused, with a reason naming its kind."""
    problem = public_problem(address)
    assert problem is not None and why in problem


def test_a_public_address_passes():
    """An ordinary global unicast address (here one of Alibaba Cloud's) is public."""
    assert public_problem("47.96.0.10") is None


@pytest.mark.parametrize(("family", "address"), [
    ("auth", "100.103.9.188"), ("auth", "100.103.7.181"), ("oss", "100.118.28.7"), ("vpc_endpoint", "192.168.10.21"),
    ("vpc_endpoint", "172.16.3.4"),
])
def test_registry_addresses_in_their_ranges_are_accepted(family, address):
    """The published example addresses of each family pass its rule."""
    assert RULES.problem(family, address) is None


@pytest.mark.parametrize(("family", "address", "why"), [
    ("auth", "10.0.0.1", "IDC's own range 10.0.0.0/8"), ("auth", "8.8.8.8", "outside 100.64.0.0/10"),
    ("auth", "172.16.5.5", "outside 100.64.0.0/10"), ("auth", "192.168.0.1", "outside 100.64.0.0/10"),
    ("auth", "100.100.100.200", "inside 100.100.0.0/16"), ("oss", "100.103.9.188", "published OSS VIP ranges"),
    ("oss", "100.100.100.200", "published OSS VIP ranges"), ("vpc_endpoint", "8.8.8.8", "outside the VPC ranges"),
    ("vpc_endpoint", "100.103.9.188", "which no VPC uses"), ("vpc_endpoint", "10.0.0.1", "IDC's own range"),
    ("vpc_endpoint", "127.0.0.1", "loopback"), ("auth", "::1", "not an IPv4"),
])
def test_addresses_outside_their_family_range_are_refused(family, address, why):
    """Auth and OSS only in 100.64.0.0/10 minus 100.100.0.0/16 (OSS only in its ranges); endpoints only in the VPC
    ranges; nothing inside the IDC's ranges."""
    problem = RULES.problem(family, address)
    assert problem is not None and why in problem


def test_a_region_without_ranges_takes_oss_in_the_service_range_but_not_the_well_known_services():
    """Without published ranges OSS takes 100.64.0.0/10 minus 100.100.0.0/16."""
    rules = AddressRules(oss_ranges=None)
    assert rules.problem("oss", "100.118.28.7") is None
    assert "100.100.0.0/16" in (rules.problem("oss", "100.100.2.136") or "")


def test_published_ranges_take_precedence_over_the_well_known_exclusion():
    """A finance region publishes single OSS VIPs inside 100.100.0.0/16: those are accepted."""
    rules = AddressRules(oss_ranges=networks(["100.100.36.8/32"]))
    assert rules.problem("oss", "100.100.36.8") is None


def test_the_idc_ranges_apply_to_every_family():
    """An address inside the configured IDC ranges is refused whatever its family."""
    rules = AddressRules(idc_ranges=networks(["192.168.50.0/24", "100.103.0.0/16"]))
    assert "IDC" in (rules.problem("vpc_endpoint", "192.168.50.7") or "")
    assert "IDC" in (rules.problem("auth", "100.103.9.188") or "")
    assert rules.problem("vpc_endpoint", "192.168.10.21") is None


@pytest.mark.parametrize(("family", "prefix", "plausible"), [
    ("oss", "100.118.28.0/24", True), ("oss", "100.118.99.0/24", True), ("oss", "100.64.0.0/10", False),
    ("oss", "192.168.0.0/16", False), ("oss", "100.100.0.0/24", False), ("auth", "100.103.9.188/32", True),
    ("auth", "100.103.0.0/24", False), ("auth", "10.0.0.1/32", False), ("vpc_endpoint", "192.168.10.21/32", True),
    ("vpc_endpoint", "192.168.0.0/16", False), ("vpc_endpoint", "10.0.0.5/32", False), ("oss", "not-a-prefix", False),
])
def test_plausible_prefixes_are_those_the_keeper_could_have_desired(family, prefix, plausible):
    """A /32 that passes its family's rule, or for OSS a /16 or narrower inside the ranges or the service range."""
    assert RULES.plausible(family, prefix) is plausible


def test_an_answer_is_judged_whole_against_the_rule_and_the_cap():
    """check_answer lists each refused address with its reason, and flags an answer over the cap."""
    check = check_answer("dockerauth", {"100.103.9.188", "10.0.0.1"}, lambda a: RULES.problem("auth", a))
    assert not check.ok and list(check.refused) == ["10.0.0.1"] and "10.0.0.1: inside" in check.reason()
    many = {f"100.103.9.{n}" for n in range(1, DEFAULT_MAX_ADDRESSES_PER_NAME + 2)}
    over = check_answer("dockerauth", many, lambda a: None)
    assert over.over_cap and not over.refused and "9 addresses" in over.reason()
    assert check_answer("dockerauth", sorted(many)[:DEFAULT_MAX_ADDRESSES_PER_NAME], lambda a: None).ok
