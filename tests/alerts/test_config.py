"""The ``alerts:`` config section: intervals checked against each other, platform rules, silences."""

from __future__ import annotations

import pytest

from acrguard.config import load_config_data
from acrguard.errors import ConfigError

DING = {"name": "ding", "type": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t"}


def _problems(alerts: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_data({"alerts": alerts})
    return caught.value.problems


def test_repeat_shorter_than_group_interval_is_refused():
    """repeat_interval_s below group_interval_s could never take effect (Alertmanager #3370)."""
    (problem,) = _problems({"group_interval_s": 600, "repeat_interval_s": 300})
    assert problem.startswith("alerts: repeat_interval_s (300) is shorter than group_interval_s (600)")


def test_group_wait_longer_than_group_interval_is_refused():
    """group_wait_s above group_interval_s is refused with both values named."""
    (problem,) = _problems({"group_wait_s": 600, "group_interval_s": 300})
    assert "group_wait_s (600) is longer than group_interval_s (300)" in problem


def test_secret_and_keywords_only_on_platforms_that_use_them():
    """A secret or keywords on a WeCom robot is an error at the channel's path."""
    (problem,) = _problems({"channels": [{"name": "w", "type": "wecom", "secret": "s",
                                          "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}]})
    assert problem.startswith("alerts.channels[0]: 'secret' is only used by dingtalk and feishu robots")


def test_rate_above_the_platform_limit_is_refused():
    """A DingTalk channel may not be configured above 20 messages a minute."""
    (problem,) = _problems({"channels": [{**DING, "rate_per_minute": 30}]})
    assert "exceeds what a dingtalk robot accepts (20 a minute" in problem


def test_more_than_ten_keywords_is_refused():
    """DingTalk takes at most ten keywords."""
    (problem,) = _problems({"channels": [{**DING, "keywords": [f"k{i}" for i in range(11)]}]})
    assert problem.startswith("alerts.channels[0].keywords: at most 10 keywords")


def test_silence_needs_a_time_zone_and_a_valid_regex():
    """A naive expiry and a broken regex are both reported, each at its path."""
    problems = _problems({"silences": [{"matchers": {"resource": "~acl-(("}, "expires_at": "2026-02-01T00:00:00"}]})
    assert any(p.startswith("alerts.silences[0].matchers: matcher 'resource'") for p in problems)
    assert any(p.startswith("alerts.silences[0].expires_at: needs a time zone") for p in problems)


def test_unknown_channel_name_lists_the_configured_ones():
    """Looking up a missing channel names the ones that exist."""
    config = load_config_data({"alerts": {"channels": [DING]}})
    with pytest.raises(KeyError, match=r"no channel named 'x'; configured: \['ding'\]"):
        config.alerts.channel("x")
