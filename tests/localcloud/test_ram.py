"""RAM in the local cloud, through the real ``alibabacloud_ram20150501`` SDK: reads, writes, paging, errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alibabacloud_ram20150501 import models as ram

from acrguard.clients import call
from acrguard.errors import CloudCallError
from support import ACCOUNT, base_world

PULL_DOC = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "cr:PullRepository", "Resource": "*"}]}


@pytest.fixture
def world() -> dict[str, Any]:
    """The base world plus a group, a user with keys and a console login, and attachments."""
    data = base_world()
    seed = data["accounts"][ACCOUNT]["global"]["ram"]
    seed["groups"] = [{"name": "pullers", "policies": [{"name": "acr-pull", "type": "Custom"}]}]
    seed["users"].append({
        "name": "puller", "groups": ["pullers"],
        "policies": [{"name": "AliyunContainerRegistryReadOnlyAccess", "type": "System"}],
        "access_keys": [{"id": "LTAI5tPullerKey0000001", "secret": "s1", "create_date": "2025-02-01T00:00:00Z",
                         "last_used": "2025-03-01T00:00:00Z"}],
        "login_profile": True,
    })
    seed["roles"] = [{"name": "Acrguard-Keeper", "policies": [{"name": "acr-pull", "type": "Custom"},
                                                              {"name": "AliyunRAMReadOnlyAccess", "type": "System"}]}]
    return data


def ram_call(factory, api: str, **params: Any) -> Any:
    """Call a RAM API by name with snake_case parameters, through ``acrguard.clients.call``."""
    method = "".join("_" + c.lower() if c.isupper() else c for c in api).lstrip("_")
    request = getattr(ram, f"{api}Request")(**params)
    return call("ram", api, getattr(factory.ram(), method), request)


def error_of(factory, api: str, **params: Any) -> CloudCallError:
    """The ``CloudCallError`` a call raises."""
    with pytest.raises(CloudCallError) as caught:
        ram_call(factory, api, **params)
    return caught.value


# -- reads -----------------------------------------------------------------------------------------

def test_list_users_pages_with_marker_up_to_max_items(cloud, factory):
    """ListUsers returns MaxItems users per page and a Marker until the last page.

    Source: alibabacloud_ram20150501/models/_list_users_request.py.
    """
    first = ram_call(factory, "ListUsers", max_items=5)
    assert first.is_truncated is True and len(first.users.user) == 5
    second = ram_call(factory, "ListUsers", max_items=5, marker=first.marker)
    assert second.is_truncated is False
    names = [u.user_name for u in first.users.user + second.users.user]
    assert names == sorted(["puller", *(f"user-{i:02d}" for i in range(7))])


def test_max_items_above_1000_is_invalid(cloud, factory):
    """MaxItems is bounded to 1000 as documented.

    Source: alibabacloud_ram20150501/models/_list_users_request.py (1 to 1000).
    """
    assert error_of(factory, "ListUsers", max_items=1001).code == "InvalidParameter"


def test_user_policies_and_groups_are_listed_with_default_versions(cloud, factory):
    """ListPoliciesForUser/ListGroupsForUser/ListPoliciesForGroup name each policy and its DefaultVersion.

    Source: alibabacloud_ram20150501/models/_list_policies_for_user_response_body.py.
    """
    own = ram_call(factory, "ListPoliciesForUser", user_name="puller").policies.policy
    assert [(p.policy_name, p.policy_type, p.default_version) for p in own] == \
        [("AliyunContainerRegistryReadOnlyAccess", "System", "v2")]
    groups = ram_call(factory, "ListGroupsForUser", user_name="puller").groups.group
    assert [g.group_name for g in groups] == ["pullers"]
    group_policies = ram_call(factory, "ListPoliciesForGroup", group_name="pullers").policies.policy
    assert [(p.policy_name, p.default_version) for p in group_policies] == [("acr-pull", "v2")]


def test_role_policies_are_listed_with_default_versions_and_an_unknown_role_is_named(cloud, factory):
    """ListPoliciesForRole names each attached policy, its type and DefaultVersion, and finds the role whatever
    the case of its name; an unknown role is ``EntityNotExist.Role``.

    Source: alibabacloud_ram20150501/models/_list_policies_for_role_response_body.py; the code
    terraform-provider-alicloud treats as a missing role (alicloud/service_alicloud_ram.go).
    """
    attached = ram_call(factory, "ListPoliciesForRole", role_name="acrguard-keeper").policies.policy
    assert sorted((p.policy_name, p.policy_type, p.default_version) for p in attached) == [
        ("AliyunRAMReadOnlyAccess", "System", "v3"), ("acr-pull", "Custom", "v2")]
    assert error_of(factory, "ListPoliciesForRole", role_name="no-such-role").code == "EntityNotExist.Role"


def test_built_in_system_policies_can_be_read(cloud, factory):
    """System policies such as AliyunContainerRegistryFullAccess exist in every account.

    Source: localcloud/data/system_policies.json (each version's source).
    """
    body = ram_call(factory, "GetPolicy", policy_name="AliyunContainerRegistryFullAccess", policy_type="System")
    document = json.loads(body.default_policy_version.policy_document)
    assert document["Statement"][0]["Action"] in ("cr:*", ["cr:*"])
    names = {p.policy_name for p in ram_call(factory, "ListPolicies", policy_type="System",
                                              max_items=1000).policies.policy}
    assert {"AdministratorAccess", "AliyunContainerRegistryReadOnlyAccess"} <= names


def test_access_keys_last_use_and_login_profile(cloud, factory):
    """ListAccessKeys never shows a secret; GetAccessKeyLastUsed and GetLoginProfile answer per user.

    Source: alibabacloud_ram20150501/models/_list_access_keys_response_body.py; the RAM API pages' error tables.
    """
    keys = ram_call(factory, "ListAccessKeys", user_name="puller").access_keys.access_key
    assert [(k.access_key_id, k.status, k.create_date) for k in keys] == \
        [("LTAI5tPullerKey0000001", "Active", "2025-02-01T00:00:00Z")]
    assert not hasattr(keys[0], "access_key_secret") or keys[0].access_key_secret is None
    used = ram_call(factory, "GetAccessKeyLastUsed", user_name="puller", user_access_key_id="LTAI5tPullerKey0000001")
    assert used.access_key_last_used.last_used_date == "2025-03-01T00:00:00Z"
    assert ram_call(factory, "GetLoginProfile", user_name="puller").login_profile.user_name == "puller"
    assert error_of(factory, "GetLoginProfile", user_name="user-00").code == "EntityNotExist.User.LoginProfile"


def test_missing_entities_have_documented_codes(cloud, factory):
    """Unknown users, groups, policies, versions and keys give the EntityNotExist.* codes with 404.

    Source: the RAM API pages' error tables.
    """
    cases = [
        ("GetUser", {"user_name": "nobody"}, "EntityNotExist.User"),
        ("ListPoliciesForGroup", {"group_name": "nobody"}, "EntityNotExist.Group"),
        ("GetPolicy", {"policy_name": "nope", "policy_type": "Custom"}, "EntityNotExist.Policy"),
        ("GetPolicyVersion", {"policy_name": "acr-pull", "policy_type": "Custom", "version_id": "v9"},
         "EntityNotExist.Policy.Version"),
        ("GetAccessKeyLastUsed", {"user_name": "user-00", "user_access_key_id": "LTAI5tPullerKey0000001"},
         "EntityNotExist.User.AccessKey"),
    ]
    for api, params, code in cases:
        err = error_of(factory, api, **params)
        assert (err.code, err.status) == (code, 404), api


def test_list_entities_and_group_members(cloud, factory):
    """ListEntitiesForPolicy names holders; ListUsersForGroup names members.

    Source: alibabacloud_ram20150501/models/_list_entities_for_policy_response_body.py,
    _list_users_for_group_response_body.py.
    """
    body = ram_call(factory, "ListEntitiesForPolicy", policy_name="acr-pull", policy_type="Custom")
    assert [g.group_name for g in body.groups.group] == ["pullers"] and body.users.user == []
    members = ram_call(factory, "ListUsersForGroup", group_name="pullers").users.user
    assert [m.user_name for m in members] == ["puller"]


# -- writes ----------------------------------------------------------------------------------------

def test_attach_and_detach_policy_to_user(cloud, factory):
    """AttachPolicyToUser adds an attachment once; a second attach and a stray detach are errors.

    Source: the RAM API pages' error tables (AttachPolicyToUser, DetachPolicyFromUser).
    """
    ram_call(factory, "AttachPolicyToUser", policy_name="AdministratorAccess", policy_type="System",
             user_name="user-00")
    assert [p.policy_name for p in ram_call(factory, "ListPoliciesForUser", user_name="user-00").policies.policy] \
        == ["AdministratorAccess"]
    again = error_of(factory, "AttachPolicyToUser", policy_name="AdministratorAccess", policy_type="System",
                     user_name="user-00")
    assert (again.code, again.status) == ("EntityAlreadyExists.User.Policy", 409)
    ram_call(factory, "DetachPolicyFromUser", policy_name="AdministratorAccess", policy_type="System",
             user_name="user-00")
    stray = error_of(factory, "DetachPolicyFromUser", policy_name="AdministratorAccess", policy_type="System",
                     user_name="user-00")
    assert (stray.code, stray.status) == ("EntityNotExist.User.Policy", 404)


def test_attachment_limit_per_user(cloud, factory):
    """More than 10 custom policies on one user is LimitExceeded.User.Policy.

    Source: https://www.alibabacloud.com/help/en/ram/product-overview/limits.
    """
    for index in range(11):
        ram_call(factory, "CreatePolicy", policy_name=f"p{index}", policy_document=json.dumps(PULL_DOC))
    for index in range(10):
        ram_call(factory, "AttachPolicyToUser", policy_name=f"p{index}", policy_type="Custom", user_name="user-01")
    err = error_of(factory, "AttachPolicyToUser", policy_name="p10", policy_type="Custom", user_name="user-01")
    assert (err.code, err.status) == ("LimitExceeded.User.Policy", 409)


def test_group_membership_and_group_attachments(cloud, factory):
    """AddUserToGroup/RemoveUserFromGroup/AttachPolicyToGroup change what the user lists.

    Source: the RAM API pages (AddUserToGroup, RemoveUserFromGroup, AttachPolicyToGroup).
    """
    ram_call(factory, "AddUserToGroup", user_name="user-02", group_name="pullers")
    assert error_of(factory, "AddUserToGroup", user_name="user-02", group_name="pullers").code == \
        "EntityAlreadyExists.User.Group"
    ram_call(factory, "AttachPolicyToGroup", policy_name="AdministratorAccess", policy_type="System",
             group_name="pullers")
    attached = ram_call(factory, "ListPoliciesForGroup", group_name="pullers").policies.policy
    assert [p.policy_name for p in attached] == ["acr-pull", "AdministratorAccess"]
    ram_call(factory, "RemoveUserFromGroup", user_name="user-02", group_name="pullers")
    assert ram_call(factory, "ListGroupsForUser", user_name="user-02").groups.group == []
    assert error_of(factory, "RemoveUserFromGroup", user_name="user-02", group_name="pullers").code == \
        "EntityNotExist.User.Group"


def test_policy_versions_rotate_and_protect_the_default(cloud, factory):
    """CreatePolicyVersion numbers versions, SetAsDefault moves the default, limits hold at five.

    Source: alibabacloud_ram20150501/models/_create_policy_version_request.py; the CreatePolicyVersion page (5
    versions).
    """
    created = ram_call(factory, "CreatePolicyVersion", policy_name="acr-pull", policy_document=json.dumps(PULL_DOC),
                       set_as_default=True).policy_version
    assert (created.version_id, created.is_default_version) == ("v3", True)
    assert ram_call(factory, "GetPolicy", policy_name="acr-pull", policy_type="Custom").policy.default_version == "v3"
    default = error_of(factory, "DeletePolicyVersion", policy_name="acr-pull", version_id="v3")
    assert (default.code, default.status) == ("DeleteConflict.Policy.Version.Default", 409)
    ram_call(factory, "SetDefaultPolicyVersion", policy_name="acr-pull", version_id="v1")
    ram_call(factory, "DeletePolicyVersion", policy_name="acr-pull", version_id="v3")
    for _ in range(3):
        ram_call(factory, "CreatePolicyVersion", policy_name="acr-pull", policy_document=json.dumps(PULL_DOC))
    full = error_of(factory, "CreatePolicyVersion", policy_name="acr-pull", policy_document=json.dumps(PULL_DOC))
    assert (full.code, full.status) == ("LimitExceeded.Policy.Version", 409)
    rotated = ram_call(factory, "CreatePolicyVersion", policy_name="acr-pull", policy_document=json.dumps(PULL_DOC),
                       rotate_strategy="DeleteOldestNonDefaultVersionWhenLimitExceeded").policy_version
    versions = ram_call(factory, "ListPolicyVersions", policy_name="acr-pull", policy_type="Custom")
    assert rotated.version_id == "v7"
    assert [v.version_id for v in versions.policy_versions.policy_version] == ["v1", "v4", "v5", "v6", "v7"]


def test_malformed_policy_document_is_refused(cloud, factory):
    """A document that is not JSON, or lacks Version "1", is MalformedPolicyDocument.

    Source: https://www.alibabacloud.com/help/document_detail/93739.html; the CreatePolicy error table.
    """
    assert error_of(factory, "CreatePolicyVersion", policy_name="acr-pull", policy_document="{not json").code == \
        "MalformedPolicyDocument"
    assert error_of(factory, "CreatePolicy", policy_name="x", policy_document='{"Statement": []}').code == \
        "MalformedPolicyDocument"


def test_access_key_lifecycle_and_limit(cloud, factory):
    """CreateAccessKey shows the secret once, allows two keys per user; UpdateAccessKey flips the status.

    Source: https://www.alibabacloud.com/help/en/ram/product-overview/limits (2 keys); _create_access_key_request.py.
    """
    created = ram_call(factory, "CreateAccessKey", user_name="puller").access_key
    assert created.access_key_secret and created.status == "Active"
    err = error_of(factory, "CreateAccessKey", user_name="puller")
    assert (err.code, err.status) == ("LimitExceeded.User.AccessKey", 409)
    ram_call(factory, "UpdateAccessKey", user_name="puller", user_access_key_id=created.access_key_id,
             status="Inactive")
    statuses = {k.access_key_id: k.status for k in
                ram_call(factory, "ListAccessKeys", user_name="puller").access_keys.access_key}
    assert statuses[created.access_key_id] == "Inactive"
    assert cloud.access_keys[created.access_key_id].status == "Inactive"


def test_new_access_key_is_dated_by_the_local_clock(cloud, factory):
    """A key created after advancing the clock carries the advanced date.

    Source: emulator's choice (dates on the cloud clock).
    """
    cloud.advance(86400 * 365)
    created = ram_call(factory, "CreateAccessKey", user_name="user-03").access_key
    assert created.create_date == cloud.clock.iso()


def test_create_login_profile_once(cloud, factory):
    """CreateLoginProfile enables console login; a second one is EntityAlreadyExists.User.LoginProfile.

    Source: the CreateLoginProfile error table.
    """
    ram_call(factory, "CreateLoginProfile", user_name="user-04", password="Passw0rd!Passw0rd")
    assert ram_call(factory, "GetLoginProfile", user_name="user-04").login_profile.user_name == "user-04"
    err = error_of(factory, "CreateLoginProfile", user_name="user-04", password="Passw0rd!Passw0rd")
    assert (err.code, err.status) == ("EntityAlreadyExists.User.LoginProfile", 409)


def test_world_attaching_an_unknown_policy_is_a_clear_error():
    """A world that attaches a policy nobody defined fails to load, naming where."""
    from localcloud import LocalCloud

    data = base_world()
    data["accounts"][ACCOUNT]["global"]["ram"]["users"][0]["policies"] = [{"name": "NoSuch", "type": "System"}]
    with pytest.raises(ValueError, match=r"users\[0\]\.policies: unknown System policy 'NoSuch'"):
        LocalCloud(data)


def test_generated_world_pages_quickly():
    """A generated 2,000-user world loads and lists in two 1,000-user pages."""
    import time

    from localcloud import LocalCloud
    from localcloud.worlds.generate import ROOT_KEY, ROOT_SECRET, ram_world
    from support import make_factory

    world = ram_world(users=2000, custom_policies=200, seed=1)
    assert world == ram_world(users=2000, custom_policies=200, seed=1)
    with LocalCloud(world) as running:
        factory = make_factory(running, ROOT_KEY, ROOT_SECRET)
        started = time.monotonic()
        first = ram_call(factory, "ListUsers", max_items=1000)
        second = ram_call(factory, "ListUsers", max_items=1000, marker=first.marker)
        assert len(first.users.user) + len(second.users.user) == 2000 and second.is_truncated is False
        assert time.monotonic() - started < 5
