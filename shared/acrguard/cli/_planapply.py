"""The shared shape of ``<job> plan|apply --config FILE [--json]`` (routes, whitelist).

Both commands load the config, open the state store, run the job's sweep (``apply`` False for a
plan that writes nothing), print text or JSON, and exit with the same codes: 0 nothing to change
and no finding of medium severity or worse; 1 changes or refusals planned or made, or such
findings; 2 invalid config; 69 something could not be checked or a write failed (75 when the
failure is transient, worth retrying).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from acrguard.cli._sysexits import EX_TEMPFAIL, EX_UNAVAILABLE
from acrguard.errors import ConfigError, StateError
from acrguard.findings import Finding, Severity

EXIT_CONFIG = 2

Sweep = Callable[[Any, Any, Any, bool], Any]  # (config, factory, store, apply) -> result


def exit_code(*, failed: bool, transient: bool, planned: bool, findings: list[Finding]) -> int:
    """The exit code of a plan or apply run (see the module docstring)."""
    if failed:
        return EX_TEMPFAIL if transient else EX_UNAVAILABLE
    serious = any(f.severity.at_least(Severity.MEDIUM) for f in findings)
    return 1 if planned or serious else 0


def run(config_file: str, as_json: bool, *, apply: bool, sweep: Sweep, to_json: Callable[[Any], dict[str, Any]],
        render: Callable[[Any, bool], str], code: Callable[[Any], int]) -> None:
    """Load, sweep, print, exit (never returns)."""
    from acrguard.clients import ClientFactory
    from acrguard.config import load_config
    from acrguard.state import open_store

    try:
        config = load_config(config_file)
    except ConfigError as exc:
        if as_json:
            click.echo(json.dumps({"valid": False, "source": exc.source, "errors": exc.problems}, indent=2))
        else:
            click.echo(str(exc), err=True)
        raise SystemExit(EXIT_CONFIG) from None
    factory = ClientFactory.from_config(config)
    try:
        store = open_store(config.state, factory)
    except StateError as exc:
        click.echo(f"state: {exc}", err=True)
        raise SystemExit(EX_UNAVAILABLE) from None
    try:
        result = sweep(config, factory, store, apply)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps({"mode": "apply" if apply else "plan", **to_json(result)}, indent=2,
                              ensure_ascii=False, default=str))
    else:
        click.echo(render(result, apply))
    raise SystemExit(code(result))


def plan_apply_group(name: str, help_text: str, *, plan_help: str, apply_help: str, sweep: Sweep,
                     to_json: Callable[[Any], dict[str, Any]], render: Callable[[Any, bool], str],
                     code: Callable[[Any], int]) -> click.Group:
    """A click group with ``plan`` and ``apply`` wired to ``run``."""

    @click.group(name, help=help_text)
    def group() -> None:
        pass

    for command_name, applies, text in (("plan", False, plan_help), ("apply", True, apply_help)):
        def make(applies: bool = applies) -> Callable[[str, bool], None]:
            def command(config_file: str, as_json: bool) -> None:
                run(config_file, as_json, apply=applies, sweep=sweep, to_json=to_json, render=render, code=code)
            return command

        decorated = click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")(make())
        decorated = click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False),
                                 help="config file")(decorated)
        group.command(command_name, help=text)(decorated)
    return group
