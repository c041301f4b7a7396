"""A harmless test message for one channel, and sending it: what ``alert test`` and ``doctor --send`` share.

The message is one INFO finding naming the command that sent it, the host and the time, so whoever
reads the chat knows it is a test and where it came from. Sending goes through the same code as
every alert (``acrguard.alerts.delivery.send_message``: build, sign, POST, interpret the platform's
answer), without state or retries: the platform's answer is the point.
"""

from __future__ import annotations

import socket

from acrguard.alerts.channels import RenderOptions, Result
from acrguard.alerts.delivery import send_message
from acrguard.alerts.message import GroupMessage
from acrguard.alerts.render import when
from acrguard.alerts.transport import Transport
from acrguard.config.alerts import ChannelConfig
from acrguard.findings import Finding, Severity

RULE = "acrguard.test"


def build_test_message(channel: ChannelConfig, now: float, *, sender: str = "acrguard alert test") -> GroupMessage:
    """A harmless one-finding message that names the sender (the command), the host and the time."""
    finding = Finding(rule=RULE, severity=Severity.INFO, resource=f"channel {channel.name}",
                      title="acrguard test message", scope="test", job="alert-test",
                      details=f"Sent by '{sender}' from {socket.gethostname()} at {when(now)}.",
                      fix="Nothing to do: this channel receives acrguard alerts.")
    return GroupMessage(group_key=f"{RULE}|test", rule=finding.rule, scope="test", job="alert-test",
                        status="firing", reason="test message", findings=(finding,), since=now)


def send_test_message(channel: ChannelConfig, transport: Transport, now: float, options: RenderOptions, *,
                      sender: str = "acrguard alert test") -> Result:
    """Send the test message to ``channel`` and return what the platform answered (redacted, never raises)."""
    return send_message(channel, build_test_message(channel, now, sender=sender), transport, now, options)
