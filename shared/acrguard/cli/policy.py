"""``acrguard policy check FILE...``: judge RAM policies against the pull-only (or read-only) reference.

The files are evaluated together, as the policies attached to one identity. Exit status: 0 PASS,
1 WARN, 2 FAIL; 64 usage error, 65 malformed input (not JSON, malformed document, unknown offline
system policy), 66 missing or unreadable file (``docs/exit-codes.md``), so an unreadable input never
looks like a verdict.

A bare policy document carries neither its name in RAM nor its type: the fix's commands then hold
``<POLICY_NAME>`` and ``<POLICY_TYPE>`` (and ``<USER_NAME>`` without ``--user``), each explained above
the commands, until ``--policy-name``/``--policy-type`` give them (in the order of the files that lack
them). ``--reference read-only`` judges a policy that is not a pull key's (acrguard's own auditor role):
does it only read?
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any, NoReturn

import click

from acrguard.cli.exitcodes import ContractCommand, ContractGroup, ExitCode, exit_epilog
from acrguard.errors import BadInputError
from acrguard.policy.document import PolicyDocumentError
from acrguard.policy.evaluate import AttachedPolicy
from acrguard.policy.findings import to_findings
from acrguard.policy.inputs import policies_from_text
from acrguard.policy.report import render_json, render_text
from acrguard.policy.system_policies import system_policy
from acrguard.policy.verdict import PULL, READ_ONLY, audit_policies

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
@click.option("--policy-name", "policy_names", multiple=True, metavar="NAME",
              help="the name in RAM of a policy given as a bare document (repeat in FILE order; used in the fix)")
@click.option("--policy-type", "policy_types", multiple=True, type=click.Choice(["Custom", "System"]),
              help="its type in RAM (repeat in FILE order; default: unknown, shown as <POLICY_TYPE> in the fix)")
@click.option("--reference", type=click.Choice([PULL, READ_ONLY]), default=PULL, show_default=True,
              help="pull: may this identity do more than pull? read-only: does it only read (for roles that "
                   "are not pull keys, such as acrguard's auditor)?")
def check(files: tuple[str, ...], as_json: bool, instance_id: str | None, user_name: str | None,
          system_names: tuple[str, ...], policy_names: tuple[str, ...], policy_types: tuple[str, ...],
          reference: str) -> None:
    """Evaluate FILE... together, as the policies attached to one RAM identity.

    A FILE holds a policy document, a {"PolicyName", "PolicyType", "DefaultVersion", "PolicyDocument"}
    object (optionally "Attachment": "group:<name>"), the output of `aliyun ram GetPolicy`, or a list
    of these. A bare document has no name or type in RAM: give them with --policy-name and
    --policy-type (in the order of the files), or the fix says what to fill in.
    """
    if not files and not system_names:
        _usage("give at least one FILE or --system NAME")
    policies: list[AttachedPolicy] = []
    for path in files:
        policies.extend(_read(path, as_json))
    policies = _named(policies, policy_names, policy_types)
    for spec in system_names:
        name, _, version = spec.partition(":")
        try:
            policies.append(system_policy(name).attached(version or None))
        except BadInputError as exc:
            _fail(EX_DATAERR, f"--system {spec}", str(exc), [], as_json)
    verdict = audit_policies(policies, instance_id=instance_id, user_name=user_name, reference=reference)
    findings = to_findings(verdict)
    if as_json:
        click.echo(json.dumps(render_json(verdict, findings), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(verdict, findings))
    raise SystemExit(verdict.verdict.exit_code)


def _usage(message: str) -> NoReturn:
    error = click.UsageError(message, click.get_current_context())
    error.exit_code = EX_USAGE
    raise error


def _named(policies: list[AttachedPolicy], names: tuple[str, ...], types: tuple[str, ...]) -> list[AttachedPolicy]:
    """The policies with ``--policy-name``/``--policy-type`` given, in order, to those whose file lacked them."""
    unnamed = [i for i, p in enumerate(policies) if "name" in p.ref.assumed]
    untyped = [i for i, p in enumerate(policies) if "type" in p.ref.assumed]
    for flag, given, lacking in (("--policy-name", names, unnamed), ("--policy-type", types, untyped)):
        if len(given) > len(lacking):
            _usage(f"{flag} given {len(given)} times, but only {len(lacking)} of the policies read lack it "
                   "(a policy object or GetPolicy output names its own)")
    out = list(policies)
    for field, given, lacking in (("name", names, unnamed), ("type", types, untyped)):
        for index, value in zip(lacking, given, strict=False):
            ref = out[index].ref
            if field == "name" and not value.strip():
                _usage("--policy-name must not be empty")
            out[index] = AttachedPolicy(replace(ref, **{field: value.strip()},
                                                assumed=tuple(a for a in ref.assumed if a != field)),
                                        out[index].document)
    return out


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
