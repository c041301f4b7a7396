"""The chat platforms acrguard can send to, one module each, looked up by ``ChannelConfig.type``."""

from __future__ import annotations

from acrguard.alerts.channels import dingtalk, feishu, slack, webhook, wecom
from acrguard.alerts.channels.base import ChannelKind, Outcome, RenderOptions, Result

KINDS: dict[str, ChannelKind] = {kind.KIND.type: kind.KIND for kind in (dingtalk, feishu, wecom, slack, webhook)}


def kind_of(channel_type: str) -> ChannelKind:
    """The module behind a channel type (``KeyError`` for an unknown type)."""
    return KINDS[channel_type]


__all__ = ["KINDS", "ChannelKind", "Outcome", "RenderOptions", "Result", "kind_of"]
