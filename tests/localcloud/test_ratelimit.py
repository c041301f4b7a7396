"""Per-operation rate limits: Throttling.User over the limit, a window per account and action, off by default,
the published figures on request."""

from __future__ import annotations

from typing import Any

import pytest
from alibabacloud_cr20181201 import models as cr_models
from alibabacloud_ram20150501 import models as ram_models

from acrguard.clients import call
from acrguard.errors import TransientCloudError
from acrguard.retry import RetryPolicy
from localcloud import LocalCloud
from localcloud.ratelimit import (
    DEFAULT_RULES,
    PUBLISHED_RULES,
    THROTTLED_CODE,
    RateLimits,
    RateRule,
    published_figures,
    rate_limits,
)
from support import INSTANCE_ID, base_world, make_factory

ONCE = RetryPolicy(max_attempts=1)


@pytest.fixture
def world() -> dict[str, Any]:
    """Two GetInstance calls a minute; every other operation unlimited."""
    data = base_world()
    data["rate_limits"] = [{"product": "cr", "action": "GetInstance", "limit": 2, "period_s": 60}]
    return data


def _get_instance(factory: Any) -> Any:
    return call("cr", "GetInstance", factory.cr().get_instance, cr_models.GetInstanceRequest(instance_id=INSTANCE_ID))


def test_a_call_over_the_limit_is_answered_throttling_user(cloud):
    """The third GetInstance in a minute is refused with Throttling.User (HTTP 400) through the real SDK.

    Source: https://help.aliyun.com/en/openapi/throttling-and-quota-management.
    """
    factory = make_factory(cloud, retry=ONCE)
    _get_instance(factory)
    _get_instance(factory)
    with pytest.raises(TransientCloudError) as caught:
        _get_instance(factory)
    assert caught.value.code == THROTTLED_CODE
    last = cloud.requests.filter(action="GetInstance")[-1]
    assert (last.status, last.error_code, last.fault) == (400, THROTTLED_CODE, False)
    assert rate_limits(cloud).denied("cr", "GetInstance") == 1


def test_other_operations_have_their_own_window(cloud):
    """Using up GetInstance's budget leaves other operations untouched.

    Source: https://help.aliyun.com/en/openapi/throttling-and-quota-management (a quota per API).
    """
    factory = make_factory(cloud, retry=ONCE)
    for _ in range(2):
        _get_instance(factory)
    for _ in range(5):
        call("cr", "GetInstanceEndpoint", factory.cr().get_instance_endpoint,
             cr_models.GetInstanceEndpointRequest(instance_id=INSTANCE_ID, endpoint_type="internet"))
    assert cloud.requests.count(action="GetInstanceEndpoint", ok=True) == 5


def test_the_window_slides_with_the_cloud_clock(cloud):
    """Once the period has passed on the cloud's clock, calls are admitted again.

    Source: emulator's choice (a sliding window on the cloud clock).
    """
    factory = make_factory(cloud, retry=ONCE)
    for _ in range(2):
        _get_instance(factory)
    cloud.advance(61)
    assert _get_instance(factory).instance_id == INSTANCE_ID


def test_the_factory_retry_absorbs_throttling_once_the_window_frees(cloud):
    """A throttled call retried after the window moved on succeeds: the caller sees success."""
    limits = rate_limits(cloud)
    limits.clear()
    limits.add(product="ram", action="ListUsers", limit=1, period_s=0.2)
    factory = make_factory(cloud, retry=RetryPolicy(max_attempts=4, base_delay_ms=150, max_delay_ms=400))
    for _ in range(2):
        call("ram", "ListUsers", factory.ram().list_users, ram_models.ListUsersRequest())
    outcomes = [r.error_code for r in cloud.requests.filter(action="ListUsers")]
    assert outcomes[0] is None and outcomes[-1] is None and THROTTLED_CODE in outcomes


def test_nothing_is_limited_unless_configured():
    """A world without ``rate_limits`` answers every call.

    Source: emulator's choice.
    """
    with LocalCloud(base_world()) as cloud:
        factory = make_factory(cloud, retry=ONCE)
        for _ in range(30):
            _get_instance(factory)
        assert cloud.requests.count(action="GetInstance", ok=True) == 30
        assert rate_limits(cloud).rules() == []


@pytest.mark.parametrize("name", ["published", "default"])
def test_published_and_default_select_the_published_figures(name):
    """``rate_limits: published`` (and ``default``) limit each operation to its published quota.

    Source: the flow-control pages each rule names (localcloud/ratelimit.py).
    """
    limits = RateLimits.from_world(name)
    assert limits.rules() == list(PUBLISHED_RULES) == list(DEFAULT_RULES)
    assert (limits.rule_for("ram", "ListUsers").limit, limits.rule_for("ram", "ListUsers").period_s) == (100, 1.0)
    assert limits.rule_for("ram", "CreatePolicyVersion").rate == 20.0
    assert limits.rule_for("ram", "AttachPolicyToUser").rate == 10.0
    assert limits.rule_for("sts", "AssumeRole").rate == 100.0
    assert (limits.rule_for("vpc", "DescribeVpnConnection").limit,
            limits.rule_for("vpc", "DescribeVpnConnection").period_s) == (600, 60.0)


def _emulated_operations() -> list[tuple[str, str]]:
    import importlib
    import pkgutil

    import localcloud.products

    found = []
    for info in pkgutil.iter_modules(localcloud.products.__path__):
        service = importlib.import_module(f"localcloud.products.{info.name}").SERVICE
        found += [(service.product, action) for action in service.actions]
        found += [(service.product, route.action) for route in service.routes]
    return found


def test_every_emulated_operation_has_a_rule_with_its_source():
    """Each operation of every product is governed by a rule of its product that names a source or the choice.

    Source: each rule's source, or its stated emulator's choice.
    """
    catch_all = PUBLISHED_RULES[-1]
    operations = _emulated_operations()
    assert len(operations) > 50
    for product, action in operations:
        rule = RateLimits(PUBLISHED_RULES).rule_for(product, action)
        assert rule is not None and rule is not catch_all, (product, action)
        assert rule.source.startswith(("https://", "emulator's choice: ")), rule
    documented = {(r.product, r.action) for r in PUBLISHED_RULES if r.source.startswith("https://")}
    assert {("ram", "ListUsers"), ("ram", "CreateAccessKey"), ("sts", "AssumeRole"),
            ("vpc", "DescribeVpnConnection")} <= documented


def test_published_figures_are_json_ready_with_their_source():
    """``published_figures()`` lists every rule as a mapping a client-side pacer can load."""
    import json

    figures = json.loads(json.dumps(published_figures()))
    assert len(figures) == len(PUBLISHED_RULES)
    assert {"product", "action", "limit", "period_s", "source"} <= set(figures[0])
    assert all(f["source"] for f in figures)


def test_published_limits_throttle_through_the_gateway():
    """With ``rate_limits: published`` the 4th CreateTransitRouterRouteEntry in a second is throttled.

    Source: emulator's choice (3/1 s, the CEN page's pattern for transit router writes).
    """
    limits = RateLimits.from_world("published", clock=lambda: 0.0)
    admitted = [limits.admit("a", "cbn", "CreateTransitRouterRouteEntry") is None for _ in range(4)]
    assert admitted == [True, True, True, False]


def test_sliding_window_counts_admitted_calls_per_account_and_action():
    """At most ``limit`` admitted calls in any ``period_s``; accounts and actions are counted apart.

    Source: emulator's choice.
    """
    now = [0.0]
    limits = RateLimits([RateRule(limit=2, period_s=1.0)], clock=lambda: now[0])
    assert limits.admit("a", "ram", "ListUsers") is None
    assert limits.admit("a", "ram", "ListUsers") is None
    assert limits.admit("a", "ram", "ListUsers") is not None
    assert limits.admit("b", "ram", "ListUsers") is None
    assert limits.admit("a", "ram", "ListGroups") is None
    now[0] = 0.999
    assert limits.admit("a", "ram", "ListUsers") is not None
    now[0] = 1.0
    assert limits.admit("a", "ram", "ListUsers") is None


@pytest.mark.parametrize(("data", "message"), [
    ("sometimes", "rate_limits must be 'published'"),
    ([{"limit": 5, "source": 7}], "rate_limits[0]: source must be a string"),
    ([{"limit": 0}], "rate_limits[0]: limit must be a positive integer"),
    ([{"limit": 5}, {"limit": 5, "per": "second"}], "rate_limits[1]: unknown rate limit keys: ['per']"),
    ([{"product": "ram"}], "rate_limits[0]: a rate limit needs 'limit'"),
    ([{"limit": 5, "period_s": -1}], "rate_limits[0]: period_s must be a positive number"),
])
def test_world_errors_name_the_rule(data, message):
    """A bad ``rate_limits`` section is refused with the index of the rule and what is wrong."""
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        RateLimits.from_world(data)


def test_retry_after_is_sent_when_configured():
    """A rule with ``retry_after_ms`` adds the header the SDK honours.

    Source: alibabacloud_tea_openapi/client.py (x-acs-retry-after).
    """
    error = RateRule(limit=1, retry_after_ms=250).error()
    assert error.extra == {"x-acs-retry-after": "250"}
    assert (error.code, error.status) == (THROTTLED_CODE, 400)
