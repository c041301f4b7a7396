"""Flow control in the client factory: every call waits for its operation's place; throttling is retried and counted."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from alibabacloud_cr20181201 import models as cr_models

from acrguard.clients import ClientFactory, call
from acrguard.config import load_config_data
from acrguard.errors import TransientCloudError
from acrguard.ratelimit import THROTTLING_CODES, FlowControl, Override
from acrguard.retry import RetryPolicy
from localcloud.ratelimit import rate_limits
from support import INSTANCE_ID, REGION, make_factory


def get_instance(factory: ClientFactory) -> Any:
    return call("cr", "GetInstance", factory.cr().get_instance, cr_models.GetInstanceRequest(instance_id=INSTANCE_ID))


def paced(cloud, control: FlowControl, retry: RetryPolicy | None = None) -> ClientFactory:
    factory = make_factory(cloud, **({"retry": retry} if retry else {}))
    factory.flow_control = control
    return factory


def test_a_factory_from_the_config_paces_at_the_default_share_unless_switched_off():
    """``cloud.flow_control`` is on by default (0.9 of each quota); ``enabled: false`` builds no flow control."""
    factory = ClientFactory.from_config(load_config_data({"cloud": {"region": REGION}}))
    assert isinstance(factory.flow_control, FlowControl) and factory.flow_control.share == 0.9
    off = ClientFactory.from_config(load_config_data({"cloud": {"region": REGION, "flow_control": {"enabled": False}}}))
    assert off.flow_control is None


def test_the_config_overrides_reach_the_pace_of_their_operation():
    """An operation's own figure from the config replaces the shipped one, at the configured share."""
    config = load_config_data({"cloud": {"region": REGION, "flow_control": {"share": 0.5, "operations": {
        "cbn:CreateTransitRouterRouteEntry": {"limit": 20, "period_s": 1}}}}})
    control = ClientFactory.from_config(config).flow_control
    assert control is not None
    pace = control.pace("cbn", "CreateTransitRouterRouteEntry")
    assert pace is not None and (pace.limit, pace.places, pace.share) == (20, 10, 0.5)


def test_every_call_of_the_factory_takes_a_place_under_its_operation(cloud):
    """Calls through ``call`` are counted per operation by the factory's flow control."""
    control = FlowControl()
    factory = paced(cloud, control)
    for _ in range(3):
        get_instance(factory)
    assert control.stats()["cr:GetInstance"]["calls"] == 3


def test_a_call_over_its_operations_places_waits(cloud):
    """Two places per 0.4 s: the third call starts only once the first place is free again."""
    control = FlowControl(1.0, {"cr:GetInstance": Override(limit=2, period_s=0.4)})
    factory = paced(cloud, control)
    for _ in range(3):
        get_instance(factory)
    assert control.stats()["cr:GetInstance"]["waited_s"] >= 0.3
    first, _, third = cloud.requests.filter(action="GetInstance")
    assert third.time - first.time >= 0.39


def test_throttling_is_retried_by_call_each_attempt_paced_and_counted(cloud):
    """Two Throttling.User answers: the call succeeds on its third attempt; each attempt took a place."""
    control = FlowControl()
    factory = paced(cloud, control)
    rule = cloud.inject(action="GetInstance", code="Throttling.User", times=2)
    assert get_instance(factory).instance_id == INSTANCE_ID
    assert rule.fired == 2 and len(cloud.requests.filter(action="GetInstance")) == 3
    assert control.stats()["cr:GetInstance"] == {"calls": 3, "waited_s": 0.0, "throttled": 2, "quota": "100/1(s)",
                                                 "share": 0.9}


def test_throttling_past_the_attempts_is_transient_and_counted(cloud):
    """When every attempt is throttled the call fails as transient (FC retries the invocation)."""
    control = FlowControl()
    factory = paced(cloud, control, RetryPolicy(max_attempts=2, base_delay_ms=1, max_delay_ms=2))
    cloud.inject(action="GetInstance", code="Throttling.User")
    with pytest.raises(TransientCloudError) as caught:
        get_instance(factory)
    assert caught.value.code == "Throttling.User" and control.throttled_total == 2


def test_the_sdk_no_longer_retries_throttling_itself(cloud, factory):
    """The SDK's retry condition keeps the product's busy codes but not the throttling codes ``call`` handles."""
    codes = factory.config("vpc").retry_options.retry_condition[0].error_code
    assert "TaskConflict" in codes and not THROTTLING_CODES & set(codes)


def test_concurrent_callers_paced_to_the_quota_are_never_throttled(cloud):
    """Seven calls from seven threads against 3/1(s), paced at that figure: none is denied."""
    rate_limits(cloud).add(product="cr", action="GetInstance", limit=3, period_s=1)
    control = FlowControl(1.0, {"cr:GetInstance": Override(limit=3, period_s=1)})
    factory = paced(cloud, control)
    threads = [threading.Thread(target=get_instance, args=(factory,)) for _ in range(7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert rate_limits(cloud).denied() == 0 and control.stats()["cr:GetInstance"]["calls"] == 7
