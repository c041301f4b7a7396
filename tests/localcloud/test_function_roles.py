"""The test helper that gives a world one RAM role per function, with exactly the policies it deploys."""

from __future__ import annotations

import pytest
from alibabacloud_cr20181201 import models as cr_models
from alibabacloud_ram20150501 import models as ram_models

from acrguard.clients import call
from acrguard.errors import CloudCallError
from support import INSTANCE_ID, base_world, function_credentials, function_names, make_factory, with_function_roles


@pytest.fixture
def world():
    """The base world with the function roles of deploy/policies."""
    return with_function_roles(base_world())


def test_a_function_role_may_do_what_its_policy_allows_and_nothing_else(cloud):
    """The whitelist guard's role reads the instance endpoint and is refused RAM reads."""
    assert "acrguard-whitelist-guard" in function_names()
    creds = function_credentials(cloud, "acrguard-whitelist-guard")
    guard = make_factory(cloud, creds.access_key_id, creds.access_key_secret, creds.security_token)
    endpoint = call("cr", "GetInstanceEndpoint", guard.cr().get_instance_endpoint, cr_models.GetInstanceEndpointRequest(
        instance_id=INSTANCE_ID, endpoint_type="internet"))
    assert endpoint.enable is True
    with pytest.raises(CloudCallError) as caught:
        call("ram", "ListUsers", guard.ram().list_users, ram_models.ListUsersRequest())
    assert (caught.value.code, caught.value.status) == ("NoPermission", 403)
