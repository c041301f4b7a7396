"""``acrguard deploy check``: compare the deployed functions with s.yaml (beside the config, else here).

``acrguard deploy policies``: each function's RAM policies scoped to the resources a config names
(``acrguard.deploy.render``), printed or written one file per policy, with a summary of what is
scoped and what stays ``*`` and why.
"""

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
    """Check a deployment, or render its RAM policies for a config."""


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
        report = check(setup.factory, deployment, organization=setup.config.organization is not None)
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


@command.command("policies", epilog=exit_epilog(
    ok="rendered", attention="a policy is too large for RAM",
    errors=(ExitCode.NOINPUT, ExitCode.UNAVAILABLE, ExitCode.CONFIG)))
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="config file")
@click.option("--output", "output", type=click.Path(file_okay=False, path_type=Path),
              help="write one JSON file per policy and SUMMARY.txt here (default: print them)")
@click.option("--account", "account", default="*", metavar="ID",
              help="the account id in the ARNs (default: *, any account)")
@click.option("--config-object", "config_object", metavar="oss://BUCKET/KEY",
              help="the config object the functions read (s.yaml vars.configObject; default: acrguard.yaml in "
                   "the state bucket)")
@click.option("--json", "as_json", is_flag=True, help="print JSON (every policy, its grants and what is left out)")
def policies_command(config_path: str, output: Path | None, account: str, config_object: str | None,
                     as_json: bool) -> None:
    """Render each function's RAM policies scoped to the instances, route tables, VPN connections, CENs,
    transit router tables and OSS objects the config names.

    The files have the names of deploy/policies/ (<function>.json and <function>-state.json): attach
    them instead of the generic ones, which stay the fallback. Actions whose resources cannot be
    named in advance stay on "*", and the summary says why for each; a policy the config needs
    nothing of is not written. Needs no credentials: nothing is read from the cloud.
    """
    from acrguard.cli._cloud import load_config_file
    from acrguard.deploy.render import render, summary

    if account != "*" and not (account.isdigit() and 0 < len(account) <= 32):
        raise click.BadParameter(f"expected a numeric account id, got {account!r}", param_hint="--account")
    config = load_config_file(config_path, as_json=as_json)
    try:
        rendered = render(config, account=account, config_object=config_object)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--config-object") from None
    text = summary(rendered)
    too_large = [p.file for p in rendered if p.too_large]
    if output is not None:
        try:
            output.mkdir(parents=True, exist_ok=True)
            for policy in rendered:
                if policy.document is not None:
                    (output / policy.file).write_text(policy.text(), encoding="utf-8")
            (output / "SUMMARY.txt").write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(ExitCode.UNAVAILABLE, f"--output {output}: cannot write: {exc}")
    if as_json:
        click.echo(json.dumps({"policies": [
            {"file": p.file, "function": p.job, "document": p.document, "size": p.size, "too_large": p.too_large,
             "grants": [{"actions": list(g.actions), "resources": list(g.resources), "scoped": g.scoped,
                         "why": g.why} for g in p.grants],
             "left_out": list(p.left_out)} for p in rendered]}, indent=2))
    else:
        if output is None:
            for policy in rendered:
                if policy.document is not None:
                    click.echo(f"# {policy.file}\n{policy.text()}")
        else:
            written = [p.file for p in rendered if p.document is not None]
            click.echo(f"wrote {', '.join(written)} and SUMMARY.txt to {output}")
        click.echo(text.rstrip())
    raise SystemExit(int(ExitCode.ATTENTION if too_large else ExitCode.OK))
