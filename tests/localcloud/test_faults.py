"""Fault injection, and the client factory's bounded retries absorbing or surfacing it."""

from __future__ import annotations

import contextlib
import time

import pytest
from alibabacloud_cr20181201 import models as cr_models

from acrguard.clients import call
from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.retry import RetryPolicy
from support import INSTANCE_ID, make_factory


def _get_instance(factory):
    return call("cr", "GetInstance", factory.cr().get_instance, cr_models.GetInstanceRequest(instance_id=INSTANCE_ID))


def test_throttling_is_absorbed_by_the_factory_retry(cloud, factory):
    """Two Throttling.User answers, then success: the caller sees success after three attempts."""
    rule = cloud.inject(action="GetInstance", code="Throttling.User", times=2)
    assert _get_instance(factory).instance_id == INSTANCE_ID
    attempts = cloud.requests.filter(action="GetInstance")
    assert [a.error_code for a in attempts] == ["Throttling.User", "Throttling.User", None]
    assert rule.fired == 2


def test_persistent_throttling_exhausts_the_retry_and_is_transient(cloud, factory):
    """Throttling on every attempt surfaces as TransientCloudError after max_attempts calls."""
    cloud.inject(action="GetInstance", code="Throttling.User")
    with pytest.raises(TransientCloudError) as caught:
        _get_instance(factory)
    assert caught.value.code == "Throttling.User"
    assert cloud.requests.count(action="GetInstance") == 3  # FAST_RETRY.max_attempts


def test_non_retryable_errors_are_not_retried(cloud, factory):
    """A permission error is final: one attempt, a CloudCallError that is not transient."""
    cloud.inject(action="GetInstance", code="NoPermission", status=403)
    with pytest.raises(CloudCallError) as caught:
        _get_instance(factory)
    assert not isinstance(caught.value, TransientCloudError)
    assert cloud.requests.count(action="GetInstance") == 1


def test_server_errors_are_retried(cloud, factory):
    """A 503 ServiceUnavailable is retried and then succeeds."""
    cloud.inject(action="GetInstance", code="ServiceUnavailable", status=503, times=1)
    assert _get_instance(factory).instance_id == INSTANCE_ID
    assert cloud.requests.count(action="GetInstance") == 2


def test_retry_after_header_is_honoured(cloud):
    """With x-acs-retry-after the SDK waits the server's delay before the next attempt.

    Source: alibabacloud_tea_openapi/client.py (x-acs-retry-after).
    """
    slow_retry = make_factory(cloud, retry=RetryPolicy(max_attempts=2, base_delay_ms=1, max_delay_ms=2000))
    cloud.inject(action="GetInstance", code="Throttling.User", retry_after_ms=300, times=1)
    started = time.monotonic()
    _get_instance(slow_retry)
    assert time.monotonic() - started >= 0.3


def test_dropped_connection_is_a_transient_network_error(cloud):
    """A connection closed without an answer is retried, and reported as transient when it persists."""
    cloud.inject(action="GetInstance", drop=True)
    with pytest.raises(TransientCloudError) as caught:
        _get_instance(make_factory(cloud))
    assert caught.value.code == "NetworkError"
    assert cloud.requests.count(action="GetInstance") == 3


def test_latency_is_injected(cloud, factory):
    """latency_ms delays the answer without failing it."""
    cloud.inject(action="GetInstance", latency_ms=150, times=1)
    started = time.monotonic()
    _get_instance(factory)
    assert time.monotonic() - started >= 0.15


def test_random_faults_follow_the_seed(cloud, factory):
    """With a fixed seed, the same requests fail the same way."""
    def run() -> list[str | None]:
        cloud.faults.clear()
        cloud.faults.reseed(7)
        cloud.requests.clear()
        cloud.inject(action="GetInstance", code="Throttling.User", probability=0.5)
        for _ in range(10):
            with contextlib.suppress(CloudCallError):
                _get_instance(make_factory(cloud, retry=RetryPolicy(max_attempts=1)))
        return [r.error_code for r in cloud.requests.filter(action="GetInstance")]

    first, second = run(), run()
    assert first == second
    assert 0 < first.count("Throttling.User") < 10


def test_after_and_times_schedule(cloud, factory):
    """after skips the first matches, times bounds how often the rule fires."""
    cloud.inject(action="GetInstance", code="NoPermission", status=403, after=1, times=1)
    no_retry = make_factory(cloud, retry=RetryPolicy(max_attempts=1))
    _get_instance(no_retry)
    with pytest.raises(CloudCallError):
        _get_instance(no_retry)
    _get_instance(no_retry)
