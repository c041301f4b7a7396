"""``acrguard doctor --config FILE [--s-yaml PATH] [--json] [--send] [--assume-roles]``: check a real account.

Runs every check of ``acrguard.doctor`` (read-only and DryRun calls; a chat message only with
``--send``) and prints one line per check, then the details and fix of each that failed or could
not tell. ``s.yaml`` is ``--s-yaml``, else the one beside the config, else the one in the working
directory; without one, the checks that need it cannot tell.

Exit codes (``docs/exit-codes.md``): 0 every check passed (skipped ones aside); 1 a check could not
tell (and none failed); 2 a check failed; 64 usage; 65 ``s.yaml`` malformed; 66 the config or the
named ``s.yaml`` missing; 70 a bug; 78 the config invalid or no credentials; 130 interrupted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from acrguard.cli._cloud import cloud_options, prepare
from acrguard.cli._files import s_yaml_candidates
from acrguard.cli._output import Progress
from acrguard.cli.exitcodes import ContractCommand, ExitCode, exit_epilog, fail, run_interruptible
from acrguard.doctor.model import DoctorReport, Status

if TYPE_CHECKING:
    from acrguard.deploy.syaml import SYaml


def exit_code(report: DoctorReport) -> ExitCode:
    """2 when a check failed, 1 when one could not tell, 0 otherwise (skipped checks count as passed)."""
    if report.count(Status.FAIL):
        return ExitCode.FAIL
    if report.count(Status.UNKNOWN):
        return ExitCode.ATTENTION
    return ExitCode.OK


def _deployment(given: Path | None, config_path: str) -> tuple[SYaml | None, str]:
    """``s.yaml`` read (or None and why): the named file must exist and parse; a found one must parse."""
    import yaml

    from acrguard.deploy.syaml import read

    if given is not None and not given.is_file():
        fail(ExitCode.NOINPUT, f"--s-yaml {given}: no such file")
    candidates = [given] if given is not None else s_yaml_candidates(config_path)
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        return None, f"none found in {', '.join(str(c) for c in candidates)}"
    try:
        return read(path), ""
    except (ValueError, AttributeError, TypeError, yaml.YAMLError) as exc:
        fail(ExitCode.DATAERR, f"{path}: not a usable s.yaml: {exc}")


@click.command("doctor", cls=ContractCommand, epilog=exit_epilog(
    ok="every check passed", attention="a check could not tell", fail="a check failed",
    errors=(ExitCode.DATAERR, ExitCode.NOINPUT, ExitCode.CONFIG)))
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="acrguard config file")
@click.option("--s-yaml", "s_yaml", type=click.Path(dir_okay=False, path_type=Path),
              help="the Serverless Devs file (default: s.yaml beside the config, else in this directory)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.option("--send", is_flag=True, help="send each chat channel a test message and judge the answer")
@click.option("--assume-roles", is_flag=True,
              help="also assume each route-writing function's role and DryRun its writes as that role")
@cloud_options
def command(config_path: str, s_yaml: Path | None, as_json: bool, send: bool, assume_roles: bool,
            profile: str | None, region: str | None) -> None:
    """Check what only a real account can prove, with read-only and DryRun calls.

    \b
    Checks: identity, role-permissions, triggers, vbr-service-range, table-quotas,
    global-events-region, registry-realm, vpc-dns, oss-ranges, chat-channels.
    Each answers PASS, FAIL, ???? (cannot tell) or SKIP, with its evidence and fix.
    """
    from acrguard.doctor import DoctorContext, run_doctor
    from acrguard.doctor.render import text_lines, to_json

    setup = prepare(config_path, profile=profile, region=region, as_json=as_json)
    deployment, problem = _deployment(s_yaml, config_path)
    ctx = DoctorContext(setup.config, setup.factory, deployment=deployment, deployment_problem=problem,
                        send=send, assume_roles=assume_roles, config_hint=config_path)
    with Progress("running doctor checks"):
        report = run_interruptible(lambda: run_doctor(ctx))
    code = exit_code(report)
    if as_json:
        click.echo(json.dumps(to_json(report, int(code)), indent=2))
    else:
        click.echo("\n".join(text_lines(report)))
    raise SystemExit(int(code))
