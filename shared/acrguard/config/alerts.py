"""``alerts:``: chat channels, grouping intervals (Alertmanager's), delivery budgets and silences.

The intervals follow Alertmanager's route options (``DefaultRouteOpts`` in ``dispatch/route.go`` of
https://github.com/prometheus/alertmanager) and are validated against each other here, at load: a
``repeat_interval_s`` shorter than ``group_interval_s`` could never take effect (Alertmanager #3370).
Per-platform facts (rate limits, which platforms sign or check keywords) come from the platforms'
robot guides, cited in ``acrguard.alerts.channels``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from acrguard.config.base import Strict
from acrguard.config.schema import Field, field_validator, model_validator

Severity = Literal["critical", "high", "medium", "low", "info"]
ChannelType = Literal["dingtalk", "feishu", "wecom", "slack", "webhook"]

#: Messages a minute one robot accepts (the robot guides in ``acrguard.alerts.channels``); a configured rate may
#: only be lower.
PLATFORM_RATE_PER_MINUTE: dict[str, int] = {"dingtalk": 20, "wecom": 20, "feishu": 100}
#: Platforms whose robots can sign requests or require keywords (their robot guides, ``acrguard.alerts.channels``).
SIGNING_TYPES = ("dingtalk", "feishu")
#: DingTalk allows up to 10 keywords per robot.
MAX_KEYWORDS = 10


class ChannelConfig(Strict):
    """One chat channel (a webhook robot)."""

    name: str = Field(min_length=1, max_length=64)
    type: ChannelType
    url: str = Field(min_length=1, repr=False)
    secret: str | None = Field(default=None, repr=False, description="signing secret (DingTalk, Feishu)")
    keywords: tuple[str, ...] = Field(default=(), description="keyword security (DingTalk, Feishu): one must appear")
    min_severity: Severity = "low"
    notices: Literal["always", "by_severity"] = Field(
        default="always", description="change notices (a route added, an ACL restored, an export rewritten): "
        "'always' sends them whatever min_severity says, 'by_severity' holds them to min_severity like the rest")
    rate_per_minute: int | None = Field(default=None, ge=1, le=1000, description="lower the channel's rate limit")
    timeout_s: float = Field(default=5.0, gt=0, le=30, description="HTTP timeout of one delivery")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("expected an http(s) URL")
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) > MAX_KEYWORDS:
            raise ValueError(f"at most {MAX_KEYWORDS} keywords, got {len(value)}")
        if any(not k.strip() for k in value):
            raise ValueError("keywords must not be empty")
        return value

    @model_validator(mode="after")
    def _platform(self) -> ChannelConfig:
        if self.type not in SIGNING_TYPES:
            if self.secret:
                raise ValueError(f"'secret' is only used by {' and '.join(SIGNING_TYPES)} robots, not {self.type}")
            if self.keywords:
                raise ValueError(f"'keywords' are only used by {' and '.join(SIGNING_TYPES)} robots, not {self.type}")
        ceiling = PLATFORM_RATE_PER_MINUTE.get(self.type)
        if ceiling is not None and self.rate_per_minute is not None and self.rate_per_minute > ceiling:
            raise ValueError(f"rate_per_minute {self.rate_per_minute} exceeds what a {self.type} robot accepts "
                             f"({ceiling} a minute; going over blocks the robot)")
        return self


class Silence(Strict):
    """Mute findings whose labels match every matcher, from ``starts_at`` (if set) until ``expires_at``.

    Matchers apply to a finding's labels: ``rule``, ``resource``, ``scope``, ``severity``, ``job``
    and its own ``labels``. A value is matched exactly, or as a full-match regex when it starts
    with ``~`` (``resource: "~vtb-.*"``).
    """

    matchers: dict[str, str] = Field(min_length=1, description="label -> exact value, or ~regex")
    starts_at: datetime | None = None
    expires_at: datetime
    comment: str = ""
    created_by: str = ""

    @field_validator("matchers")
    @classmethod
    def _regexes(cls, value: dict[str, str]) -> dict[str, str]:
        for label, pattern in value.items():
            if not label:
                raise ValueError("a matcher needs a label name")
            if pattern.startswith("~"):
                try:
                    re.compile(pattern[1:])
                except re.error as exc:
                    raise ValueError(f"matcher {label!r}: {pattern[1:]!r} is not a valid regex ({exc})") from None
        return value

    @field_validator("starts_at", "expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-01-31T18:00:00Z or 2026-02-01T02:00:00+08:00")
        return value

    @model_validator(mode="after")
    def _window(self) -> Silence:
        if self.starts_at is not None and self.starts_at >= self.expires_at:
            raise ValueError("starts_at must be before expires_at")
        return self


class AlertsConfig(Strict):
    """How findings become messages."""

    channels: tuple[ChannelConfig, ...] = ()
    group_wait_s: int = Field(default=0, ge=0, le=3600,
                              description="hold a new group this long before its first message")
    group_interval_s: int = Field(default=300, ge=1, le=86_400,
                                  description="least time between two messages of one group (new or resolved)")
    repeat_interval_s: int = Field(default=4 * 3600, ge=60, le=30 * 86_400,
                                   description="re-send a group that still fires after this long")
    send_resolved: bool = True
    max_findings_per_message: int = Field(default=10, ge=1, le=100)
    max_messages_per_run: int = Field(default=10, ge=1, le=100,
                                      description="per channel and run; more due groups become one digest")
    retry_rejected_after_s: int = Field(default=3600, ge=60, le=7 * 86_400,
                                        description="wait before re-trying a channel that rejected a message "
                                                    "(bad signature, keyword, token); sooner if its config changes")
    silences: tuple[Silence, ...] = ()

    @model_validator(mode="after")
    def _intervals(self) -> AlertsConfig:
        if self.repeat_interval_s < self.group_interval_s:
            raise ValueError(f"repeat_interval_s ({self.repeat_interval_s}) is shorter than group_interval_s "
                             f"({self.group_interval_s}); repeats could never happen sooner than the group "
                             "interval (Alertmanager #3370)")
        if self.group_wait_s > self.group_interval_s:
            raise ValueError(f"group_wait_s ({self.group_wait_s}) is longer than group_interval_s "
                             f"({self.group_interval_s}); a new group would wait longer than updates to known ones")
        names = [c.name for c in self.channels]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"channel names must be unique: {duplicates}")
        return self

    def channel(self, name: str) -> ChannelConfig:
        """The channel called ``name`` (``KeyError`` naming the configured ones when absent)."""
        for candidate in self.channels:
            if candidate.name == name:
                return candidate
        raise KeyError(f"no channel named {name!r}; configured: {[c.name for c in self.channels] or 'none'}")
