"""VPC endpoint discovery through the real cr SDK against the local cloud, cross-checked by DNS."""

from __future__ import annotations

import pytest

from acrguard.findings import Severity
from acrguard.hysteresis import Observation
from acrguard.resolve import DnsResolver, NoSuchName, Resolved, ResolverSettings, Unknown
from acrguard.routes.discovery import LinkedVpcEndpoint, cross_check, discover
from support import ACCOUNT, INSTANCE_ID, INSTANCE_NAME, REGION, base_world

VPC_DOMAIN = f"{INSTANCE_NAME}-registry-vpc.{REGION}.cr.aliyuncs.com"
ENI = "192.168.10.21"


def instance_spec(world):
    """The seeded instance of a world (to edit before the cloud starts)."""
    return world["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"][0]


def live_instance(cloud):
    """The instance inside the running local cloud (to edit at run time)."""
    return cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID]


@pytest.fixture
def world():
    """The base world with a second linked VPC."""
    data = base_world()
    instance_spec(data)["vpc"]["linked_vpcs"].append(
        {"vpc_id": "vpc-test2", "vswitch_id": "vsw-test2", "ip": "192.168.20.5"})
    data["dns"]["records"][VPC_DOMAIN] = {"A": [ENI]}
    return data


@pytest.fixture
def resolver(cloud) -> DnsResolver:
    """A resolver on the local cloud's DNS."""
    host, port = cloud.endpoints()["dns"].split(":")
    return DnsResolver(ResolverSettings((host,), int(port), 2, 0.3))


def test_healthy_endpoint_gives_every_eni_address(cloud, factory, resolver):
    """A RUNNING instance with RUNNING linked VPCs gives all ENI addresses, complete, without findings."""
    found = discover(factory, INSTANCE_ID, REGION, resolver=resolver)
    assert found.addresses == {ENI, "192.168.20.5"}
    assert found.complete and not found.transient
    assert found.findings == ()
    assert found.instance_status == "RUNNING" and found.instance_name == INSTANCE_NAME
    assert found.vpc_domain == VPC_DOMAIN and found.default_access == (ENI,)
    assert found.observation() == Observation.success({ENI, "192.168.20.5"})
    assert isinstance(found.dns[VPC_DOMAIN], Resolved)
    assert [r.action for r in cloud.requests.filter(product="cr")] == ["GetInstance", "GetInstanceVpcEndpoint"]


def test_linked_vpc_ids_restrict_the_addresses(factory):
    """With routes.linked_vpc_ids only those VPCs' addresses are routed."""
    found = discover(factory, INSTANCE_ID, REGION, linked_vpc_ids=["vpc-test2"])
    assert found.addresses == {"192.168.20.5"} and found.complete


def test_configured_vpc_that_is_not_linked_is_a_finding(factory):
    """A configured VPC missing from the endpoint is reported and makes the observation incomplete."""
    found = discover(factory, INSTANCE_ID, REGION, linked_vpc_ids=["vpc-test1", "vpc-idc"])
    assert found.addresses == {ENI}
    assert not found.complete
    assert [(f.rule, f.labels.get("vpc")) for f in found.findings] == [("routes.vpc-not-linked", "vpc-idc")]


def test_endpoint_issue_means_unknown_not_absent(cloud, factory):
    """A linked VPC with an Issue is reported; its address is not observed and nothing counts as missing."""
    live_instance(cloud).linked_vpcs[0].issue = "ENI_NOT_FOUND"
    found = discover(factory, INSTANCE_ID, REGION)
    assert found.addresses == {"192.168.20.5"}
    assert not found.complete
    assert found.observation() == Observation.partial({"192.168.20.5"})
    finding = next(f for f in found.findings if f.rule == "routes.endpoint-issue")
    assert finding.severity is Severity.HIGH and finding.labels["vpc"] == "vpc-test1"
    assert "ENI_NOT_FOUND" in finding.details and "re-bind" in finding.fix.lower()


def test_endpoint_not_running_is_reported(cloud, factory):
    """A linked VPC still CREATING is reported and keeps the observation incomplete."""
    live_instance(cloud).linked_vpcs[1].status = "CREATING"
    found = discover(factory, INSTANCE_ID, REGION)
    assert found.addresses == {ENI} and not found.complete
    assert [f.rule for f in found.findings] == ["routes.endpoint-not-running"]


def test_running_endpoint_without_an_address_is_reported(cloud, factory):
    """A RUNNING linked VPC without an Ip is a finding, not an empty address."""
    live_instance(cloud).linked_vpcs[1].ip = ""
    found = discover(factory, INSTANCE_ID, REGION)
    assert found.addresses == {ENI} and not found.complete
    assert [f.rule for f in found.findings] == ["routes.endpoint-no-address"]


def test_no_linked_vpc_is_reported(cloud, factory):
    """An endpoint with no linked VPC is a high finding and an unknown observation."""
    live_instance(cloud).linked_vpcs.clear()
    found = discover(factory, INSTANCE_ID, REGION)
    assert found.addresses == frozenset() and not found.complete
    assert found.observation().is_unknown
    assert [(f.rule, f.severity) for f in found.findings] == [("routes.no-linked-vpc", Severity.HIGH)]


def test_instance_not_running_is_reported(cloud, factory):
    """An instance that is not RUNNING is reported; its addresses are still added but nothing is missed."""
    live_instance(cloud).status = "STOPPED"
    found = discover(factory, INSTANCE_ID, REGION)
    assert not found.complete and found.addresses == {ENI, "192.168.20.5"}
    assert [f.rule for f in found.findings] == ["routes.instance-not-running"]


def test_disabled_vpc_endpoint_is_reported(cloud, factory):
    """Enable=false on the VPC endpoint is reported and makes the observation incomplete."""
    live_instance(cloud).vpc_enable = False
    found = discover(factory, INSTANCE_ID, REGION)
    assert not found.complete
    assert "routes.vpc-endpoint-disabled" in [f.rule for f in found.findings]


def test_unknown_instance_is_a_finding_not_an_exception(factory):
    """An instance id the cloud does not know gives findings for both calls and nothing observed."""
    found = discover(factory, "cri-doesnotexist01", REGION)
    assert found.addresses == frozenset() and not found.complete and not found.transient
    assert [f.rule for f in found.findings] == ["routes.discovery-failed"] * 2
    assert found.findings[0].evidence["code"] == "INSTANCE_NOT_EXIST"
    assert found.vpc_domain is None


def test_throttling_is_transient(cloud, factory):
    """A throttled GetInstanceVpcEndpoint (after the SDK's retries) is reported as transient."""
    cloud.inject(product="cr", action="GetInstanceVpcEndpoint", code="Throttling.User", status=400)
    found = discover(factory, INSTANCE_ID, REGION)
    assert found.transient and not found.complete and found.addresses == frozenset()
    assert found.findings[-1].labels["api"] == "GetInstanceVpcEndpoint"


def test_dns_answer_outside_the_api_addresses_is_a_mismatch(cloud, factory, resolver):
    """A VPC domain resolving to an address the API does not list is a finding; routes follow the API."""
    cloud.dns.set(VPC_DOMAIN, ["192.168.99.9"])
    found = discover(factory, INSTANCE_ID, REGION, resolver=resolver)
    assert found.complete and found.addresses == {ENI, "192.168.20.5"}
    finding = next(f for f in found.findings if f.rule == "routes.vpc-dns-mismatch")
    assert finding.evidence["dns"] == ["192.168.99.9"]


@pytest.mark.parametrize(("mode", "severity"), [("servfail", Severity.LOW), ("nxdomain", Severity.MEDIUM)])
def test_dns_failure_only_skips_the_cross_check(cloud, factory, resolver, mode, severity):
    """A failing VPC-domain lookup is reported but does not make the API observation incomplete."""
    cloud.dns.fail(VPC_DOMAIN, mode)
    found = discover(factory, INSTANCE_ID, REGION, resolver=resolver)
    assert found.complete
    assert [(f.rule, f.severity) for f in found.findings] == [("routes.vpc-dns-unresolved", severity)]


def test_cross_check_is_pure_and_accepts_any_listed_address():
    """DNS answers among the API's addresses (healthy or not) pass the cross-check."""
    linked = [LinkedVpcEndpoint("vpc-1", "vsw-1", "192.0.2.1", "RUNNING", True, ""),
              LinkedVpcEndpoint("vpc-2", "vsw-2", "192.0.2.2", "CREATING", False, "")]
    ok = {"d.example": Resolved("d.example", frozenset({"192.0.2.1", "192.0.2.2"}))}
    assert cross_check("cri-1", ok, linked) == []
    outcomes = {"d.example": NoSuchName("d.example", "no-data"), "e.example": Unknown("e.example", "timeout")}
    assert [f.labels["domain"] for f in cross_check("cri-1", outcomes, linked)] == ["d.example", "e.example"]
