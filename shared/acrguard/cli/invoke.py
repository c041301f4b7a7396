"""``acrguard invoke FUNCTION --event FILE [--config FILE]``: run a handler locally as FC would."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from acrguard.functions import FUNCTIONS, function


@click.command("invoke")
@click.argument("name", metavar="FUNCTION", type=click.Choice(sorted(FUNCTIONS)))
@click.option("--event", "event_path", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="the event payload (JSON as EventBridge or a timer delivers it); - reads stdin")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="acrguard config (default: $ACRGUARD_CONFIG, or acrguard.yaml)")
@click.option("--account-id", default=lambda: os.environ.get("FC_ACCOUNT_ID", ""), help="context.account_id")
def command(name: str, event_path: str, config_path: str | None, account_id: str) -> None:
    """Run FUNCTION's handler with the event's bytes and an FC-shaped context (request id, function,
    region, account, credentials). With an endpoint override in the config it talks to the local
    cloud; with credentials and no override, to a real account.

    Prints the decision log lines, then the handler's result as JSON. Exit 0 when the handler
    returned, 1 when it raised (FC would retry an async invocation).
    """
    from acrguard.config import load_config
    from acrguard.errors import ConfigError
    from acrguard.runtime.local import invoke, make_context

    spec = function(name)
    raw = sys.stdin.buffer.read() if event_path == "-" else Path(event_path).read_bytes()
    region, credentials = os.environ.get("FC_REGION", "cn-hangzhou"), None
    if config_path:
        try:
            config = load_config(config_path)
        except ConfigError as exc:
            click.echo(str(exc), err=True)
            raise SystemExit(2) from None
        region = config.cloud.region
        credentials = config.cloud.credentials
    context = make_context(spec, region, account_id, credentials)
    try:
        result = invoke(spec, raw, context, config_path)
    except Exception as exc:
        click.echo(json.dumps({"error": type(exc).__name__, "message": str(exc)}), err=True)
        raise SystemExit(1) from None
    click.echo(json.dumps(result, indent=2, default=str))
