"""Check 8, vpc-dns: the VPC domain, the auth host and the OSS domain, each within its documented range."""

from __future__ import annotations

from acrguard.doctor.model import Status
from acrguard.doctor.vpc_dns import check_dns
from support import INSTANCE_NAME, REGION
from tests.doctor.doctorworld import context, run
from tests.routes.keeperworld import AUTH_HOST, OSS_DOMAIN

VPC_DOMAIN = f"{INSTANCE_NAME}-registry-vpc.{REGION}.cr.aliyuncs.com"


def by_subject(result):
    return {item.subject: item for item in result.items}


def test_the_three_names_resolve_within_their_ranges(cloud, tmp_path):
    """The ENI, two auth VIPs in 100.64.0.0/10 and an OSS VIP in a Hangzhou range: PASS."""
    result = run(context(cloud, tmp_path), check_dns)
    assert result.status is Status.PASS, result.details
    items = by_subject(result)
    assert items[VPC_DOMAIN].evidence == ("resolves to 192.168.10.21, within the VPC endpoint's LinkedVpcs IPs "
                                          "(192.168.10.21)")
    assert items[AUTH_HOST].evidence == "resolves to 100.103.7.181, 100.103.9.188, within 100.64.0.0/10"
    assert items[OSS_DOMAIN.lower()].evidence == f"resolves to 100.118.28.7, within the OSS ranges of {REGION}"


def test_an_oss_address_outside_the_ranges_fails(cloud, tmp_path):
    """The OSS domain answering outside the published ranges is FAIL, naming the address."""
    cloud.dns.set(OSS_DOMAIN, ["100.100.100.100"])
    item = by_subject(run(context(cloud, tmp_path), check_dns))[OSS_DOMAIN.lower()]
    assert item.status is Status.FAIL
    assert item.evidence == f"resolves to 100.100.100.100; 100.100.100.100 outside the OSS ranges of {REGION}"


def test_a_vpc_domain_pointing_elsewhere_and_a_public_auth_answer_fail(cloud, tmp_path):
    """A VPC domain not on the ENI, an auth host outside 100.64.0.0/10: both FAIL."""
    cloud.dns.set(VPC_DOMAIN, ["192.168.10.99"])
    cloud.dns.set(AUTH_HOST, ["47.97.1.1"])
    result = run(context(cloud, tmp_path), check_dns)
    assert result.status is Status.FAIL
    items = by_subject(result)
    assert items[VPC_DOMAIN].status is Status.FAIL and items[AUTH_HOST].status is Status.FAIL
    assert "47.97.1.1 outside 100.64.0.0/10" in items[AUTH_HOST].evidence


def test_a_name_that_does_not_exist_fails_and_no_answer_cannot_tell(cloud, tmp_path):
    """NXDOMAIN (what a resolver outside the VPC says) is FAIL, a timeout cannot tell; both: run inside the VPC."""
    cloud.dns.remove(OSS_DOMAIN)
    cloud.dns.fail(AUTH_HOST, "timeout")
    result = run(context(cloud, tmp_path), check_dns)
    items = by_subject(result)
    assert items[OSS_DOMAIN.lower()].status is Status.FAIL
    assert items[AUTH_HOST].status is Status.UNKNOWN
    for item in (items[OSS_DOMAIN.lower()], items[AUTH_HOST]):
        assert "Run doctor from inside the VPC" in item.fix and "`s invoke` the endpoint keeper" in item.fix


def test_from_a_laptop_nothing_answers_and_it_cannot_tell(cloud, tmp_path):
    """Nameservers that do not answer (the VPC resolvers seen from outside): cannot tell, with the fix."""
    cloud.dns.set_outage("timeout")
    result = run(context(cloud, tmp_path), check_dns)
    assert result.status is Status.UNKNOWN
    assert {i.status for i in result.items} == {Status.UNKNOWN}
    assert "expected when doctor runs outside the VPC" in result.fix
