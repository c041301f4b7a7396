"""Constants, worlds and helpers shared by the tests (importable as ``support``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from acrguard.clients import ClientFactory, EndpointOverride
from acrguard.credentials import StaticCredentials
from acrguard.retry import RetryPolicy
from localcloud import LocalCloud

ACCOUNT = "1234567890123456"
ROOT_KEY = "LTAI5tTestRootKey00001"
ROOT_SECRET = "test-root-secret-0001"
REGION = "cn-hangzhou"
INSTANCE_ID = "cri-test0000000000001"
INSTANCE_NAME = "testreg"

#: Fast retries for tests: the same codes and bounds as production, millisecond delays.
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay_ms=5, max_delay_ms=20)

BASE_WORLD: dict[str, Any] = {
    "accounts": {
        ACCOUNT: {
            "default_region": REGION,
            "access_keys": [{"id": ROOT_KEY, "secret": ROOT_SECRET}],
            "global": {
                "ram": {
                    "roles": [{"name": "acrguard-keeper"}],
                    "users": [{"name": f"user-{i:02d}"} for i in range(7)],
                    "policies": [{
                        "name": "acr-pull",
                        "versions": [
                            {"id": "v1", "document": {"Version": "1", "Statement": [
                                {"Effect": "Allow", "Action": "cr:*", "Resource": "*"}]}},
                            {"id": "v2", "default": True, "document": {"Version": "1", "Statement": [
                                {"Effect": "Allow", "Action": ["cr:GetAuthorizationToken", "cr:PullRepository"],
                                 "Resource": "*"}]}},
                        ],
                    }],
                },
            },
            "regions": {
                REGION: {
                    "cr": {"instances": [{
                        "id": INSTANCE_ID, "name": INSTANCE_NAME, "specification": "Enterprise_Advanced",
                        "internet": {"enable": True, "entries": [{"entry": "203.0.113.0/24", "comment": "office"}]},
                        "vpc": {"linked_vpcs": [{"vpc_id": "vpc-test1", "vswitch_id": "vsw-test1",
                                                 "ip": "192.168.10.21", "default_access": True}]},
                    }]},
                },
            },
        },
    },
    "dns": {"records": {f"{INSTANCE_NAME}-registry-vpc.{REGION}.cr.aliyuncs.com": {"A": ["192.168.10.21"]}}},
    "registry": {"hosts": {f"{INSTANCE_NAME}-registry-vpc.{REGION}.cr.aliyuncs.com": {
        "realm": f"https://dockerauth-ee-vpc.{REGION}.aliyuncs.com/auth",
        "service": f"registry.aliyuncs.com:{REGION}:26842:{INSTANCE_ID}"}}},
}


def base_world() -> dict[str, Any]:
    """A fresh deep copy of the base test world (tests may extend it)."""
    return copy.deepcopy(BASE_WORLD)


def make_factory(cloud: LocalCloud, key_id: str = ROOT_KEY, secret: str = ROOT_SECRET, token: str | None = None,
                 retry: RetryPolicy = FAST_RETRY, region: str = REGION) -> ClientFactory:
    """A client factory pointed at the local cloud."""
    return ClientFactory(region, credentials=StaticCredentials(key_id, secret, token),
                         override=EndpointOverride(cloud.endpoints()["openapi"],
                                                   oss_endpoint=cloud.endpoints()["oss"]), retry=retry,
                         read_timeout_ms=3000, connect_timeout_ms=1000)


# -- RAM identities for tests that sign as someone other than the account's root ------------------

#: A RAM user whose only permission is ``sts:AssumeRole`` (the System policy AliyunSTSAssumeRoleAccess).
ASSUMER = "role-assumer"
ASSUMER_KEY, ASSUMER_SECRET = "LTAI5tRoleAssumer00001", "role-assumer-secret-0001"

#: The repository's deployed RAM policies (tests may read repository files; the local cloud may not).
DEPLOY_POLICIES = Path(__file__).resolve().parent.parent / "deploy" / "policies"


def state_policy(function: str) -> str:
    """The name of a function's state policy (``deploy/policies/<function>-state.json``)."""
    return f"{function}-state"


def trust_policy(account: str = ACCOUNT, services: tuple[str, ...] = ("fc.aliyuncs.com",)) -> dict[str, Any]:
    """A role trust policy naming the account (its RAM users and roles allowed ``sts:AssumeRole``) and services."""
    principal: dict[str, list[str]] = {"RAM": [f"acs:ram::{account}:root"]}
    if services:
        principal["Service"] = list(services)
    return {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": principal}]}


def ram_section(world: dict[str, Any], account: str = ACCOUNT) -> dict[str, Any]:
    """The ``global.ram`` section of an account of ``world`` (created empty when missing)."""
    body = world["accounts"][account]
    return body.setdefault("global", {}).setdefault("ram", {})


def with_role_assumer(world: dict[str, Any], account: str = ACCOUNT) -> dict[str, Any]:
    """Add the ``role-assumer`` RAM user and make every role of the account trust the account; returns ``world``.

    The account's root cannot call ``AssumeRole`` (STS refuses it), so tests that need role
    credentials assume the role as this user.
    """
    ram = ram_section(world, account)
    users = ram.setdefault("users", [])
    if not any(u.get("name") == ASSUMER for u in users):
        users.append({"name": ASSUMER, "policies": [{"name": "AliyunSTSAssumeRoleAccess", "type": "System"}],
                      "access_keys": [{"id": ASSUMER_KEY, "secret": ASSUMER_SECRET}]})
    for role in ram.get("roles") or []:
        role.setdefault("trust_policy", trust_policy(account))
    return world


def assume_role(cloud: LocalCloud, role: str, session: str = "test", duration: int = 900,
                account: str = ACCOUNT) -> Any:
    """STS credentials for ``role`` through the SDK's ``AssumeRole``, called by the ``role-assumer`` user."""
    from alibabacloud_sts20150401 import models

    from acrguard.clients import call

    assumer = make_factory(cloud, ASSUMER_KEY, ASSUMER_SECRET)
    return call("sts", "AssumeRole", assumer.sts().assume_role, models.AssumeRoleRequest(
        role_arn=f"acs:ram::{account}:role/{role}", role_session_name=session,
        duration_seconds=duration)).credentials


def deploy_policy(name: str) -> dict[str, Any]:
    """The document of ``deploy/policies/<name>.json``."""
    return json.loads((DEPLOY_POLICIES / f"{name}.json").read_text(encoding="utf-8"))


def function_names() -> list[str]:
    """Every function role the repository deploys policies for (``deploy/policies/<function>[-state].json``)."""
    from acrguard.functions import FUNCTIONS

    return sorted(spec.fc_name for spec in FUNCTIONS.values())


def function_policies(function: str) -> list[str]:
    """The names of the policies a function's role carries: its own, then its state policy."""
    return [function, state_policy(function)]


def with_function_roles(world: dict[str, Any], account: str = ACCOUNT, *, assumer: bool = True,
                        documents: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Give the account one RAM role per function, with exactly its deployed policies.

    Each role is named after the function (``acrguard-endpoint-keeper``, ...), carries the custom
    policies ``<function>`` and ``<function>-state`` (the documents of ``deploy/policies/``, or the
    one ``documents`` gives by policy name instead) and trusts Function Compute and the account;
    with ``assumer`` the ``role-assumer`` user is added to assume them (Function Compute needs no
    user: ``fc_credentials``). Returns ``world``.
    """
    ram = ram_section(world, account)
    policies = ram.setdefault("policies", [])
    roles = ram.setdefault("roles", [])
    replaced = documents or {}
    for function in function_names():
        for name in function_policies(function):
            policies[:] = [p for p in policies if p.get("name") != name]
            policies.append({"name": name, "document": replaced.get(name) or deploy_policy(name)})
        roles[:] = [r for r in roles if r.get("name") != function]
        roles.append({"name": function, "trust_policy": trust_policy(account),
                      "policies": [{"name": name, "type": "Custom"} for name in function_policies(function)]})
    return with_role_assumer(world, account) if assumer else world


def function_credentials(cloud: LocalCloud, function: str, account: str = ACCOUNT) -> Any:
    """STS credentials of a function's role (see ``with_function_roles``), obtained with ``AssumeRole``."""
    return assume_role(cloud, function, session=f"fc-{function}"[:64], account=account)


def fc_credentials(cloud: LocalCloud, job: str, account: str = ACCOUNT) -> Any:
    """The STS credentials Function Compute hands a function's handler: its role's (``with_function_roles``).

    FC assumes the role as the service ``fc.aliyuncs.com`` for every invocation
    (``LocalCloud.service_credentials``, no request of its own in the request log); ``job`` is the
    job or the function name.
    """
    from acrguard.functions import function

    name = function(job).fc_name
    return cloud.service_credentials(f"acs:ram::{account}:role/{name}", session_name=f"fc-{name}"[:64])
