"""``acrguard configmap lint FILE``: check an ``acr-configuration`` ConfigMap before you apply it."""

from __future__ import annotations

import json

import click

from acrguard.cli.exitcodes import ContractGroup, ExitCode, exit_epilog
from acrguard.pullkeys.configmap import lint_file


@click.group("configmap", cls=ContractGroup)
def command() -> None:
    """Work with the kube-system/acr-configuration ConfigMap of aliyun-acr-credential-helper."""


@command.command("lint", epilog=exit_epilog(ok="clean", attention="warnings only", fail="errors",
                                           errors=(ExitCode.NOINPUT,)))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")
def lint(file: str, as_json: bool) -> None:
    """Parse FILE (and the YAML inside acr-registry-info) and report every problem with a hint.

    AccessKey ids are shown masked; secrets are never printed.
    """
    try:
        report = lint_file(file)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        if as_json:
            click.echo(json.dumps({"source": file, "readable": False, "error": reason}, indent=2))
        else:
            click.echo(f"{file}: cannot read: {reason}", err=True)
        raise SystemExit(int(ExitCode.NOINPUT)) from None
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        raise SystemExit(report.exit_code)
    for problem in report.problems:
        click.echo(problem.render(file))
    instances = ", ".join(f"{e.instance_id or '(no instanceId)'}" + (f" ({e.region_id})" if e.region_id else "")
                          for e in report.entries) or "none parsed"
    summary = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)" \
        if report.errors or report.warnings else "OK"
    if report.notes:
        summary += f" ({len(report.notes)} note(s) above)"
    click.echo(f"{file}: {summary}; instances: {instances}")
    raise SystemExit(report.exit_code)
