"""Fixtures shared by the route target tests: a waiter on the local cloud's clock, the marker, write counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from acrguard.routes.targets.base import marker_prefix
from acrguard.routes.targets.waiting import Waiter
from support import INSTANCE_NAME

#: Every API call that changes a route target.
WRITE_ACTIONS = ("CreateRouteEntry", "DeleteRouteEntry", "ModifyVpnConnectionAttribute", "ResolveAndRouteServiceInCen",
                 "DeleteRouteServiceInCen", "CreateTransitRouterRouteEntry", "DeleteTransitRouterRouteEntry")


@pytest.fixture
def waiter(cloud) -> Waiter:
    """Polls every simulated second: waiting moves the local cloud's clock instead of sleeping."""
    return Waiter(timeout_s=60, interval_s=1, sleep=cloud.advance)


@pytest.fixture
def marker() -> str:
    """The marker prefix of the test instance (``acrguard:testreg:``)."""
    return marker_prefix(INSTANCE_NAME)


@pytest.fixture
def writes(cloud) -> Callable[[int], int]:
    """How many write calls reached the cloud since a ``cloud.requests.last_seq()`` mark."""
    return lambda since=0: cloud.requests.count(action=WRITE_ACTIONS, since=since)
