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


def test_private_zone_conflict_keeps_the_eni_routed_and_explains_the_zone(cloud, factory):
    """A RUNNING linked VPC whose Issue is a PrivateZone conflict keeps its ENI address; the finding names the zone."""
    live_instance(cloud).linked_vpcs[0].issue = "PRIVATE_ZONE_CONFLICT_AT_pz-abc123"
    found = discover(factory, INSTANCE_ID, REGION)
    assert found.addresses == {ENI, "192.168.20.5"} and found.complete
    assert found.observation() == Observation.success({ENI, "192.168.20.5"})
    [finding] = found.findings
    assert (finding.rule, finding.severity, finding.labels["vpc"]) == ("routes.endpoint-issue", Severity.MEDIUM,
                                                                       "vpc-test1")
    assert finding.evidence["private_zone_id"] == "pz-abc123"
    assert "pz-abc123" in finding.title and VPC_DOMAIN in finding.details and "PrivateZone" in finding.fix
    assert "re-bind" not in finding.fix.lower() and "stays routed" in finding.details


def test_an_undocumented_issue_is_reported_as_such_and_the_eni_stays_routed(cloud, factory):
    """An Issue value the API page does not document is reported as unknown; the address is still routed."""
    live_instance(cloud).linked_vpcs[1].issue = "SOMETHING_ELSE"
    found = discover(factory, INSTANCE_ID, REGION)
    assert found.addresses == {ENI, "192.168.20.5"} and found.complete
    [finding] = found.findings
    assert finding.rule == "routes.endpoint-issue" and "not documented" in finding.details
    assert finding.evidence["issue"] == "SOMETHING_ELSE"


def test_an_issue_on_a_vpc_without_an_address_gives_both_findings(cloud, factory):
    """A linked VPC with an Issue and no Ip reports the issue and the missing address; nothing is removed."""
    linked = live_instance(cloud).linked_vpcs[0]
    linked.issue, linked.ip = "PRIVATE_ZONE_CONFLICT_AT_pz-1", ""
    found = discover(factory, INSTANCE_ID, REGION)
    assert found.addresses == {"192.168.20.5"} and not found.complete
    assert [f.rule for f in found.findings] == ["routes.endpoint-issue", "routes.endpoint-no-address"]
    assert "re-bind" in found.findings[1].fix.lower()


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


def test_enable_false_is_access_control_off_not_a_dead_endpoint(cloud, factory):
    """Enable=false is reported as VPC access control off; the listed addresses are still added, none removed."""
    live_instance(cloud).vpc_enable = False
    found = discover(factory, INSTANCE_ID, REGION)
    assert found.addresses == {ENI, "192.168.20.5"} and not found.complete
    [finding] = found.findings
    assert (finding.rule, finding.severity) == ("routes.vpc-access-control-disabled", Severity.MEDIUM)
    assert "access control" in finding.details and "removes none" in finding.details


def test_unknown_instance_is_one_clear_finding(cloud, factory):
    """An instance the cloud does not know (INSTANCE_NOT_EXIST) is one 'not found' finding, nothing observed."""
    found = discover(factory, "cri-doesnotexist01", REGION)
    assert found.addresses == frozenset() and not found.complete and not found.transient
    [finding] = found.findings
    assert finding.rule == "routes.instance-not-found" and finding.evidence["code"] == "INSTANCE_NOT_EXIST"
    assert "not found in cn-hangzhou" in finding.title and "instance_id" in finding.fix
    assert found.vpc_domain is None
    assert [r.action for r in cloud.requests.filter(product="cr")] == ["GetInstance"]


def test_status_not_supported_is_named(cloud, factory):
    """INSTANCE_STATUS_NOT_SUPPORT from the VPC endpoint call says the instance's state, not a generic failure."""
    cloud.inject(product="cr", action="GetInstanceVpcEndpoint", code="INSTANCE_STATUS_NOT_SUPPORT", status=400)
    found = discover(factory, INSTANCE_ID, REGION)
    assert not found.complete
    assert [f.rule for f in found.findings] == ["routes.instance-not-running"]
    assert "INSTANCE_STATUS_NOT_SUPPORT" in found.findings[0].details


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
