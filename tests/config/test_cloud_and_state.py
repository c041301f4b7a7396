"""``cloud:`` and ``state:``: where signed requests may go, and a lock TTL that outlives one request."""

from __future__ import annotations

import pytest

from acrguard.config import load_config_data
from acrguard.errors import ConfigError


def problems_of(data: dict) -> list[str]:
    """The problems ``load_config_data`` reports."""
    with pytest.raises(ConfigError) as caught:
        load_config_data(data, environ={})
    return caught.value.problems


@pytest.mark.parametrize("section", [{"cloud": {"endpoint": "collector.example.com:443"}},
                                     {"cloud": {"endpoint": "127.0.0.1:80", "oss_endpoint": "10.0.0.8:80"}},
                                     {"state": {"backend": "oss", "bucket": "b", "endpoint": "oss.example.net"}}])
def test_an_endpoint_override_cannot_send_the_credentials_elsewhere(section):
    """Every request carries the role's AccessKey id and token: an override names loopback or aliyuncs.com only."""
    (problem,) = problems_of(section)
    assert "may only name a loopback address (the local cloud) or a host under aliyuncs.com" in problem


def test_plain_http_is_for_loopback_only():
    """http with an Alibaba Cloud endpoint would send the token unencrypted; with the local cloud it is fine."""
    (problem,) = problems_of({"cloud": {"endpoint": "cr.cn-hangzhou.aliyuncs.com:80", "protocol": "http"}})
    assert problem.startswith("cloud: protocol http sends the credentials unencrypted")
    config = load_config_data({"cloud": {"endpoint": "127.0.0.1:8080", "oss_endpoint": "[::1]:9000",
                                         "protocol": "http"},
                               "state": {"backend": "oss", "bucket": "b",
                                         "endpoint": "oss-cn-hangzhou-internal.aliyuncs.com"}}, environ={})
    assert config.state.endpoint == "oss-cn-hangzhou-internal.aliyuncs.com"


def test_the_oss_lock_must_outlive_two_requests_with_their_retries():
    """A holder gives its lock up after half the TTL, so the TTL must exceed twice the longest request."""
    (problem,) = problems_of({"state": {"backend": "oss", "bucket": "b", "lock_ttl_seconds": 120}})
    assert problem.startswith("state.lock_ttl_seconds: 120 s is too short: one OSS request may take 75 s")
    assert "set lock_ttl_seconds above 150" in problem
    slow = {"cloud": {"read_timeout_ms": 60_000, "retry": {"max_attempts": 3}},
            "state": {"backend": "oss", "bucket": "b"}}
    (problem,) = problems_of(slow)  # the default TTL (300 s) against 3 x 65 s + 2 x 5 s
    assert "one OSS request may take 205 s" in problem
    assert load_config_data({"state": {"backend": "oss", "bucket": "b"}}, environ={}).state.lock_ttl_seconds == 300
    assert load_config_data({"state": {"backend": "sqlite", "lock_ttl_seconds": 10}}, environ={})  # no lock there
