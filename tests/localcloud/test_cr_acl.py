"""The local cloud's ACR whitelist writes, driven through the real cr20181201 SDK."""

from __future__ import annotations

from typing import Any

import pytest
from alibabacloud_cr20181201 import models as cr_models

from acrguard.clients import call
from acrguard.errors import CloudCallError
from localcloud import LocalCloud
from localcloud.products import cr as cr_product
from localcloud.products.cr import ENABLE_DELAY_S
from support import ACCOUNT, INSTANCE_ID, REGION, base_world

SWITCHING_ID = "cri-switching000000001"


def _endpoint(factory: Any) -> Any:
    return call("cr", "GetInstanceEndpoint", factory.cr().get_instance_endpoint,
                cr_models.GetInstanceEndpointRequest(instance_id=INSTANCE_ID, endpoint_type="internet"))


def _entries(factory: Any) -> list[tuple[str, str]]:
    return [(e.entry, e.comment) for e in _endpoint(factory).acl_entries]


def _add(factory: Any, entry: str, comment: str | None = None) -> Any:
    return call("cr", "CreateInstanceEndpointAclPolicy", factory.cr().create_instance_endpoint_acl_policy,
                cr_models.CreateInstanceEndpointAclPolicyRequest(instance_id=INSTANCE_ID, endpoint_type="Internet",
                                                                 entry=entry, comment=comment))


def _delete(factory: Any, entry: str) -> Any:
    return call("cr", "DeleteInstanceEndpointAclPolicy", factory.cr().delete_instance_endpoint_acl_policy,
                cr_models.DeleteInstanceEndpointAclPolicyRequest(instance_id=INSTANCE_ID, endpoint_type="Internet",
                                                                 entry=entry))


def _set_status(factory: Any, enable: bool) -> Any:
    return call("cr", "UpdateInstanceEndpointStatus", factory.cr().update_instance_endpoint_status,
                cr_models.UpdateInstanceEndpointStatusRequest(instance_id=INSTANCE_ID, endpoint_type="Internet",
                                                              enable=enable))


def test_create_adds_the_entry_with_its_comment(cloud, factory):
    """A created entry appears in GetInstanceEndpoint with its Comment, after the existing ones.

    Source: alibabacloud_cr20181201/models/_create_instance_endpoint_acl_policy_request.py.
    """
    body = _add(factory, "198.51.100.7/32", "acrguard:testreg:idc")
    assert body.is_success is True and body.code == "success"
    assert _entries(factory) == [("203.0.113.0/24", "office"), ("198.51.100.7/32", "acrguard:testreg:idc")]


def test_create_accepts_the_entries_list_form(cloud, factory):
    """The SDK's Entries list (sent as a JSON string) adds every entry it names.

    Source: alibabacloud_cr20181201/models/_create_instance_endpoint_acl_policy_shrink_request.py.
    """
    request = cr_models.CreateInstanceEndpointAclPolicyRequest(
        instance_id=INSTANCE_ID, endpoint_type="Internet",
        entries=[cr_models.AccessControlEntry(entry="198.51.100.1/32", comment="a"),
                 cr_models.AccessControlEntry(entry="198.51.100.2/32", comment="b")])
    call("cr", "CreateInstanceEndpointAclPolicy", factory.cr().create_instance_endpoint_acl_policy, request)
    assert _entries(factory)[1:] == [("198.51.100.1/32", "a"), ("198.51.100.2/32", "b")]


def test_duplicate_entry_answers_is_success_false(cloud, factory):
    """Adding an entry already present (as the same network) fails in the body, and changes nothing.

    Source: emulator's choice (ACL_ENTRY_ALREADY_EXIST; the API pages list no code).
    """
    with pytest.raises(CloudCallError) as caught:
        _add(factory, "203.0.113.5/24", "again")
    assert caught.value.code == "ACL_ENTRY_ALREADY_EXIST"
    assert cloud.requests.filter(action="CreateInstanceEndpointAclPolicy")[0].status == 200
    assert _entries(factory) == [("203.0.113.0/24", "office")]


def test_invalid_entry_is_an_invalid_parameter(cloud, factory):
    """An entry that is not an address or CIDR is rejected with InvalidParameter (400).

    Source: emulator's choice.
    """
    with pytest.raises(CloudCallError) as caught:
        _add(factory, "not-a-cidr")
    assert (caught.value.code, caught.value.status) == ("InvalidParameter", 400)


def test_delete_removes_the_entry_even_the_last_one(cloud, factory):
    """Deleting the last entry is allowed, as on the real cloud (the endpoint is then open).

    Source: https://help.aliyun.com/zh/terraform/alicloud-cr-endpoint-acl-service (an empty whitelist is open).
    """
    _delete(factory, "203.0.113.0/24")
    endpoint = _endpoint(factory)
    assert endpoint.enable is True and endpoint.acl_entries == []


def test_delete_of_a_missing_entry_answers_is_success_false(cloud, factory):
    """Deleting an entry that is not there fails in the body with ACL_ENTRY_NOT_EXIST.

    Source: emulator's choice (ACL_ENTRY_NOT_EXIST).
    """
    with pytest.raises(CloudCallError) as caught:
        _delete(factory, "192.0.2.1/32")
    assert caught.value.code == "ACL_ENTRY_NOT_EXIST"
    assert _entries(factory) == [("203.0.113.0/24", "office")]


def test_delete_matches_a_bare_address_to_its_slash_32(cloud, factory):
    """A bare address and its /32 are the same entry.

    Source: emulator's choice.
    """
    _add(factory, "198.51.100.9")
    _delete(factory, "198.51.100.9/32")
    assert _entries(factory) == [("203.0.113.0/24", "office")]


@pytest.fixture
def disabled(cloud):
    """The instance with its internet endpoint disabled and an empty whitelist."""
    instance = cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID]
    instance.internet_enable = False
    instance.acl = []
    return instance


def test_enabling_is_creating_until_the_clock_has_moved_then_running_with_loopback(cloud, factory, disabled):
    """Enabling answers at once; the endpoint is CREATING with its old (empty) ACL, then RUNNING with 127.0.0.1/32.

    Source: Terraform alicloud/resource_alicloud_cr_internet_endpoint.go, alicloud/service_alicloud_cr.go
    (WaitCrEndpointRunning); the 30 s and the loopback at RUNNING: emulator's choice.
    """
    _set_status(factory, True)
    endpoint = _endpoint(factory)
    assert endpoint.enable is True and endpoint.status == "CREATING" and endpoint.acl_entries == []
    cloud.advance(ENABLE_DELAY_S - 1)
    assert _endpoint(factory).status == "CREATING"
    cloud.advance(1)
    endpoint = _endpoint(factory)
    assert endpoint.status == "RUNNING"
    assert [(e.entry, e.comment) for e in endpoint.acl_entries] == [("127.0.0.1/32", "default")]
    recorded = cloud.requests.filter(action="UpdateInstanceEndpointStatus")[0]
    assert recorded.params["Enable"].lower() == "true"


def test_list_instance_endpoint_reports_the_same_switch(cloud, factory, disabled):
    """ListInstanceEndpoint shows the internet endpoint CREATING, then RUNNING, like GetInstanceEndpoint.

    Source: emulator's choice (by analogy with GetInstanceEndpoint).
    """
    _set_status(factory, True)

    def internet() -> Any:
        body = call("cr", "ListInstanceEndpoint", factory.cr().list_instance_endpoint,
                    cr_models.ListInstanceEndpointRequest(instance_id=INSTANCE_ID))
        return next(e for e in body.endpoints if e.endpoint_type == "internet")

    assert internet().status == "CREATING"
    cloud.advance(ENABLE_DELAY_S)
    assert internet().status == "RUNNING" and [e.entry for e in internet().acl_entries] == ["127.0.0.1/32"]


def test_acl_writes_while_creating_answer_success_and_are_dropped(cloud, factory, disabled):
    """An entry created (or deleted) while the endpoint is CREATING is acknowledged and never appears.

    Source: Terraform alicloud/service_alicloud_cr.go (WaitCrEndpointRunning: creates dropped); deletes: emulator's
    choice.
    """
    disabled.acl = [cr_product.AclEntry("203.0.113.0/24", "office")]
    _set_status(factory, True)
    assert _add(factory, "198.51.100.7/32", "early").is_success is True
    assert _delete(factory, "203.0.113.0/24").is_success is True
    cloud.advance(ENABLE_DELAY_S)
    assert _entries(factory) == [("203.0.113.0/24", "office"), ("127.0.0.1/32", "default")]
    _add(factory, "198.51.100.7/32", "late")
    assert _entries(factory)[-1] == ("198.51.100.7/32", "late")


def test_enabling_an_enabled_endpoint_changes_nothing(cloud, factory):
    """Enable=true on a RUNNING endpoint keeps it RUNNING with its whitelist.

    Source: emulator's choice.
    """
    _set_status(factory, True)
    endpoint = _endpoint(factory)
    assert endpoint.status == "RUNNING" and _entries(factory) == [("203.0.113.0/24", "office")]


def test_disabling_keeps_the_entries_and_drops_the_status(cloud, factory, disabled):
    """A disabled endpoint answers no Status (as Terraform observed) and keeps the whitelist as it was.

    Source: Terraform alicloud/service_alicloud_cr.go (CrInternetEndpointStateRefreshFunc); kept entries: emulator's
    choice.
    """
    _set_status(factory, True)
    cloud.advance(ENABLE_DELAY_S)
    _set_status(factory, False)
    endpoint = _endpoint(factory)
    assert endpoint.enable is False and endpoint.status is None
    assert [e.entry for e in endpoint.acl_entries] == ["127.0.0.1/32"]


@pytest.fixture
def world():
    """The base world plus an instance whose endpoint was just switched on (seeded CREATING, 5 s to go)."""
    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"].append(
        {"id": SWITCHING_ID, "name": "switching", "internet": {"enable": True, "status": "CREATING",
                                                               "enable_delay_s": 5}})
    return data


def test_a_seeded_creating_endpoint_runs_after_its_delay(cloud, factory):
    """A world may seed an endpoint CREATING with its own delay; it turns RUNNING when the clock passes it.

    Source: emulator's choice (the world's enable_delay_s).
    """
    request = cr_models.GetInstanceEndpointRequest(instance_id=SWITCHING_ID, endpoint_type="internet")
    assert call("cr", "GetInstanceEndpoint", factory.cr().get_instance_endpoint, request).status == "CREATING"
    cloud.advance(5)
    assert call("cr", "GetInstanceEndpoint", factory.cr().get_instance_endpoint, request).status == "RUNNING"


@pytest.mark.parametrize("internet", [{"status": "STOPPED"}, {"enable_delay_s": -1}])
def test_bad_seeded_endpoint_states_are_refused(internet):
    """A seeded internet status outside CREATING/RUNNING/DELETING or a negative delay names the path.

    Source: alibabacloud_cr20181201/models/_get_instance_endpoint_response_body.py and the GetInstanceEndpoint page
    (statuses).
    """
    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"][0]["internet"].update(internet)
    with pytest.raises(ValueError, match=r"instances\[0\]\.internet\."):
        LocalCloud(data).backend("cr", ACCOUNT, REGION)


def test_missing_instance_is_http_200_with_is_success_false(cloud, factory):
    """An unknown instance answers HTTP 200, IsSuccess=false, Code=INSTANCE_NOT_EXIST, as Terraform reads it.

    Source: Terraform alicloud/service_alicloud_cr_ee.go (DescribeCrEEInstance).
    """
    with pytest.raises(CloudCallError) as caught:
        call("cr", "GetInstanceEndpoint", factory.cr().get_instance_endpoint,
             cr_models.GetInstanceEndpointRequest(instance_id="cri-doesnotexist01", endpoint_type="internet"))
    assert caught.value.code == "INSTANCE_NOT_EXIST"
    recorded = cloud.requests.filter(action="GetInstanceEndpoint")[-1]
    assert recorded.status == 200


def test_endpoint_calls_on_an_instance_that_is_not_running_are_not_supported(cloud, factory):
    """While the instance is not RUNNING its internet endpoint answers INSTANCE_STATUS_NOT_SUPPORT in the body.

    Source: Terraform alicloud/service_alicloud_cr.go (DescribeCrInternetEndpoint); which APIs: emulator's choice.
    """
    cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].status = "DELETING"
    with pytest.raises(CloudCallError) as caught:
        _endpoint(factory)
    assert caught.value.code == "INSTANCE_STATUS_NOT_SUPPORT"
    with pytest.raises(CloudCallError) as write:
        _add(factory, "198.51.100.7/32")
    assert write.value.code == "INSTANCE_STATUS_NOT_SUPPORT"


def test_vpc_endpoint_type_is_refused_for_acl_writes(cloud, factory):
    """Only the Internet endpoint type is accepted by the whitelist writes.

    Source: emulator's choice.
    """
    with pytest.raises(CloudCallError) as caught:
        call("cr", "CreateInstanceEndpointAclPolicy", factory.cr().create_instance_endpoint_acl_policy,
             cr_models.CreateInstanceEndpointAclPolicyRequest(instance_id=INSTANCE_ID, endpoint_type="Vpc",
                                                              entry="198.51.100.7/32"))
    assert caught.value.code == "InvalidParameter"
