"""``acrguard config check FILE``: validate a config file and print it normalized, or every error.

Relative paths are shown resolved against the file's directory, as every command uses them. A
valid config whose local export destinations cannot be written (a missing directory, no
permission) is reported too, since ``routes apply`` would stop on it: exit 69.
"""

from __future__ import annotations

import json

import click
import yaml

from acrguard.cli._cloud import load_config_file
from acrguard.cli.exitcodes import ContractGroup, ExitCode, exit_epilog
from acrguard.config import redacted_dump


@click.group("config", cls=ContractGroup)
def command() -> None:
    """Work with acrguard configuration files."""


@command.command("check", epilog=exit_epilog(ok="valid", errors=(ExitCode.NOINPUT, ExitCode.UNAVAILABLE,
                                                                    ExitCode.CONFIG)))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of YAML")
def check(file: str, as_json: bool) -> None:
    """Validate FILE; print the normalized config (secrets masked) or one line per error.

    Also checks that every local export destination can be written (its directory exists and
    this user may create files in it); OSS destinations are checked by `routes plan` (it reads them).
    """
    from acrguard.routes.exports.preflight import export_problems

    config = load_config_file(file, as_json=as_json)
    problems = export_problems(config)
    data = redacted_dump(config)
    if as_json:
        click.echo(json.dumps({"valid": True, "config": data, "problems": problems}, indent=2))
    else:
        click.echo(yaml.safe_dump(data, sort_keys=False).rstrip())
        for problem in problems:
            click.echo(f"{file}: {problem}", err=True)
    raise SystemExit(int(ExitCode.UNAVAILABLE if problems else ExitCode.OK))
