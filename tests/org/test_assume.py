"""Entering a member account: AssumeRole with the central function's role, the ExternalId, a traceable session."""

from __future__ import annotations

from typing import Any

import pytest

from acrguard.clients import ClientFactory, EndpointOverride, call
from acrguard.config.organization import OrganizationConfig
from acrguard.credentials import StaticCredentials
from acrguard.errors import CloudCallError
from acrguard.org.assume import Sessions, session_name
from localcloud.worlds.generate import ORG_CENTRAL, org_instance, org_member
from support import FAST_RETRY
from tests.org.orgsupport import GUARD, guard_world

EXTERNAL_ID = "acrguard-org:5f1c9a"


@pytest.fixture
def world() -> dict[str, Any]:
    return guard_world(3, ("cn-hangzhou",), external_id=EXTERNAL_ID, untrusting=(2,))


def central(cloud: Any) -> ClientFactory:
    """The guard function's own credentials, as FC hands them to it."""
    issued = cloud.service_credentials(f"acs:ram::{ORG_CENTRAL}:role/{GUARD}")
    endpoints = cloud.endpoints()
    return ClientFactory("cn-hangzhou", credentials=StaticCredentials(issued.access_key_id, issued.access_key_secret,
                                                                      issued.security_token),
                         override=EndpointOverride(endpoints["openapi"], oss_endpoint=endpoints["oss"]),
                         retry=FAST_RETRY)


def sessions(cloud: Any, **org: Any) -> Sessions:
    config = OrganizationConfig.model_validate({"accounts": [{"id": org_member(i)} for i in range(3)],
                                                "regions": ["cn-hangzhou"], **org})
    return Sessions(central(cloud), config, ORG_CENTRAL, GUARD, "20260601T000000Z-ab12cd")


def endpoint_of(factory: ClientFactory, index: int) -> Any:
    from alibabacloud_cr20181201 import models

    return call("cr", "GetInstanceEndpoint", factory.cr().get_instance_endpoint, models.GetInstanceEndpointRequest(
        instance_id=org_instance(index, 0)[0], endpoint_type="internet"))


def test_a_member_is_entered_with_its_role_and_the_external_id(cloud):
    """The member factory reads the member's instance; STS saw the member role, the ExternalId and the session name."""
    factory = sessions(cloud, external_id=EXTERNAL_ID).factory(org_member(0), "cn-hangzhou")
    assert endpoint_of(factory, 0).enable is True
    assume = [r for r in cloud.requests.all() if r.action == "AssumeRole"]
    assert len(assume) == 1 and assume[0].status == 200
    assert assume[0].params["RoleArn"] == f"acs:ram::{org_member(0)}:role/acrguard-member"
    assert assume[0].params["ExternalId"] == EXTERNAL_ID
    assert assume[0].params["RoleSessionName"] == "acrguard-whitelist-guard-20260601T000000Z-ab12cd"
    reads = [r for r in cloud.requests.all() if r.action == "GetInstanceEndpoint"]
    assert reads[0].account_id == org_member(0)


def test_one_assume_role_per_account_and_invocation(cloud):
    """The regions of one account share the credentials of one AssumeRole."""
    found = sessions(cloud, external_id=EXTERNAL_ID)
    found.factory(org_member(1), "cn-hangzhou")
    found.factory(org_member(1), "cn-shanghai")
    assert sum(1 for r in cloud.requests.all() if r.action == "AssumeRole") == 1


@pytest.mark.parametrize("external_id", [None, "acrguard-org:wrong"])
def test_a_trust_policy_that_requires_the_external_id_refuses_without_it(cloud, external_id):
    """No ExternalId, or the wrong one: STS refuses, and the refusal is an error naming NoPermission."""
    with pytest.raises(CloudCallError) as caught:
        sessions(cloud, external_id=external_id).factory(org_member(0), "cn-hangzhou")
    assert caught.value.code == "NoPermission"


def test_a_member_that_does_not_trust_the_function_is_refused(cloud):
    """A member role whose trust policy names nobody cannot be entered."""
    with pytest.raises(CloudCallError) as caught:
        sessions(cloud, external_id=EXTERNAL_ID).factory(org_member(2), "cn-hangzhou")
    assert caught.value.code == "NoPermission"


def test_the_central_account_is_never_entered_through_assume_role(cloud):
    """The central account's shard uses the function's own credentials, in the shard's region."""
    factory = sessions(cloud).factory(ORG_CENTRAL, "cn-shanghai")
    assert factory.region == "cn-shanghai"
    assert not any(r.action == "AssumeRole" for r in cloud.requests.all())


def test_session_names_are_traceable_and_within_sts_limits():
    """``acrguard-<function>-<run id>``, cut to 64 characters of the accepted form."""
    assert session_name("acrguard-endpoint-keeper", "ev:1/2") == "acrguard-endpoint-keeper-ev-1-2"
    assert len(session_name("acrguard-pullkey-auditor", "x" * 80)) == 64
    assert session_name("whitelist", "run") == "acrguard-whitelist-run"


def test_each_account_is_paced_by_its_own_quota_shared_by_its_regions(cloud):
    """The published quotas count an account's calls: a member's regions share one pacer, another member has
    its own, and the central account keeps the central factory's."""
    from acrguard.ratelimit import FlowControl

    paced = central(cloud)
    paced.flow_control = FlowControl(0.9, {})
    config = OrganizationConfig.model_validate({"accounts": [{"id": org_member(i)} for i in range(3)],
                                                "regions": ["cn-hangzhou"], "external_id": EXTERNAL_ID})
    found = Sessions(paced, config, ORG_CENTRAL, GUARD, "20260601T000000Z-ab12cd")
    one_hz, one_sh = found.factory(org_member(1), "cn-hangzhou"), found.factory(org_member(1), "cn-shanghai")
    other = found.factory(org_member(0), "cn-hangzhou")
    home = found.factory(ORG_CENTRAL, "cn-shanghai")
    assert one_hz.flow_control is not None and one_hz.flow_control is one_sh.flow_control
    assert other.flow_control is not None and other.flow_control is not one_hz.flow_control
    assert home.flow_control is paced.flow_control
