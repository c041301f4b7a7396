"""BIND export: an RFC 1035 zone file for a response policy zone, parsed with dnspython."""

from __future__ import annotations

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.zone
import pytest

from acrguard.routes.exports import ExportError, dns_bind


def load(text: str, origin: str = "acrguard.rpz.") -> dns.zone.Zone:
    """Parse the file as a master file with dnspython (SOA and NS at the apex are checked on load)."""
    return dns.zone.from_text(text, origin=origin, relativize=False, check_origin=True)


def a_records(zone: dns.zone.Zone) -> dict[str, list[str]]:
    """owner -> sorted A addresses."""
    found = {}
    for name, rdataset in zone.iterate_rdatasets(dns.rdatatype.A):
        found[name.to_text()] = sorted(r.address for r in rdataset)
    return found


def test_zone_matches_golden_and_parses_as_a_policy_zone(data, golden):
    """Each name is a QNAME trigger under the zone origin with its A records; SOA and NS at the apex."""
    text = dns_bind.render(data)
    golden("bind.zone", text)
    zone = load(text)
    assert a_records(zone) == {
        "dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com.acrguard.rpz.": ["100.104.12.66", "100.104.12.7"],
        "testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com.acrguard.rpz.": ["192.168.10.21"]}
    soa = zone.find_rdataset("acrguard.rpz.", dns.rdatatype.SOA)[0]
    assert soa.serial == 1714564800 and soa.minimum == 300
    assert zone.find_rdataset("acrguard.rpz.", dns.rdatatype.NS)[0].target == dns.name.from_text("localhost.")
    assert zone.find_rdataset("testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com.acrguard.rpz.",
                              dns.rdatatype.A).ttl == 300


def test_only_a_records_are_rendered(data):
    """No AAAA or other record types; the unresolved OSS name and the IPv6-only name have no records."""
    zone = load(dns_bind.render(data))
    types = {rdataset.rdtype for _name, node in zone.items() for rdataset in node}
    assert types == {dns.rdatatype.SOA, dns.rdatatype.NS, dns.rdatatype.A}
    assert not any("oss-cn-hangzhou-internal" in name.to_text() for name in zone)


def test_zone_name_and_ttl_are_configurable(data):
    """``zone`` sets the origin the triggers are written under; ``ttl`` the default TTL."""
    zone = load(dns_bind.render(data, zone="rpz.corp.example", ttl=60), origin="rpz.corp.example.")
    rdataset = zone.find_rdataset("testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com.rpz.corp.example.",
                                  dns.rdatatype.A)
    assert rdataset.ttl == 60


def test_serial_follows_the_generation_time(make_input):
    """A later generation gets a larger serial (RFC 1982: secondaries only load increasing serials)."""
    early = load(dns_bind.render(make_input())).find_rdataset("acrguard.rpz.", dns.rdatatype.SOA)[0].serial
    later_input = make_input(generated_at=make_input().generated_at.replace(hour=13))
    later = load(dns_bind.render(later_input)).find_rdataset("acrguard.rpz.", dns.rdatatype.SOA)[0].serial
    assert later == early + 3600


def test_names_too_long_under_the_zone_and_bad_zone_names_are_refused(make_input):
    """A trigger longer than 253 characters, or a zone name that is not a host name, is an ExportError."""
    long_name = ".".join(["a" * 60] * 4) + ".com"
    with pytest.raises(ExportError, match="longer than 253"):
        dns_bind.render(make_input(records=[(long_name[:250], ["10.0.0.1"])]))
    with pytest.raises(ExportError, match=r"export\.zone"):
        dns_bind.render(make_input(), zone="rpz;\n$INCLUDE /etc/shadow")
