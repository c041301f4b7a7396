"""The shared shape of ``<job> plan|apply --config FILE`` (routes, whitelist).

Both commands load the config (with ``--profile``, ``--region``, ``--instance``, ``--dry-run``
applied), open the state store (read-only for ``plan``: it creates nothing), run the job's sweep
(``apply`` False for a plan that writes nothing), print text or JSON, and exit under the contract
of ``acrguard.cli.exitcodes``: 0 nothing to change and no finding of medium severity or worse; 1
changes or refusals planned or made, or such findings; 64 usage; 66 the config file cannot be
read; 69 something could not be read or written (an API refused, an export destination cannot
be written); 75 the same, transient (retry); 78 invalid config or no credentials; 130 interrupted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import click

from acrguard.cli._cloud import cloud_options, instance_option, prepare
from acrguard.cli._output import Progress, progress_label
from acrguard.cli.exitcodes import ContractGroup, ExitCode, exit_epilog, fail, run_interruptible
from acrguard.errors import StateError
from acrguard.findings import Finding, Severity

Sweep = Callable[[Any, Any, Any, bool], Any]  # (config, factory, store, apply) -> result
#: the function whose state a section's plan/apply shares (in OSS each function has its own document)
JOBS = {"routes": "endpoint_keeper", "whitelist": "whitelist_guard"}
Preflight = Callable[[Any], list[str]]  # config -> problems that would make apply fail half-way

EPILOG = exit_epilog(ok="nothing to change", attention="changes or refusals planned or made, or findings of "
                     "medium severity or worse",
                     errors=(ExitCode.NOINPUT, ExitCode.UNAVAILABLE, ExitCode.TEMPFAIL, ExitCode.CONFIG))


def exit_code(*, failed: bool, transient: bool, planned: bool, findings: list[Finding]) -> int:
    """The exit code of a plan or apply run (see the module docstring)."""
    if failed:
        return int(ExitCode.TEMPFAIL if transient else ExitCode.UNAVAILABLE)
    serious = any(f.severity.at_least(Severity.MEDIUM) for f in findings)
    return int(ExitCode.ATTENTION if planned or serious else ExitCode.OK)


def run(config_file: str, as_json: bool, *, apply: bool, sweep: Sweep, to_json: Callable[[Any], dict[str, Any]],
        render: Callable[[Any, bool], str], code: Callable[[Any], int], section: str = "",
        profile: str | None = None, region: str | None = None, instances: Sequence[str] = (),
        dry_run: bool = False, preflight: Preflight | None = None) -> None:
    """Load, sweep, print, exit (never returns)."""
    from acrguard.state import open_store

    setup = prepare(config_file, profile=profile, region=region, instances=instances, dry_run=dry_run,
                    as_json=as_json)
    config, factory = setup.config, setup.factory
    if apply and not config.dry_run and preflight is not None:
        problems = preflight(config)
        if problems:
            fail(ExitCode.UNAVAILABLE, "apply stopped before any write: " + "; ".join(problems))
    try:
        store = open_store(config.state, factory, read_only=not apply, job=JOBS.get(section))
    except StateError as exc:
        fail(ExitCode.UNAVAILABLE, f"state: {exc}")
    names = [i.name for i in config.instances if not section or getattr(i, section, None) is not None]
    try:
        with Progress(progress_label("planning" if not apply else "applying", names)):
            result = run_interruptible(lambda: sweep(config, factory, store, apply),
                                       writes=apply and not config.dry_run)
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
                     code: Callable[[Any], int], section: str = "", preflight: Preflight | None = None
                     ) -> click.Group:
    """A click group with ``plan`` and ``apply`` wired to ``run``."""

    @click.group(name, help=help_text, cls=ContractGroup)
    def group() -> None:
        pass

    for command_name, applies, text in (("plan", False, plan_help), ("apply", True, apply_help)):
        def make(applies: bool = applies) -> Callable[..., None]:
            def command(config_file: str, as_json: bool, profile: str | None, region: str | None,
                        instances: tuple[str, ...], dry_run: bool = False) -> None:
                run(config_file, as_json, apply=applies, sweep=sweep, to_json=to_json, render=render, code=code,
                    section=section, profile=profile, region=region, instances=instances, dry_run=dry_run,
                    preflight=preflight)
            return command

        decorated: Any = make()
        if applies:
            decorated = click.option("--dry-run", "dry_run", is_flag=True,
                                     help="plan and report, write nothing (as the config's dry_run)")(decorated)
        decorated = click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")(decorated)
        decorated = instance_option(cloud_options(decorated))
        decorated = click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False),
                                 help="config file")(decorated)
        group.command(command_name, help=text, epilog=EPILOG)(decorated)
    return group
