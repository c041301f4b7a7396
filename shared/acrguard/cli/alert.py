"""``acrguard alert test --config FILE --channel NAME``: send a test message to one configured channel.

Exit codes (``docs/exit-codes.md``): 0 the channel accepted the message; 69 the platform refused
the payload (retrying will not help); 75 it was rate limited or unavailable (retry later); 66 the
config file cannot be read; 78 a configuration problem (invalid config file, unknown channel, or
the platform refused our credentials: signature, keyword, token).
"""

from __future__ import annotations

import json

import click

from acrguard.alerts.channels import Outcome, RenderOptions
from acrguard.alerts.clock import SystemClock
from acrguard.alerts.delivery import send_message
from acrguard.alerts.testmessage import build_test_message
from acrguard.alerts.transport import HttpClientTransport
from acrguard.cli._cloud import load_config_file
from acrguard.cli.exitcodes import ContractGroup, ExitCode, exit_epilog, fail

#: what became of the message -> exit code
OUTCOME_CODES = {Outcome.ACCEPTED: ExitCode.OK, Outcome.RATE_LIMITED: ExitCode.TEMPFAIL,
                 Outcome.UNAVAILABLE: ExitCode.TEMPFAIL, Outcome.MISCONFIGURED: ExitCode.CONFIG,
                 Outcome.REJECTED: ExitCode.UNAVAILABLE}


@click.group("alert", cls=ContractGroup)
def command() -> None:
    """Work with alert channels."""


@command.command("test", epilog=exit_epilog(ok="accepted", errors=(
    ExitCode.NOINPUT, ExitCode.UNAVAILABLE, ExitCode.TEMPFAIL, ExitCode.CONFIG)))
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="acrguard config file")
@click.option("--channel", "channel_name", required=True, help="name of a channel under alerts.channels")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")
def test(config_path: str, channel_name: str, as_json: bool) -> None:
    """Send a test message to channel NAME and report what the platform answered."""
    config = load_config_file(config_path)
    try:
        channel = config.alerts.channel(channel_name)
    except KeyError as exc:
        fail(ExitCode.CONFIG, f"{config_path}: {exc.args[0]}")
    now = SystemClock().now()
    result = send_message(channel, build_test_message(channel, now), HttpClientTransport(), now,
                          RenderOptions(max_items=config.alerts.max_findings_per_message))
    code = int(OUTCOME_CODES.get(result.outcome, ExitCode.UNAVAILABLE))
    if as_json:
        click.echo(json.dumps({"channel": channel.name, "type": channel.type, "outcome": result.outcome.value,
                               "detail": result.detail, "exit_code": code}))
    else:
        click.echo(f"channel {channel.name} ({channel.type}): {result.outcome.value} ({result.detail})",
                   err=code != 0)
    raise SystemExit(code)
