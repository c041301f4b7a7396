"""The OpenAPI gateway: signatures, credentials, dispatch and error envelopes, through the real SDKs."""

from __future__ import annotations

import pytest
from alibabacloud_cr20181201 import models as cr_models

from acrguard.clients import call
from acrguard.errors import CloudCallError
from support import ACCOUNT, INSTANCE_ID, ROOT_KEY, assume_role, base_world, make_factory, with_role_assumer


@pytest.fixture
def world():
    """The base world with a RAM user that may assume its role (the root cannot call AssumeRole)."""
    return with_role_assumer(base_world())


def test_acs3_signed_call_succeeds_and_is_recorded(cloud, factory):
    """A call signed with the right secret is answered and shows up in the request log.

    Source: alibabacloud_tea_openapi/utils.py (get_authorization).
    """
    body = call("cr", "GetInstance", factory.cr().get_instance, cr_models.GetInstanceRequest(instance_id=INSTANCE_ID))
    assert body.instance_id == INSTANCE_ID
    recorded = cloud.requests.filter(product="cr", action="GetInstance")
    assert len(recorded) == 1
    assert recorded[0].params == {"InstanceId": INSTANCE_ID}
    assert recorded[0].account_id == ACCOUNT and recorded[0].region == "cn-hangzhou"


def test_wrong_secret_raises_signature_does_not_match(cloud):
    """The SDK raises SignatureDoesNotMatch when the secret is wrong.

    Source: alibabacloud_tea_openapi/utils.py (get_authorization); the gateway's code.
    """
    bad = make_factory(cloud, secret="not-the-secret")
    with pytest.raises(CloudCallError) as caught:
        call("sts", "GetCallerIdentity", bad.sts().get_caller_identity)
    assert caught.value.code == "SignatureDoesNotMatch"
    assert caught.value.status == 400


def test_unknown_access_key_is_not_found(cloud):
    """An AccessKey the cloud does not know gives InvalidAccessKeyId.NotFound (404).

    Source: the gateway's code; the status: emulator's choice.
    """
    bad = make_factory(cloud, key_id="LTAI5tNobodyHasThisKey")
    with pytest.raises(CloudCallError) as caught:
        call("sts", "GetCallerIdentity", bad.sts().get_caller_identity)
    assert caught.value.code == "InvalidAccessKeyId.NotFound"
    assert caught.value.status == 404


def test_assumed_role_token_works_then_expires(cloud):
    """STS credentials authenticate until the clock passes their expiry.

    Source: alibabacloud_sts20150401/models/_assume_role_response_body.py (Expiration).
    """
    creds = assume_role(cloud, "acrguard-keeper", session="test", duration=900)
    temp = make_factory(cloud, creds.access_key_id, creds.access_key_secret, creds.security_token)
    identity = call("sts", "GetCallerIdentity", temp.sts().get_caller_identity)
    assert identity.identity_type == "AssumedRoleUser"
    assert identity.arn == f"acs:ram::{ACCOUNT}:assumed-role/acrguard-keeper/test"
    cloud.advance(901)
    with pytest.raises(CloudCallError) as caught:
        call("sts", "GetCallerIdentity", temp.sts().get_caller_identity)
    assert caught.value.code == "InvalidSecurityToken.Expired"


def test_token_of_another_key_is_a_mismatch(cloud):
    """A security token sent with a key it was not issued for is rejected.

    Source: the gateway's code; the status: emulator's choice.
    """
    creds = assume_role(cloud, "acrguard-keeper")
    mixed = make_factory(cloud, ROOT_KEY, "test-root-secret-0001", creds.security_token)
    with pytest.raises(CloudCallError) as caught:
        call("sts", "GetCallerIdentity", mixed.sts().get_caller_identity)
    assert caught.value.code == "InvalidSecurityToken.MismatchWithAccessKey"
