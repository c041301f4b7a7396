"""``acrguard policy check FILE...``: judge RAM policies against the pull-only reference.

The files are evaluated together, as the policies attached to one identity. Exit status: 0 PASS,
1 WARN, 2 FAIL; 64 usage error, 65 malformed input (not JSON, malformed document, unknown offline
system policy), 66 missing or unreadable file (``docs/exit-codes.md``), so an unreadable input never
looks like a verdict.
"""

from __future__ import annotations

import json
import re
from typing import Any

import click

from acrguard.cli.exitcodes import ContractCommand, ContractGroup, ExitCode, exit_epilog
from acrguard.errors import BadInputError
from acrguard.policy.document import PolicyDocumentError
from acrguard.policy.evaluate import AttachedPolicy
from acrguard.policy.findings import to_findings
from acrguard.policy.inputs import policies_from_text
from acrguard.policy.report import render_json, render_text
from acrguard.policy.system_policies import system_policy
from acrguard.policy.verdict import audit_policies

_INSTANCE_ID = re.compile(r"^cri-[a-z0-9]+$")


EX_USAGE, EX_DATAERR, EX_NOINPUT = int(ExitCode.USAGE), int(ExitCode.DATAERR), int(ExitCode.NOINPUT)


@click.group("policy", cls=ContractGroup)
def command() -> None:
    """Check RAM policies against the pull-only reference."""


def _instance_id(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not _INSTANCE_ID.match(value):
        raise click.BadParameter(f"{value!r} is not an ACR Enterprise Edition instance id (cri-…)")
    return value


@command.command("check", cls=ContractCommand, epilog=exit_epilog(
    ok="PASS", attention="WARN", fail="FAIL", errors=(ExitCode.DATAERR, ExitCode.NOINPUT)))
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True, path_type=str))
@click.option("--json", "as_json", is_flag=True, help="print a JSON object (verdict, severity, findings, fix)")
@click.option("--instance-id", callback=_instance_id, metavar="cri-…",
              help="the ACR EE instance the key pulls from (scopes the fix and the pull checks)")
@click.option("--user", "user_name", metavar="NAME", help="the RAM user holding the key (used in the fix commands)")
@click.option("--system", "system_names", multiple=True, metavar="NAME[:VERSION]",
              help="add a system policy known offline, e.g. AliyunContainerRegistryReadOnlyAccess:v1")
def check(files: tuple[str, ...], as_json: bool, instance_id: str | None, user_name: str | None,
          system_names: tuple[str, ...]) -> None:
    """Evaluate FILE... together, as the policies attached to one RAM identity.

    A FILE holds a policy document, a {"PolicyName", "PolicyType", "DefaultVersion", "PolicyDocument"}
    object (optionally "Attachment": "group:<name>"), the output of `aliyun ram GetPolicy`, or a list
    of these.
    """
    if not files and not system_names:
        error = click.UsageError("give at least one FILE or --system NAME", click.get_current_context())
        error.exit_code = EX_USAGE
        raise error
    policies: list[AttachedPolicy] = []
    for path in files:
        policies.extend(_read(path, as_json))
    for spec in system_names:
        name, _, version = spec.partition(":")
        try:
            policies.append(system_policy(name).attached(version or None))
        except BadInputError as exc:
            _fail(EX_DATAERR, f"--system {spec}", str(exc), [], as_json)
    verdict = audit_policies(policies, instance_id=instance_id, user_name=user_name)
    findings = to_findings(verdict)
    if as_json:
        click.echo(json.dumps(render_json(verdict, findings), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(verdict, findings))
    raise SystemExit(verdict.verdict.exit_code)


def _read(path: str, as_json: bool) -> list[AttachedPolicy]:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        _fail(EX_NOINPUT, path, "no such file", [], as_json)
    except IsADirectoryError:
        _fail(EX_NOINPUT, path, "is a directory, not a policy file", [], as_json)
    except OSError as exc:
        _fail(EX_NOINPUT, path, f"cannot be read: {exc.strerror or exc}", [], as_json)
    try:
        return policies_from_text(data, path)
    except PolicyDocumentError as exc:
        _fail(EX_DATAERR, path, "malformed policy input", exc.problems, as_json)
    except BadInputError as exc:
        _fail(EX_DATAERR, path, str(exc), [], as_json)


def _fail(code: int, source: str, message: str, problems: list[tuple[str, str]], as_json: bool) -> Any:
    if as_json:
        click.echo(json.dumps({"error": message, "file": source,
                               "problems": [{"path": p, "message": m} for p, m in problems]}, indent=2))
    lines = [f"{source}: {message}"] + [f"  {path}: {msg}" for path, msg in problems]
    click.echo("\n".join(lines), err=True)
    raise SystemExit(code)
