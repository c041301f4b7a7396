"""``acrguard deploy check``: compare the deployed functions with s.yaml (beside the config, else here)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from acrguard.cli._cloud import cloud_options, prepare
from acrguard.cli._files import locate_s_yaml
from acrguard.cli.exitcodes import ContractGroup, ExitCode, code_for, exit_epilog, fail
from acrguard.errors import AcrguardError


@click.group("deploy", cls=ContractGroup)
def command() -> None:
    """Check a deployment."""


@command.command("check", epilog=exit_epilog(ok="the deployment matches s.yaml", attention="drift", errors=(
    ExitCode.DATAERR, ExitCode.NOINPUT, ExitCode.UNAVAILABLE, ExitCode.TEMPFAIL, ExitCode.CONFIG)))
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="config file (cloud: section)")
@click.option("--s-yaml", "s_yaml", type=click.Path(dir_okay=False, path_type=Path),
              help="the Serverless Devs file (default: s.yaml beside the config, else in this directory)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@cloud_options
def check_command(config_path: str | None, s_yaml: Path | None, as_json: bool, profile: str | None,
                  region: str | None) -> None:
    """Read the deployed functions, triggers, async configs and concurrency through the FC API and compare.

    Exit 0 when everything matches (warnings, such as a RAM-event trigger outside
    ``vars.globalEventsRegion``, are printed but do not fail), 1 when something differs.
    """
    import yaml

    from acrguard.deploy.check import check
    from acrguard.deploy.syaml import read

    path = locate_s_yaml(s_yaml, config_path)
    setup = prepare(config_path, profile=profile, region=region)
    try:
        deployment = read(path)
    except (AcrguardError, ValueError, AttributeError, yaml.YAMLError) as exc:
        fail(ExitCode.DATAERR, f"{path}: not a usable s.yaml: {exc}")
    try:
        report = check(setup.factory, deployment)
    except AcrguardError as exc:
        fail(code_for(exc), f"deploy check failed: {exc}")
    if as_json:
        click.echo(json.dumps({"ok": report.ok, "checked": report.checked,
                               "findings": [{"function": f.scope, "severity": f.severity.value, "title": f.title,
                                             "fix": f.fix, "fails": f in report.problems}
                                            for f in report.findings]}, indent=2))
    else:
        for name in report.checked:
            problems = [f for f in report.problems if f.scope == name]
            warnings = [f for f in report.warnings if f.scope == name]
            status = f"{len(problems)} problem(s)" if problems else "ok"
            click.echo(f"{name}: {status}" + (f", {len(warnings)} warning(s)" if warnings else ""))
            for finding in problems + warnings:
                label = finding.severity.value if finding in problems else f"warning, {finding.severity.value}"
                click.echo(f"  [{label}] {finding.title}\n    fix: {finding.fix}")
    raise SystemExit(0 if report.ok else 1)
