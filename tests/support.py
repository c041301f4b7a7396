"""Constants, worlds and helpers shared by the tests (importable as ``support``)."""

from __future__ import annotations

import copy
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
