"""``alerts:``: chat channels, grouping intervals (Alertmanager's), and silences."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from acrguard.config.base import Strict

Severity = Literal["critical", "high", "medium", "low", "info"]


class ChannelConfig(Strict):
    """One chat channel (a webhook robot)."""

    name: str = Field(min_length=1, max_length=64)
    type: Literal["dingtalk", "feishu", "wecom", "slack", "webhook"]
    url: str = Field(min_length=1, repr=False)
    secret: str | None = Field(default=None, repr=False, description="signing secret (DingTalk, Feishu)")
    keywords: tuple[str, ...] = Field(default=(), description="DingTalk keyword security: one must appear")
    min_severity: Severity = "low"
    rate_per_minute: int | None = Field(default=None, ge=1, le=1000, description="override the channel limit")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("expected an http(s) URL")
        return value


class Silence(Strict):
    """Mute findings whose labels match every matcher, until ``expires_at``."""

    matchers: dict[str, str] = Field(min_length=1, description="label -> exact value, or ~regex")
    expires_at: datetime
    comment: str = ""
    created_by: str = ""


class AlertsConfig(Strict):
    """How findings become messages."""

    channels: tuple[ChannelConfig, ...] = ()
    group_wait_s: int = Field(default=0, ge=0, le=3600)
    group_interval_s: int = Field(default=300, ge=1, le=86_400)
    repeat_interval_s: int = Field(default=4 * 3600, ge=60, le=30 * 86_400)
    send_resolved: bool = True
    max_findings_per_message: int = Field(default=10, ge=1, le=100)
    silences: tuple[Silence, ...] = ()

    @model_validator(mode="after")
    def _intervals(self) -> AlertsConfig:
        if self.repeat_interval_s < self.group_interval_s:
            raise ValueError(f"repeat_interval_s ({self.repeat_interval_s}) is shorter than group_interval_s "
                             f"({self.group_interval_s}); repeats could never happen sooner than the group "
                             "interval (Alertmanager #3370)")
        names = [c.name for c in self.channels]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"channel names must be unique: {duplicates}")
        return self
