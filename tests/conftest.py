"""Test set-up shared by the whole suite.

The environment is fixed *before* any SDK import (``alibabacloud_credentials`` reads it at import
time): no ECS metadata probe, no proxies, no real credentials. ``pytest-socket`` (see
``pyproject.toml``) turns any connection to a host other than 127.0.0.1/::1 into a failure.
"""

from __future__ import annotations

import os

for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "NO_PROXY",
             "no_proxy", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
             "ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_ROLE_ARN",
             "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_PROFILE",
             "ALIBABA_CLOUD_CREDENTIALS_FILE"):
    os.environ.pop(_var, None)
os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"

from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from acrguard.clients import ClientFactory  # noqa: E402
from localcloud import LocalCloud  # noqa: E402
from support import base_world, make_factory  # noqa: E402


@pytest.fixture
def world() -> dict[str, Any]:
    """The world the ``cloud`` fixture is seeded from; override this fixture to seed another."""
    return base_world()


@pytest.fixture
def cloud(world: dict[str, Any]) -> Iterator[LocalCloud]:
    """A started local cloud on ephemeral 127.0.0.1 ports."""
    with LocalCloud(world, seed=1234) as running:
        yield running


@pytest.fixture
def factory(cloud: LocalCloud) -> ClientFactory:
    """A client factory signed with the root key of the test account."""
    return make_factory(cloud)
