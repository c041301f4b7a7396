"""The admin API (``/_localcloud/``): each call over plain HTTP against a running cloud, seen by real clients."""

from __future__ import annotations

from typing import Any

import dns.exception
import dns.resolver
import pytest
import requests
from alibabacloud_cr20181201 import models as cr_models
from alibabacloud_vpc20160428 import models as vpc_models

from acrguard.clients import call
from acrguard.errors import CloudCallError
from localcloud.servers.admin import _ROUTES
from support import ACCOUNT, INSTANCE_ID, INSTANCE_NAME, REGION, base_world

VPC_DOMAIN = f"{INSTANCE_NAME}-registry-vpc.{REGION}.cr.aliyuncs.com"
TABLE = "vtb-admintest01"


@pytest.fixture
def world() -> dict[str, Any]:
    """The base world plus a VBR route table whose writes settle at once."""
    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["vpc"] = {"route_entry_delay_s": 0, "route_tables": [
        {"id": TABLE, "type": "VBR", "vbr_id": "vbr-admin01", "entries": [
            {"id": "rte-idc01", "destination": "10.10.0.0/16", "next_hop_type": "RouterInterface",
             "next_hop_id": "ri-admin01", "name": "idc-uplink"}]}]}
    return data


def admin(cloud, method: str, path: str, body: Any = None, **params: str) -> requests.Response:
    """One admin call over HTTP."""
    return requests.request(method, f"http://{cloud.endpoints()['openapi']}/_localcloud/{path}", json=body,
                            params=params or None, timeout=5)


def resolver(cloud) -> dns.resolver.Resolver:
    """A resolver asking only the local cloud's DNS server."""
    res = dns.resolver.Resolver(configure=False)
    host, port = cloud.endpoints()["dns"].split(":")
    res.nameservers, res.port, res.lifetime = [host], int(port), 0.5
    return res


def vpc_endpoint(factory) -> list[tuple[str, str, str]]:
    body = call("cr", "GetInstanceVpcEndpoint", factory.cr().get_instance_vpc_endpoint,
                cr_models.GetInstanceVpcEndpointRequest(instance_id=INSTANCE_ID))
    return [(v.vpc_id, v.ip, v.status) for v in body.linked_vpcs or []]


def whitelist(factory) -> list[str]:
    body = call("cr", "GetInstanceEndpoint", factory.cr().get_instance_endpoint,
                cr_models.GetInstanceEndpointRequest(instance_id=INSTANCE_ID, endpoint_type="internet"))
    return [e.entry for e in body.acl_entries or []]


def routes(factory) -> dict[str, str]:
    body = call("vpc", "DescribeRouteEntryList", factory.vpc().describe_route_entry_list,
                vpc_models.DescribeRouteEntryListRequest(region_id=REGION, route_table_id=TABLE))
    return {e.destination_cidr_block: e.route_entry_name for e in body.route_entrys.route_entry}


# -- the list and the errors -------------------------------------------------------------------------------

def test_the_index_lists_every_call_and_unknown_calls_say_where_to_look(cloud):
    """GET /_localcloud/ names every registered call; an unknown path is 404, a wrong method 405."""
    calls = admin(cloud, "GET", "").json()["calls"]
    assert len(calls) == len(_ROUTES)
    assert {"method": "PUT", "path": "/_localcloud/dns/records/NAME",
            "summary": "set a name's answers {A: [...]} or {CNAME}"} in calls
    missing = admin(cloud, "GET", "nothing/here")
    assert missing.status_code == 404 and "GET /_localcloud/ lists them" in missing.json()["error"]
    wrong = admin(cloud, "POST", "dns")
    assert wrong.status_code == 405 and "use GET" in wrong.json()["error"]
    assert admin(cloud, "POST", "dns/outage", None).status_code == 405


def test_a_body_that_is_not_json_or_not_an_object_is_refused(cloud):
    """A malformed body is a 400 naming the problem, and nothing changes."""
    url = f"http://{cloud.endpoints()['openapi']}/_localcloud/dns/outage"
    assert requests.put(url, data=b"{not json", timeout=5).json() == {"error": "the body is not JSON"}
    assert admin(cloud, "PUT", "dns/outage", ["timeout"]).json() == {"error": "the body must be a JSON object"}
    assert cloud.dns.outage is None


# -- the cloud ------------------------------------------------------------------------------------------------

def test_faults_are_added_listed_and_cleared(cloud, factory):
    """A fault rule posted over HTTP fails the next matching call; DELETE clears the rules."""
    added = admin(cloud, "POST", "faults", {"product": "cr", "action": "GetInstanceVpcEndpoint",
                                            "code": "Injected.Failure", "status": 400, "times": 1})
    assert added.status_code == 200
    with pytest.raises(CloudCallError, match=r"Injected\.Failure"):
        call("cr", "GetInstanceVpcEndpoint", factory.cr().get_instance_vpc_endpoint,
             cr_models.GetInstanceVpcEndpointRequest(instance_id=INSTANCE_ID))
    assert admin(cloud, "GET", "faults").json()["faults"][0]["fired"] == 1
    assert admin(cloud, "POST", "faults", {"bogus": 1}).status_code == 400
    assert admin(cloud, "DELETE", "faults").json() == {"faults": []}
    assert cloud.faults.rules() == []


def test_the_request_log_and_events_show_api_calls(cloud, factory):
    """After an SDK write, the request log lists it and its ActionTrail event can be read (and stays)."""
    call("cr", "DeleteInstanceEndpointAclPolicy", factory.cr().delete_instance_endpoint_acl_policy,
         cr_models.DeleteInstanceEndpointAclPolicyRequest(instance_id=INSTANCE_ID, endpoint_type="internet",
                                                          entry="203.0.113.0/24"))
    logged = admin(cloud, "GET", "requests", product="cr").json()["requests"]
    assert [r["action"] for r in logged] == ["DeleteInstanceEndpointAclPolicy"]
    assert admin(cloud, "GET", "requests", since="x").status_code == 400
    for _ in range(2):
        events = admin(cloud, "GET", "events", name="DeleteInstanceEndpointAclPolicy").json()["events"]
        assert [e["type"] for e in events] == ["cr:ActionTrail:ApiCall"]
    assert admin(cloud, "GET", "events", name="CreateRouteEntry").json() == {"events": []}


def test_advance_moves_the_clock_and_reset_restores_the_world(cloud, factory):
    """POST advance moves the cloud's clock; POST reset brings back what the world seeded."""
    before = cloud.clock.now()
    assert admin(cloud, "POST", "advance", {"seconds": 3600}).status_code == 200
    assert cloud.clock.now() - before >= 3600
    assert admin(cloud, "POST", "advance", {"seconds": -1}).status_code == 400
    admin(cloud, "DELETE", f"cr/instances/{INSTANCE_ID}/acl")
    assert whitelist(factory) == []
    assert admin(cloud, "POST", "reset").json() == {"reset": True}
    assert whitelist(factory) == ["203.0.113.0/24"]


# -- DNS ----------------------------------------------------------------------------------------------------

def test_a_dns_record_is_set_and_removed(cloud):
    """PUT dns/records/NAME changes what the DNS server answers at once; DELETE makes it NXDOMAIN."""
    answer = admin(cloud, "PUT", f"dns/records/{VPC_DOMAIN}", {"A": ["192.168.10.77", "192.168.10.78"]})
    assert answer.status_code == 200
    assert sorted(r.address for r in resolver(cloud).resolve(VPC_DOMAIN, "A")) == ["192.168.10.77", "192.168.10.78"]
    admin(cloud, "PUT", "dns/records/alias.example.com", {"CNAME": VPC_DOMAIN})
    assert {r.address for r in resolver(cloud).resolve("alias.example.com", "A")} == {"192.168.10.77", "192.168.10.78"}
    listed = admin(cloud, "GET", "dns").json()
    assert listed["records"][VPC_DOMAIN] == {"A": ["192.168.10.77", "192.168.10.78"], "ttl": 60}
    assert admin(cloud, "DELETE", f"dns/records/{VPC_DOMAIN}").status_code == 200
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver(cloud).resolve(VPC_DOMAIN, "A")
    assert admin(cloud, "DELETE", f"dns/records/{VPC_DOMAIN}").status_code == 404


def test_a_bad_dns_record_is_refused_naming_the_field(cloud):
    """Not an address, both A and CNAME, or neither: 400 naming the field; the record is unchanged."""
    assert "body.A" in admin(cloud, "PUT", f"dns/records/{VPC_DOMAIN}", {"A": ["300.1.1.1"]}).json()["error"]
    assert admin(cloud, "PUT", f"dns/records/{VPC_DOMAIN}", {"A": ["192.0.2.1"], "CNAME": "x.example"}
                 ).status_code == 400
    assert admin(cloud, "PUT", f"dns/records/{VPC_DOMAIN}", {}).status_code == 400
    assert "body.ttl" in admin(cloud, "PUT", f"dns/records/{VPC_DOMAIN}", {"A": ["192.0.2.1"], "ttl": -5}
                               ).json()["error"]
    assert [r.address for r in resolver(cloud).resolve(VPC_DOMAIN, "A")] == ["192.168.10.21"]


def test_one_name_fails_until_restored(cloud):
    """PUT dns/failures/NAME makes that name fail in the mode given; DELETE restores it."""
    assert admin(cloud, "PUT", f"dns/failures/{VPC_DOMAIN}", {"mode": "nxdomain"}).status_code == 200
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver(cloud).resolve(VPC_DOMAIN, "A")
    assert admin(cloud, "GET", "dns").json()["failures"] == {VPC_DOMAIN: "nxdomain"}
    bad = admin(cloud, "PUT", f"dns/failures/{VPC_DOMAIN}", {"mode": "sometimes"})
    assert bad.status_code == 400 and "servfail" in bad.json()["error"]
    admin(cloud, "DELETE", f"dns/failures/{VPC_DOMAIN}")
    assert [r.address for r in resolver(cloud).resolve(VPC_DOMAIN, "A")] == ["192.168.10.21"]


def test_an_outage_fails_every_name_until_it_ends(cloud):
    """PUT dns/outage {mode: timeout}: no name is answered; DELETE dns/outage ends it."""
    assert admin(cloud, "PUT", "dns/outage", {"mode": "timeout"}).json() == {"outage": "timeout"}
    with pytest.raises(dns.exception.Timeout):
        resolver(cloud).resolve(VPC_DOMAIN, "A")
    assert admin(cloud, "DELETE", "dns/outage").json() == {"outage": None}
    assert [r.address for r in resolver(cloud).resolve(VPC_DOMAIN, "A")] == ["192.168.10.21"]


# -- ACR ----------------------------------------------------------------------------------------------------

def test_a_linked_vpc_is_added_changed_and_removed(cloud, factory):
    """The VPC endpoint's bound VPCs change as GetInstanceVpcEndpoint then answers them."""
    path = f"cr/instances/{INSTANCE_ID}/linked-vpcs"
    added = admin(cloud, "POST", path, {"vpc_id": "vpc-idc2", "vswitch_id": "vsw-idc2", "ip": "192.168.20.9",
                                        "status": "CREATING"})
    assert added.status_code == 200
    assert vpc_endpoint(factory) == [("vpc-test1", "192.168.10.21", "RUNNING"),
                                     ("vpc-idc2", "192.168.20.9", "CREATING")]
    assert admin(cloud, "POST", path, {"vpc_id": "vpc-idc2", "vswitch_id": "v", "ip": "192.168.20.9"}
                 ).status_code == 409
    moved = admin(cloud, "PUT", f"{path}/vpc-test1", {"ip": "192.168.10.35"})
    assert moved.json()["linked_vpc"]["ip"] == "192.168.10.35"
    assert admin(cloud, "DELETE", f"{path}/vpc-idc2").status_code == 200
    assert vpc_endpoint(factory) == [("vpc-test1", "192.168.10.35", "RUNNING")]
    assert admin(cloud, "DELETE", f"{path}/vpc-idc2").status_code == 404


def test_linked_vpc_calls_refuse_bad_input_and_unknown_objects(cloud, factory):
    """Bad addresses and unknown fields are 400, an unknown instance 404; nothing changes."""
    path = f"cr/instances/{INSTANCE_ID}/linked-vpcs"
    assert "body.ip" in admin(cloud, "POST", path, {"vpc_id": "v", "vswitch_id": "s", "ip": "nope"}).json()["error"]
    assert "'vswitch_id' is required" in admin(cloud, "POST", path, {"vpc_id": "v", "ip": "10.0.0.1"}).json()["error"]
    assert admin(cloud, "PUT", f"{path}/vpc-test1", {"address": "10.0.0.1"}).status_code == 400
    assert admin(cloud, "PUT", f"{path}/vpc-test1", {"default_access": "yes"}).status_code == 400
    assert admin(cloud, "POST", "cr/instances/cri-nope/linked-vpcs",
                 {"vpc_id": "v", "vswitch_id": "s", "ip": "10.0.0.1"}).status_code == 404
    assert admin(cloud, "DELETE", f"{path}/vpc-test1", region="cn-beijing").status_code == 404
    assert vpc_endpoint(factory) == [("vpc-test1", "192.168.10.21", "RUNNING")]


def test_the_whitelist_is_emptied_and_added_to(cloud, factory):
    """DELETE .../acl empties the internet endpoint's whitelist; POST .../acl adds an entry once."""
    emptied = admin(cloud, "DELETE", f"cr/instances/{INSTANCE_ID}/acl").json()
    assert emptied == {"removed": [{"entry": "203.0.113.0/24", "comment": "office"}], "internet_enabled": True}
    assert whitelist(factory) == []
    assert admin(cloud, "POST", f"cr/instances/{INSTANCE_ID}/acl", {"entry": "198.51.100.0/24"}).status_code == 200
    assert admin(cloud, "POST", f"cr/instances/{INSTANCE_ID}/acl", {"entry": "198.51.100.0/24"}).status_code == 409
    assert admin(cloud, "POST", f"cr/instances/{INSTANCE_ID}/acl", {"entry": "any"}).status_code == 400
    assert whitelist(factory) == ["198.51.100.0/24"]


def test_a_push_answers_its_event_and_the_tag_exists(cloud, factory):
    """POST .../images stores the tag and answers the cr:Artifact:PushCompleted event for the image advisor."""
    event = admin(cloud, "POST", f"cr/instances/{INSTANCE_ID}/images",
                  {"namespace": "apps", "name": "web", "tag": "v2", "image_size": 3 * 2**30}).json()["event"]
    assert event["type"] == "cr:Artifact:PushCompleted" and event["data"]["ImageSize"] == 3 * 2**30
    body = call("cr", "ListRepository", factory.cr().list_repository,
                cr_models.ListRepositoryRequest(instance_id=INSTANCE_ID, page_size=30))
    assert [(r.repo_namespace_name, r.repo_name) for r in body.repositories] == [("apps", "web")]
    assert admin(cloud, "POST", f"cr/instances/{INSTANCE_ID}/images",
                 {"namespace": "apps", "name": "web", "tag": "v3", "image_size": "big"}).status_code == 400


# -- VPC ----------------------------------------------------------------------------------------------------

def test_a_route_entry_is_added_and_deleted(cloud, factory):
    """POST .../entries adds a Custom entry DescribeRouteEntryList lists; DELETE by CIDR or id removes it."""
    added = admin(cloud, "POST", f"vpc/route-tables/{TABLE}/entries",
                  {"destination": "100.118.28.0/24", "next_hop_id": "ri-admin01", "name": "ops-manual"})
    assert added.json()["route_entry"]["status"] == "Available"
    assert routes(factory) == {"10.10.0.0/16": "idc-uplink", "100.118.28.0/24": "ops-manual"}
    assert admin(cloud, "POST", f"vpc/route-tables/{TABLE}/entries",
                 {"destination": "100.118.28.0/24", "next_hop_id": "ri-admin01"}).status_code == 409
    assert admin(cloud, "DELETE", f"vpc/route-tables/{TABLE}/entries/100.118.28.0/24").status_code == 200
    assert admin(cloud, "DELETE", f"vpc/route-tables/{TABLE}/entries/rte-idc01").status_code == 200
    assert routes(factory) == {}
    assert admin(cloud, "DELETE", f"vpc/route-tables/{TABLE}/entries/10.10.0.0/16").status_code == 404
    assert admin(cloud, "DELETE", "vpc/route-tables/vtb-nope/entries/10.10.0.0/16").status_code == 404


# -- whole objects -------------------------------------------------------------------------------------------

def test_seed_adds_objects_and_a_bad_section_changes_nothing(cloud, factory):
    """POST seed loads a product's world section (a second instance); a bad one is a 400 and adds nothing."""
    second = {"id": "cri-admin000000002", "name": "second", "vpc": {"linked_vpcs": []}}
    bad = admin(cloud, "POST", "seed", {"product": "cr", "data": {"instances": [second, {"name": "no-id"}]}})
    assert bad.status_code == 400 and "instances[1]" in bad.json()["error"]
    assert admin(cloud, "POST", "seed", {"product": "ram", "data": {}}).status_code == 400
    seeded = admin(cloud, "POST", "seed", {"product": "cr", "data": {"instances": [second]}})
    assert seeded.json() == {"seeded": "cr", "account": ACCOUNT, "region": REGION}
    body = call("cr", "ListInstance", factory.cr().list_instance, cr_models.ListInstanceRequest(page_size=30))
    assert sorted(i.instance_id for i in body.instances) == ["cri-admin000000002", INSTANCE_ID]


# -- front ends -----------------------------------------------------------------------------------------------

def test_a_registry_challenge_is_changed(cloud):
    """PUT registry/hosts/HOST changes the realm the local /v2/ answers for that Host."""
    admin(cloud, "PUT", f"registry/hosts/{VPC_DOMAIN}", {"realm": "https://dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth",
                                                         "service": "registry.aliyuncs.com:cn-hangzhou:26842"})
    answer = requests.get(f"http://{cloud.endpoints()['registry']}/v2/", headers={"Host": VPC_DOMAIN}, timeout=5)
    assert answer.status_code == 401
    assert 'realm="https://dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth"' in answer.headers["WWW-Authenticate"]
    assert admin(cloud, "PUT", f"registry/hosts/{VPC_DOMAIN}", {"realm": "x"}).status_code == 400


def test_a_chat_robot_is_added_and_listed(cloud):
    """POST chat/robots adds a robot whose path then accepts messages; GET lists it with its path."""
    added = admin(cloud, "POST", "chat/robots", {"kind": "webhook", "token": "ops-hook"}).json()["robot"]
    assert added["path"] == "/webhook/ops-hook"
    sent = requests.post(f"http://{cloud.endpoints()['chat']}{added['path']}", json={"text": "hello"}, timeout=5)
    assert sent.status_code == 200
    assert added in admin(cloud, "GET", "chat/robots").json()["robots"]
    assert admin(cloud, "POST", "chat/robots", {"kind": "pager", "token": "t"}).status_code == 400
    assert admin(cloud, "POST", "chat/robots", {"kind": "slack", "token": "only-one-part"}).status_code == 400
