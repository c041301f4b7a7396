"""``acrguard whitelist plan|apply --config FILE [--json]``: the public-endpoint ACL guard by hand.

``plan`` observes every instance with a ``whitelist:`` section and prints the full plan (adds,
removals, removals held back by hysteresis, refusals and why) and the findings, writing nothing:
neither the cloud nor the hysteresis state. ``apply`` does the same, then writes (unless the
config's ``dry_run`` is set or the policy is ``report``) and records the hysteresis observations.

Exit codes: 0 nothing to change and no finding of medium severity or worse; 1 changes planned or
made, or such findings; 2 invalid config; 69 an instance could not be checked or a write failed
(75 when the failure is transient, worth retrying).
"""

from __future__ import annotations

import json

import click

from acrguard.errors import ConfigError, StateError
from acrguard.findings import Severity

EXIT_UNAVAILABLE = 69
EXIT_TEMPFAIL = 75


@click.group("whitelist")
def command() -> None:
    """Hold each instance's internet-endpoint whitelist to its declared state."""


@command.command("plan")
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False), help="config file")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")
def plan(config_file: str, as_json: bool) -> None:
    """Print the plan for every instance without writing anything."""
    _run(config_file, as_json, apply=False)


@command.command("apply")
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False), help="config file")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")
def apply(config_file: str, as_json: bool) -> None:
    """Plan, then write the changes (nothing with dry_run or policy report)."""
    _run(config_file, as_json, apply=True)


def _run(config_file: str, as_json: bool, *, apply: bool) -> None:
    from acrguard.clients import ClientFactory
    from acrguard.config import load_config
    from acrguard.state import open_store
    from acrguard.whitelist.guard import run_sweep

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
        click.echo(json.dumps({"mode": "apply" if apply else "plan", **result.to_dict()}, indent=2,
                              ensure_ascii=False, default=str))
    else:
        _print_text(result, apply=apply)
    raise SystemExit(_exit_code(result))


def _print_text(result: object, *, apply: bool) -> None:
    from acrguard.whitelist.guard import WhitelistResult

    assert isinstance(result, WhitelistResult)
    if not result.runs:
        click.echo("no instance has a whitelist: section")
    for run in result.runs:
        if run.plan is not None:
            click.echo(run.plan.render())
        else:
            click.echo(f"whitelist {run.instance_name} ({run.instance_id}): not checked: {run.error}")
        if apply and run.applied is not None:
            for item in run.applied.results:
                entry = f" {item.operation.entry}" if item.operation.entry else ""
                detail = f": {item.detail}" if item.detail else ""
                click.echo(f"  {item.outcome:<8} {item.action}{entry}{detail}")
        for finding in run.findings:
            who = f" (by {finding.actor.identity})" if finding.actor else ""
            click.echo(f"  [{finding.severity.value}] {finding.rule}: {finding.title}{who}")
    if result.dry_run and apply:
        click.echo("dry_run is set: nothing was written")


def _exit_code(result: object) -> int:
    from acrguard.whitelist.guard import WhitelistResult

    assert isinstance(result, WhitelistResult)
    if result.failed:
        return EXIT_TEMPFAIL if result.transient else EXIT_UNAVAILABLE
    changes = any(p.operations or p.proposed or p.refusals for p in result.plans)
    serious = any(f.severity.at_least(Severity.MEDIUM) for f in result.findings)
    return 1 if changes or serious else 0
