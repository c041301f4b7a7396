"""RAM authorization on every call, through the real SDKs: who is allowed, who is refused, and how."""

from __future__ import annotations

import base64
import json
from typing import Any

import alibabacloud_oss_v2 as oss
import pytest
from alibabacloud_cr20181201 import models as cr_models
from alibabacloud_oss_v2 import exceptions as oss_errors
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_sts20150401 import models as sts_models
from Tea.exceptions import TeaException

from acrguard.clients import call
from acrguard.errors import CloudCallError, TransientCloudError
from support import (
    ACCOUNT,
    ASSUMER_KEY,
    ASSUMER_SECRET,
    INSTANCE_ID,
    REGION,
    base_world,
    make_factory,
    ram_section,
    trust_policy,
    with_role_assumer,
)

OTHER_INSTANCE = "cri-test0000000000002"
BUCKET = "acrguard-state"


def _allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "1", "Statement": list(statements)}


INSTANCE_A = f"acs:cr:{REGION}:{ACCOUNT}:instance/{INSTANCE_ID}"

#: user name -> the statements of its one custom policy (None: no policy at all).
USERS: dict[str, list[dict[str, Any]] | None] = {
    "nobody": None,
    "instance-a": [_allow("cr:GetInstance", INSTANCE_A)],
    "wildcard": [_allow("cr:Get*")],
    "denied": [_allow("cr:*"), _deny("cr:GetInstance", f"acs:cr:*:*:instance/{INSTANCE_ID}")],
    "not-cr": [{"Effect": "Allow", "NotAction": ["cr:*"], "Resource": "*"}],
    "local-ip": [_allow("cr:GetInstance", Condition={"IpAddress": {"acs:SourceIp": ["127.0.0.1/32"]}})],
    "office-ip": [_allow("cr:GetInstance", Condition={"IpAddress": {"acs:SourceIp": "203.0.113.0/24"}})],
    "until-2100": [_allow("cr:GetInstance", Condition={"DateLessThan": {"acs:CurrentTime": "2100-01-01T00:00:00Z"}})],
    "from-vpc": [_allow("cr:GetInstance", Condition={"StringEquals": {"acs:SourceVpc": "vpc-test1"}})],
    "deny-unknown": [_allow("cr:GetInstance"),
                     _deny("cr:GetInstance", Condition={"StringEquals": {"acs:SourceVpc": "vpc-other"}})],
    "state-reader": [_allow("oss:GetObject", f"acs:oss:*:*:{BUCKET}/public/*"),
                     _deny("oss:GetObject", f"acs:oss:*:*:{BUCKET}/public/secret*"),
                     _allow("ram:ListUsers")],
    "assumer-untrusted": [_allow("sts:AssumeRole")],
}


def _key(name: str) -> tuple[str, str]:
    return f"LTAI5tAuthz{name.replace('-', '')[:11]:0<11}", f"secret-of-{name}"


@pytest.fixture
def world():
    """Users with one policy each, a user in a group, a role that reads instance A, a second instance, a bucket."""
    data = base_world()
    instances = data["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"]
    instances.append({"id": OTHER_INSTANCE, "name": "otherreg", "specification": "Enterprise_Basic"})
    ram = ram_section(data)
    for name, statements in USERS.items():
        key_id, secret = _key(name)
        user: dict[str, Any] = {"name": name, "access_keys": [{"id": key_id, "secret": secret}]}
        if statements is not None:
            ram["policies"].append({"name": f"p-{name}", "document": _document(*statements)})
            user["policies"] = [{"name": f"p-{name}", "type": "Custom"}]
        ram["users"].append(user)
    ram["policies"].append({"name": "read-instance-a", "document": _document(_allow("cr:GetInstance", INSTANCE_A))})
    ram["groups"] = [{"name": "readers", "policies": [{"name": "read-instance-a", "type": "Custom"}]}]
    key_id, secret = _key("grouped")
    ram["users"].append({"name": "grouped", "groups": ["readers"], "access_keys": [{"id": key_id, "secret": secret}]})
    key_id, secret = _key("versioned")
    ram["users"].append({"name": "versioned", "policies": [{"name": "acr-pull", "type": "Custom"}],
                         "access_keys": [{"id": key_id, "secret": secret}]})
    ram["roles"] = [{"name": "acrguard-keeper", "policies": [{"name": "read-instance-a", "type": "Custom"}]},
                    {"name": "trusts-another-account", "trust_policy": trust_policy("9999888877776666", ())}]
    data["oss"] = {"buckets": [{"name": BUCKET, "account": ACCOUNT, "region": REGION,
                                "objects": {"public/a.txt": "a", "public/secret.txt": "s", "private/b.txt": "b"}}]}
    return with_role_assumer(data)


def _as(cloud, name: str):
    return make_factory(cloud, *_key(name))


def _get_instance(factory, instance_id: str = INSTANCE_ID) -> Any:
    return call("cr", "GetInstance", factory.cr().get_instance, cr_models.GetInstanceRequest(instance_id=instance_id))


def _refused(factory, instance_id: str = INSTANCE_ID) -> CloudCallError:
    with pytest.raises(CloudCallError) as caught:
        _get_instance(factory, instance_id)
    return caught.value


def _assume(factory, role: str = "acrguard-keeper", **extra: Any) -> Any:
    return call("sts", "AssumeRole", factory.sts().assume_role, sts_models.AssumeRoleRequest(
        role_arn=f"acs:ram::{ACCOUNT}:role/{role}", role_session_name="authz", **extra)).credentials


def test_root_may_do_everything_without_any_policy(cloud, factory):
    """The account's own AccessKey is never refused, whatever the policies say.

    Source: https://www.alibabacloud.com/help/en/resource-access-management/latest/policy-evaluation-process (the
    account owns its resources).
    """
    assert _get_instance(factory, OTHER_INSTANCE).instance_id == OTHER_INSTANCE


def test_a_user_without_policies_is_refused_by_default(cloud):
    """No Allow anywhere: the gateway's Forbidden.RAM, 403, an implicit deny.

    Source: https://www.alibabacloud.com/help/en/resource-access-management/latest/policy-evaluation-process (default
    deny); Forbidden.RAM: https://help.aliyun.com/en/document_detail/3064376.html.
    """
    refused = _refused(_as(cloud, "nobody"))
    assert (refused.code, refused.status) == ("Forbidden.RAM", 403)


def test_a_user_policy_allows_on_its_instance_only(cloud):
    """A policy scoped to instance A allows GetInstance on A and refuses it on B.

    Source: https://help.aliyun.com/en/acr/user-guide/ram-authorization-information (ARN forms).
    """
    user = _as(cloud, "instance-a")
    assert _get_instance(user).instance_id == INSTANCE_ID
    assert _refused(user, OTHER_INSTANCE).code == "Forbidden.RAM"


def test_a_group_policy_applies_to_its_members(cloud):
    """A user with no policy of its own is allowed by its group's policy.

    Source: https://www.alibabacloud.com/help/en/resource-access-management/latest/policy-evaluation-process;
    https://www.alibabacloud.com/help/en/ram/product-overview/limits.
    """
    assert _get_instance(_as(cloud, "grouped")).instance_id == INSTANCE_ID


def test_only_the_default_version_of_a_policy_is_in_force(cloud):
    """acr-pull's v1 allows cr:*, its default v2 only pulls: GetInstance is refused.

    Source: https://www.alibabacloud.com/help/en/resource-access-management/latest/policy-evaluation-process;
    alibabacloud_ram20150501/models/_get_policy_response_body.py (DefaultPolicyVersion).
    """
    assert _refused(_as(cloud, "versioned")).code == "Forbidden.RAM"


def test_a_wildcard_action_covers_matching_actions_only(cloud):
    """cr:Get* allows GetInstance but not ListInstance.

    Source: https://www.alibabacloud.com/help/ja/doc-detail/93738.htm.
    """
    user = _as(cloud, "wildcard")
    assert _get_instance(user).instance_id == INSTANCE_ID
    with pytest.raises(CloudCallError) as caught:
        call("cr", "ListInstance", user.cr().list_instance, cr_models.ListInstanceRequest())
    assert caught.value.code == "Forbidden.RAM"


def test_an_explicit_deny_beats_an_allow(cloud):
    """cr:* is allowed but GetInstance on instance A is denied: A is refused, B is not.

    Source: https://www.alibabacloud.com/help/en/resource-access-management/latest/policy-evaluation-process.
    """
    user = _as(cloud, "denied")
    assert _get_instance(user, OTHER_INSTANCE).instance_id == OTHER_INSTANCE
    with pytest.raises(TeaException) as caught:
        user.cr().get_instance(cr_models.GetInstanceRequest(instance_id=INSTANCE_ID))
    assert caught.value.data["AccessDeniedDetail"]["NoPermissionType"] == "ExplicitDeny"


def test_not_action_allows_everything_but_the_listed_actions(cloud):
    """Allow + NotAction cr:* grants ram:ListUsers and refuses cr:GetInstance.

    Source: https://www.alibabacloud.com/help/document_detail/93739.html.
    """
    user = _as(cloud, "not-cr")
    call("ram", "ListUsers", user.ram().list_users, ram_models.ListUsersRequest())
    assert _refused(user).code == "Forbidden.RAM"


@pytest.mark.parametrize(("user", "allowed"), [("local-ip", True), ("office-ip", False), ("until-2100", True)])
def test_conditions_on_source_ip_and_current_time(cloud, user, allowed):
    """IpAddress on acs:SourceIp (the client is 127.0.0.1) and DateLessThan on acs:CurrentTime are evaluated.

    Source: https://www.alibabacloud.com/help/en/ram/conditional-operator; the keys' values: emulator's choice.
    """
    if allowed:
        assert _get_instance(_as(cloud, user)).instance_id == INSTANCE_ID
    else:
        assert _refused(_as(cloud, user)).code == "Forbidden.RAM"


def test_the_current_time_condition_follows_the_clock(cloud):
    """An Allow until a date stops applying once the local cloud's clock passes it.

    Source: emulator's choice (acs:CurrentTime is the cloud clock).
    """
    cloud.advance(100 * 365 * 86400)
    assert _refused(_as(cloud, "until-2100")).code == "Forbidden.RAM"


@pytest.mark.parametrize(("user", "kind"), [("from-vpc", "ImplicitDeny"), ("deny-unknown", "ExplicitDeny")])
def test_a_condition_on_a_key_the_cloud_lacks_is_read_the_safe_way(cloud, user, kind):
    """An Allow on a key the request lacks does not apply; a Deny on such a key does.

    Source: emulator's choice (the safe reading; RAM's answer is not published).
    """
    with pytest.raises(TeaException) as caught:
        _as(cloud, user).cr().get_instance(cr_models.GetInstanceRequest(instance_id=INSTANCE_ID))
    assert caught.value.accessDeniedDetail["NoPermissionType"] == kind


def test_a_role_session_has_the_roles_policies(cloud):
    """Credentials from AssumeRole are allowed what the role's policies allow, and nothing else.

    Source: https://www.alibabacloud.com/help/en/resource-access-management/latest/policy-evaluation-process;
    https://www.alibabacloud.com/help/doc-detail/28763.html.
    """
    creds = _assume(make_factory(cloud, ASSUMER_KEY, ASSUMER_SECRET))
    session = make_factory(cloud, creds.access_key_id, creds.access_key_secret, creds.security_token)
    assert _get_instance(session).instance_id == INSTANCE_ID
    with pytest.raises(TeaException) as caught:
        session.cr().get_instance(cr_models.GetInstanceRequest(instance_id=OTHER_INSTANCE))
    detail = caught.value.data["AccessDeniedDetail"]
    assert (detail["AuthPrincipalType"], detail["AuthPrincipalDisplayName"]) == ("AssumedRoleUser",
                                                                                 "acrguard-keeper:authz")


def test_a_session_policy_narrows_the_role(cloud):
    """AssumeRole's Policy parameter: the session may do only what both it and the role allow.

    Source: https://www.alibabacloud.com/help/en/resource-access-management/latest/policy-evaluation-process (session
    policy); alibabacloud_sts20150401/models/_assume_role_request.py.
    """
    narrow = json.dumps(_document(_allow("cr:ListInstance")))
    creds = _assume(make_factory(cloud, ASSUMER_KEY, ASSUMER_SECRET), policy=narrow)
    session = make_factory(cloud, creds.access_key_id, creds.access_key_secret, creds.security_token)
    with pytest.raises(TeaException) as caught:
        session.cr().get_instance(cr_models.GetInstanceRequest(instance_id=INSTANCE_ID))
    assert caught.value.data["AccessDeniedDetail"]["PolicyType"] == "SessionPolicy"


def test_the_refusal_is_the_gateways_envelope_as_the_sdk_raises_it(cloud):
    """Code, HTTP status, message and AccessDeniedDetail, as the Tea exception carries them.

    Source: https://help.aliyun.com/en/document_detail/3064376.html; alibabacloud_tea_openapi/client.py
    (AccessDeniedDetail).
    """
    user = _as(cloud, "nobody")
    with pytest.raises(TeaException) as caught:
        user.cr().get_instance(cr_models.GetInstanceRequest(instance_id=INSTANCE_ID))
    error = caught.value
    assert error.code == "Forbidden.RAM" and error.statusCode == 403
    assert error.data["Message"] == ("User not authorized to operate on the specified resource, or this API "
                                     "doesn't support RAM.")
    detail = error.accessDeniedDetail
    assert detail["AuthAction"] == "cr:GetInstance" and detail["NoPermissionType"] == "ImplicitDeny"
    assert detail["PolicyType"] == "AccountLevelIdentityBasedPolicy" and detail["AuthPrincipalType"] == "SubUser"
    assert detail["AuthPrincipalOwnerId"] == ACCOUNT
    decoded = json.loads(base64.b64decode(detail["EncodedDiagnosticMessage"]))
    assert decoded["AuthResource"] == INSTANCE_A


def test_the_refusal_is_permanent_for_acrguard_and_recorded(cloud):
    """acrguard's call() raises CloudCallError (not retried) and the request log keeps the code.

    Source: https://help.aliyun.com/en/document_detail/3064376.html (403); the request log is the emulator's interface.
    """
    before = cloud.requests.last_seq()
    refused = _refused(_as(cloud, "nobody"))
    assert not isinstance(refused, TransientCloudError)
    recorded = cloud.requests.filter(product="cr", action="GetInstance", since=before)
    assert [(r.status, r.error_code) for r in recorded] == [(403, "Forbidden.RAM")]


def test_ram_refuses_with_its_own_code_naming_resource_and_action(cloud):
    """RAM's own APIs answer NoPermission naming the resource and the action.

    Source: https://github.com/alibaba/funcraft/pull/243 (RAM's NoPermission message).
    """
    with pytest.raises(CloudCallError) as caught:
        call("ram", "GetUser", _as(cloud, "nobody").ram().get_user, ram_models.GetUserRequest(user_name="nobody"))
    assert (caught.value.code, caught.value.status) == ("NoPermission", 403)
    assert f"Resource: acs:ram:*:{ACCOUNT}:user/nobody Action: ram:GetUser" in str(caught.value)


def test_assume_role_is_refused_to_the_accounts_root(cloud, factory):
    """STS refuses AssumeRole called with the account's own AccessKey.

    Source: https://help.aliyun.com/en/ram/support/faq-about-ram-roles-and-sts-tokens.
    """
    with pytest.raises(CloudCallError) as caught:
        _assume(factory)
    assert (caught.value.code, caught.value.status) == ("NoPermission", 403)
    assert "You should be authorized by RAM" in str(caught.value)


def test_assume_role_needs_sts_assume_role_permission(cloud):
    """A RAM user without sts:AssumeRole is refused by its own policies.

    Source: https://help.aliyun.com/en/ram/support/faq-about-ram-roles-and-sts-tokens.
    """
    with pytest.raises(TeaException) as caught:
        _as(cloud, "nobody").sts().assume_role(sts_models.AssumeRoleRequest(
            role_arn=f"acs:ram::{ACCOUNT}:role/acrguard-keeper", role_session_name="authz"))
    assert (caught.value.code, caught.value.statusCode) == ("NoPermission", 403)
    assert caught.value.accessDeniedDetail["PolicyType"] == "AccountLevelIdentityBasedPolicy"


def test_assume_role_needs_the_roles_trust(cloud):
    """A caller allowed sts:AssumeRole is still refused by a role whose trust policy names another account.

    Source: https://help.aliyun.com/en/ram/support/faq-about-ram-roles-and-sts-tokens.
    """
    with pytest.raises(TeaException) as caught:
        _as(cloud, "assumer-untrusted").sts().assume_role(sts_models.AssumeRoleRequest(
            role_arn=f"acs:ram::{ACCOUNT}:role/trusts-another-account", role_session_name="authz"))
    assert (caught.value.code, caught.value.statusCode) == ("NoPermission", 403)
    assert caught.value.accessDeniedDetail["PolicyType"] == "AssumeRolePolicy"


def test_get_caller_identity_needs_no_permission(cloud):
    """A user without any policy may still ask who it is.

    Source: emulator's choice; https://help.aliyun.com/document_detail/371868.htm publishes no authorization.
    """
    body = call("sts", "GetCallerIdentity", _as(cloud, "nobody").sts().get_caller_identity)
    assert body.identity_type == "RAMUser"


def _oss_error(excinfo) -> oss_errors.ServiceError:
    error = excinfo.value
    while isinstance(error, oss_errors.OperationError):
        error = error.unwrap()
    return error


def test_oss_object_arns_scope_a_policy(cloud):
    """oss:GetObject on <bucket>/public/* reads public objects only; others are AccessDenied with EC.

    Source: https://www.alibabacloud.com/help/en/oss/user-guide/how-oss-works-with-ram;
    https://www.alibabacloud.com/help/en/oss/support/0003-00000001.
    """
    client = _as(cloud, "state-reader").oss()
    assert client.get_object(oss.GetObjectRequest(bucket=BUCKET, key="public/a.txt")).body.read() == b"a"
    with pytest.raises(oss_errors.OperationError) as caught:
        client.get_object(oss.GetObjectRequest(bucket=BUCKET, key="private/b.txt"))
    error = _oss_error(caught)
    assert (error.status_code, error.code, error.ec) == (403, "AccessDenied", "0003-00000001")
    assert b"<NoPermissionType>ImplicitDeny</NoPermissionType>" in error.snapshot
    assert b"<AuthAction>oss:GetObject</AuthAction>" in error.snapshot


def test_oss_explicit_deny_has_its_own_ec_and_head_is_get(cloud):
    """A Deny on a key prefix answers 0003-00000201; HeadObject is authorized as oss:GetObject; writes are refused.

    Source: https://www.alibabacloud.com/help/en/oss/support/0003-00000201;
    https://www.alibabacloud.com/help/zh/doc-detail/118942.htm (HeadObject).
    """
    client = _as(cloud, "state-reader").oss()
    with pytest.raises(oss_errors.OperationError) as caught:
        client.get_object(oss.GetObjectRequest(bucket=BUCKET, key="public/secret.txt"))
    assert (_oss_error(caught).ec, _oss_error(caught).message) == ("0003-00000201", "Access denied by bucket policy.")
    assert client.head_object(oss.HeadObjectRequest(bucket=BUCKET, key="public/a.txt")).status_code == 200
    with pytest.raises(oss_errors.OperationError) as caught:
        client.put_object(oss.PutObjectRequest(bucket=BUCKET, key="public/new.txt", body=b"x"))
    assert (_oss_error(caught).status_code, _oss_error(caught).code) == (403, "AccessDenied")
    assert cloud.requests.filter(product="oss", action="PutObject")[-1].error_code == "AccessDenied"
