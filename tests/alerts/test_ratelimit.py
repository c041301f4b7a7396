"""The sliding-window arithmetic of robot rate limits."""

from __future__ import annotations

from acrguard.alerts.channels import kind_of
from acrguard.alerts.ratelimit import RateLimit, remaining, wait_before_next

T0 = 1_790_000_000.0


def test_remaining_counts_sends_in_the_last_60_seconds():
    """Only sends within the last minute use up the budget."""
    limit = RateLimit(per_minute=20)
    sent = [T0 + i for i in range(20)]
    assert remaining(limit, sent, T0 + 20) == 0
    assert remaining(limit, sent, T0 + 60.5) == 1
    assert remaining(RateLimit(), sent, T0) is None


def test_pacing_keeps_the_minimum_gap():
    """With a per-second limit the next send waits for 1/rate after the last one."""
    assert abs(wait_before_next(RateLimit(per_second=5), [T0], T0 + 0.05) - 0.15) < 1e-6
    assert wait_before_next(RateLimit(per_second=1), [T0], T0 + 2) == 0.0
    assert wait_before_next(RateLimit(per_minute=20), [T0], T0) == 0.0


def test_a_configured_rate_only_lowers_the_platform_limit():
    """rate_per_minute lowers a platform's limit and sets one where the platform has none."""
    assert RateLimit(per_minute=20).lowered_to(10).per_minute == 10
    assert RateLimit(per_minute=20).lowered_to(None).per_minute == 20
    assert RateLimit().lowered_to(30).per_minute == 30


def test_platform_limits_are_the_documented_ones():
    """DingTalk and WeCom 20/min (DingTalk blocks 10 min), Feishu 100/min and 5/s, Slack 1/s."""
    assert (kind_of("dingtalk").rate.per_minute, kind_of("dingtalk").rate.block_s) == (20, 600.0)
    assert kind_of("wecom").rate.per_minute == 20
    assert (kind_of("feishu").rate.per_minute, kind_of("feishu").rate.per_second) == (100, 5)
    assert kind_of("slack").rate.per_second == 1
