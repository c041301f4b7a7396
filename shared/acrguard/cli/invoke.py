"""``acrguard invoke FUNCTION --event FILE [--config FILE]``: run a handler locally as FC would.

The handler decides what FC would do with the invocation; the exit code says it in the contract of
``docs/exit-codes.md``: 0 the handler returned (the event was handled, ignored or a duplicate); 65
the event is malformed (reported once, never retried); 66 the event or config file cannot be read;
69 the handler raised a permanent error; 75 it raised to have FC retry (a transient failure, or the
event is being handled by another invocation); 78 the config is invalid or there are no
credentials; 130 interrupted (the event's claim is released, so a retry is not taken for a
duplicate).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from acrguard.cli._cloud import profile_option
from acrguard.cli.exitcodes import ContractCommand, ExitCode, code_for, exit_epilog, fail
from acrguard.functions import FUNCTIONS, function

#: the handler's ``status`` -> exit code, for invocations that returned
_STATUS_CODES = {"config-error": ExitCode.CONFIG, "bad-input": ExitCode.DATAERR}


@click.command("invoke", cls=ContractCommand, epilog=exit_epilog(
    ok="the handler returned", errors=(ExitCode.DATAERR, ExitCode.NOINPUT, ExitCode.UNAVAILABLE,
                                       ExitCode.TEMPFAIL, ExitCode.CONFIG)))
@click.argument("name", metavar="FUNCTION", type=click.Choice(sorted(FUNCTIONS)))
@click.option("--event", "event_path", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="the event payload (JSON as EventBridge or a timer delivers it); - reads stdin")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="acrguard config (default: $ACRGUARD_CONFIG, or acrguard.yaml)")
@click.option("--account-id", default=lambda: os.environ.get("FC_ACCOUNT_ID", ""), help="context.account_id")
@profile_option
def command(name: str, event_path: str, config_path: str | None, account_id: str, profile: str | None) -> None:
    """Run FUNCTION's handler with the event's bytes and an FC-shaped context (request id, function,
    region, account, credentials). With an endpoint override in the config it talks to the local
    cloud; with credentials and no override, to a real account. ``--profile NAME`` puts the aliyun
    CLI profile's credentials in the context, where FC puts the function role's.

    Prints the decision log lines, then the handler's result as JSON.
    """
    from acrguard.cli._cloud import load_config_file
    from acrguard.runtime.local import invoke, make_context

    spec = function(name)
    try:
        raw = sys.stdin.buffer.read() if event_path == "-" else Path(event_path).read_bytes()
    except OSError as exc:
        fail(ExitCode.NOINPUT, f"cannot read {event_path}: {exc.strerror or exc}")
    region, credentials = os.environ.get("FC_REGION", "cn-hangzhou"), None
    if config_path:
        config = load_config_file(config_path)
        region = config.cloud.region
        credentials = config.cloud.credentials
    if profile:
        credentials = _profile_credentials(profile)
    context = make_context(spec, region, account_id, credentials)
    if config_path:
        _require_credentials(config, context)
    try:
        result = invoke(spec, raw, context, config_path)
    except KeyboardInterrupt:
        raise  # the handler released the event's claim; the contract says 130
    except Exception as exc:  # FC would retry the invocation; the code says whether that can help
        click.echo(json.dumps({"error": type(exc).__name__, "message": str(exc)}), err=True)
        raise SystemExit(int(code_for(exc))) from None
    click.echo(json.dumps(result, indent=2, default=str))
    status = result.get("status") if isinstance(result, dict) else None
    raise SystemExit(int(_STATUS_CODES.get(str(status), ExitCode.OK)))


def _require_credentials(config: Any, context: Any) -> None:
    """Exit 78 now when the handler would find no credentials (it would report a failed job, not a config error)."""
    from acrguard import credentials
    from acrguard.cli._cloud import report_config_error
    from acrguard.clients import ClientFactory
    from acrguard.errors import ConfigError

    factory = ClientFactory.from_config(config, context)
    if factory.credentials is None:
        try:
            credentials.require(factory.credential_client())
        except ConfigError as exc:
            report_config_error(exc)


def _profile_credentials(profile: str) -> object:
    """The profile's current credentials, resolved once (FC's ``context.credentials`` are static too)."""
    from acrguard import credentials
    from acrguard.cli._cloud import report_config_error
    from acrguard.errors import ConfigError

    try:
        chosen = credentials.read_profile(profile, required=True)
        assert chosen is not None
        found = credentials.profile_client(chosen).get_credential()
    except ConfigError as exc:
        report_config_error(exc)
    except Exception as exc:  # the provider could not produce credentials
        report_config_error(credentials.NoCredentialsError(f"--profile {profile}: {exc}"))
    return credentials.StaticCredentials(found.access_key_id, found.access_key_secret, found.security_token,
                                         source=f"profile:{profile}")
