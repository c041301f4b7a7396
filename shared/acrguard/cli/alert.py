"""``acrguard alert test --config FILE --channel NAME``: send a test message to one configured channel.

Exit codes: 0 the channel accepted the message; 1 it did not (rate limited, unavailable, or the
platform refused the payload); 2 a configuration problem (invalid config file, unknown channel,
or the platform refused our credentials: signature, keyword, token).
"""

from __future__ import annotations

import json
import socket

import click

from acrguard.alerts.channels import Outcome, RenderOptions
from acrguard.alerts.clock import SystemClock
from acrguard.alerts.delivery import send_message
from acrguard.alerts.message import GroupMessage
from acrguard.alerts.render import when
from acrguard.alerts.transport import HttpClientTransport
from acrguard.config import load_config
from acrguard.config.alerts import ChannelConfig
from acrguard.errors import ConfigError
from acrguard.findings import Finding, Severity


def build_test_message(channel: ChannelConfig, now: float) -> GroupMessage:
    """A harmless one-finding message that names the sender and the time."""
    finding = Finding(rule="acrguard.test", severity=Severity.INFO, resource=f"channel {channel.name}",
                      title="acrguard test message", scope="test", job="alert-test",
                      details=f"Sent by 'acrguard alert test' from {socket.gethostname()} at {when(now)}.",
                      fix="Nothing to do: this channel receives acrguard alerts.")
    return GroupMessage(group_key="acrguard.test|test", rule=finding.rule, scope="test", job="alert-test",
                        status="firing", reason="test message", findings=(finding,), since=now)


@click.group("alert")
def command() -> None:
    """Work with alert channels."""


@command.command("test")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="acrguard config file")
@click.option("--channel", "channel_name", required=True, help="name of a channel under alerts.channels")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")
def test(config_path: str, channel_name: str, as_json: bool) -> None:
    """Send a test message to channel NAME and report what the platform answered.

    Exit 0 when accepted, 1 when not, 2 for a configuration problem.
    """
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(2) from None
    try:
        channel = config.alerts.channel(channel_name)
    except KeyError as exc:
        click.echo(f"{config_path}: {exc.args[0]}", err=True)
        raise SystemExit(2) from None
    now = SystemClock().now()
    result = send_message(channel, build_test_message(channel, now), HttpClientTransport(), now,
                          RenderOptions(max_items=config.alerts.max_findings_per_message))
    code = 0 if result.accepted else 2 if result.outcome is Outcome.MISCONFIGURED else 1
    if as_json:
        click.echo(json.dumps({"channel": channel.name, "type": channel.type, "outcome": result.outcome.value,
                               "detail": result.detail, "exit_code": code}))
    else:
        click.echo(f"channel {channel.name} ({channel.type}): {result.outcome.value} ({result.detail})",
                   err=code != 0)
    raise SystemExit(code)
