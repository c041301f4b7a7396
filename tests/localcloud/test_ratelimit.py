"""Per-operation rate limits: Throttling.User over the limit, a window per account and action, off by default."""

from __future__ import annotations

from typing import Any

import pytest
from alibabacloud_cr20181201 import models as cr_models
from alibabacloud_ram20150501 import models as ram_models

from acrguard.clients import call
from acrguard.errors import TransientCloudError
from acrguard.retry import RetryPolicy
from localcloud import LocalCloud
from localcloud.ratelimit import DEFAULT_RULES, THROTTLED_CODE, RateLimits, RateRule, rate_limits
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
    """The third GetInstance in a minute is refused with Throttling.User (HTTP 400) through the real SDK."""
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
    """Using up GetInstance's budget leaves other operations untouched."""
    factory = make_factory(cloud, retry=ONCE)
    for _ in range(2):
        _get_instance(factory)
    for _ in range(5):
        call("cr", "GetInstanceEndpoint", factory.cr().get_instance_endpoint,
             cr_models.GetInstanceEndpointRequest(instance_id=INSTANCE_ID, endpoint_type="internet"))
    assert cloud.requests.count(action="GetInstanceEndpoint", ok=True) == 5


def test_the_window_slides_with_the_cloud_clock(cloud):
    """Once the period has passed on the cloud's clock, calls are admitted again."""
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
    """A world without ``rate_limits`` answers every call."""
    with LocalCloud(base_world()) as cloud:
        factory = make_factory(cloud, retry=ONCE)
        for _ in range(30):
            _get_instance(factory)
        assert cloud.requests.count(action="GetInstance", ok=True) == 30
        assert rate_limits(cloud).rules() == []


def test_default_rules_are_the_stated_choice():
    """``rate_limits: default`` limits every operation to the emulator's stated 100 calls a second."""
    limits = RateLimits.from_world("default")
    assert limits.rules() == list(DEFAULT_RULES)
    assert limits.rule_for("ram", "ListUsers").rate == 100.0


def test_sliding_window_counts_admitted_calls_per_account_and_action():
    """At most ``limit`` admitted calls in any ``period_s``; accounts and actions are counted apart."""
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
    ("sometimes", "rate_limits must be 'default' or a list"),
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
    """A rule with ``retry_after_ms`` adds the header the SDK honours."""
    error = RateRule(limit=1, retry_after_ms=250).error()
    assert error.extra == {"x-acs-retry-after": "250"}
    assert (error.code, error.status) == (THROTTLED_CODE, 400)
