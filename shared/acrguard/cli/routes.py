"""``acrguard routes plan|apply --config FILE [--json]``: the endpoint keeper by hand.

``plan`` discovers and resolves every instance with a ``routes:`` section and prints the full
plan per target (adds, removals, removals held back by the hysteresis or because a family was
not fully observed, refusals and why, the blast-radius stop) and the export diffs, writing
nothing: neither the cloud, nor the state (the hysteresis is previewed), nor the exports.
``apply`` does the same, then writes (unless the config's ``dry_run`` is set) and records the
hysteresis observations and the VPN ownership ledgers.

Exit codes (as ``whitelist plan|apply``): 0 nothing to change and no finding of medium severity
or worse; 1 changes or refusals planned or made, or such findings; 2 invalid config; 69 an
instance or target could not be checked or a write failed (75 when the failure is transient,
worth retrying).
"""

from __future__ import annotations

import json

import click

from acrguard.errors import ConfigError, StateError
from acrguard.findings import Severity

EXIT_UNAVAILABLE = 69
EXIT_TEMPFAIL = 75


@click.group("routes")
def command() -> None:
    """Keep the registry's three address families routed from the IDC."""


@command.command("plan")
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False), help="config file")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")
def plan(config_file: str, as_json: bool) -> None:
    """Print the plan for every instance and target without writing anything."""
    _run(config_file, as_json, apply=False)


@command.command("apply")
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False), help="config file")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")
def apply(config_file: str, as_json: bool) -> None:
    """Plan, then write the changes (nothing with dry_run)."""
    _run(config_file, as_json, apply=True)


def _run(config_file: str, as_json: bool, *, apply: bool) -> None:
    from acrguard.clients import ClientFactory
    from acrguard.config import load_config
    from acrguard.routes.keeper import run_sweep
    from acrguard.routes.report import render_result
    from acrguard.state import open_store

    try:
        config = load_config(config_file)
    except ConfigError as exc:
        if as_json:
            click.echo(json.dumps({"valid": False, "source": exc.source, "errors": exc.problems}, indent=2))
        else:
            click.echo(str(exc), err=True)
        raise SystemExit(2) from None
    factory = ClientFactory.from_config(config)
    try:
        store = open_store(config.state, factory)
    except StateError as exc:
        click.echo(f"state: {exc}", err=True)
        raise SystemExit(EXIT_UNAVAILABLE) from None
    try:
        result = run_sweep(config, factory, store, apply=apply)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(render_result(result))
        for run in result.runs:
            for finding in run.findings:
                click.echo(f"  [{finding.severity.value}] {finding.rule}: {finding.title}")
    raise SystemExit(_exit_code(result))


def _exit_code(result: object) -> int:
    from acrguard.routes.keeper import KeeperResult

    assert isinstance(result, KeeperResult)
    if result.failed:
        return EXIT_TEMPFAIL if result.transient else EXIT_UNAVAILABLE
    serious = any(f.severity.at_least(Severity.MEDIUM) for f in result.findings)
    return 1 if result.planned or serious else 0
