"""``acrguard alert test|list|show``: try a channel, and read what the alert state holds.

``alert test --config FILE --channel NAME`` sends a test message to one configured channel. Exit
codes (``docs/exit-codes.md``): 0 the channel accepted the message; 69 the platform refused the
payload (retrying will not help); 75 it was rate limited or unavailable (retry later); 66 the
config file cannot be read; 78 a configuration problem (invalid config file, unknown channel, or
the platform refused our credentials: signature, keyword, token).

``alert list --config FILE`` prints the open alert groups and their findings from the state, and
``alert show --config FILE GROUP`` one group's findings in full: what a chat message left out (a
digest's "and N more", "… 12 more lines not shown") is there. Both only read the state (a SQLite file
is opened read-only, an OSS object through a store that refuses writes). Exit codes: 0 listed; 64 an
unknown or ambiguous GROUP; 66/78 the config file; 69 the state cannot be read; 75 a transient failure
reading it from OSS.
"""

from __future__ import annotations

import json
from typing import Any

import click

from acrguard.alerts.channels import Outcome, RenderOptions
from acrguard.alerts.clock import SystemClock
from acrguard.alerts.delivery import send_message
from acrguard.alerts.testmessage import build_test_message
from acrguard.alerts.transport import HttpClientTransport
from acrguard.cli._cloud import load_config_file, prepare, profile_option
from acrguard.cli.exitcodes import ContractGroup, ExitCode, exit_epilog, fail
from acrguard.errors import StateError

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


def _alerts_section(config_path: str, profile: str | None) -> dict[str, Any]:
    """The ``alerts`` section of the state the config names, read without writing anything."""
    from acrguard.alerts.state import read_section
    from acrguard.state import open_store

    config = load_config_file(config_path)
    setup = prepare(config_path, profile=profile, credentials_needed=config.state.backend == "oss")
    try:
        if setup.config.state.backend == "oss":  # each function keeps its own records (acrguard.state.perjob)
            from acrguard.state.perjob import every_store

            stores = list(every_store(setup.config.state, setup.factory).values())
        else:
            stores = [open_store(setup.config.state, setup.factory, read_only=True)]
        merged: dict[str, Any] = {"groups": {}, "robots": {}, "channels": {}}
        try:
            for store in stores:
                for part, entries in read_section(store).items():
                    if part in merged:
                        merged[part].update(entries)
        finally:
            for store in stores:
                store.close()
        return merged
    except StateError as exc:
        fail(ExitCode.UNAVAILABLE, f"state: {exc}")


_READ_ERRORS = (ExitCode.NOINPUT, ExitCode.UNAVAILABLE, ExitCode.TEMPFAIL, ExitCode.CONFIG)


@command.command("list", epilog=exit_epilog(ok="listed", errors=_READ_ERRORS))
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="acrguard config file")
@click.option("--all", "show_all", is_flag=True, help="also groups with nothing firing and nothing pending")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")
@profile_option
def list_groups(config_path: str, show_all: bool, as_json: bool, profile: str | None) -> None:
    """List the open alert groups in the state: each finding's title and what each channel was told."""
    from acrguard.alerts.overview import format_list, group_views, to_dict
    from acrguard.alerts.render import SHOW_COMMAND

    views = [v for v in group_views(_alerts_section(config_path, profile)) if show_all or v.open]
    if as_json:
        click.echo(json.dumps({"groups": [to_dict(v) for v in views]}, indent=2, ensure_ascii=False))
    else:
        click.echo(format_list(views, SHOW_COMMAND))


@command.command("show", epilog=exit_epilog(ok="shown", errors=_READ_ERRORS))
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="acrguard config file")
@click.argument("group")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")
@profile_option
def show(config_path: str, group: str, as_json: bool, profile: str | None) -> None:
    """Print every finding of GROUP in full (GROUP: the id a message shows, e.g. 98c2dd6f20b4, or the group key)."""
    from acrguard.alerts.overview import find_group, format_group, to_dict

    alerts = _alerts_section(config_path, profile)
    try:
        view = find_group(alerts, group)
    except LookupError as exc:
        fail(ExitCode.USAGE, str(exc.args[0]))
    click.echo(json.dumps(to_dict(view), indent=2, ensure_ascii=False) if as_json else format_group(view))
