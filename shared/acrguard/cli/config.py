"""``acrguard config check FILE``: validate a config file and print it normalized, or every error."""

from __future__ import annotations

import json

import click
import yaml

from acrguard.config import load_config, redacted_dump
from acrguard.errors import ConfigError


@click.group("config")
def command() -> None:
    """Work with acrguard configuration files."""


@command.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of YAML")
def check(file: str, as_json: bool) -> None:
    """Validate FILE; print the normalized config (secrets masked) or one line per error.

    Exit 0 when valid, 2 when not.
    """
    try:
        config = load_config(file)
    except ConfigError as exc:
        if as_json:
            click.echo(json.dumps({"valid": False, "source": exc.source, "errors": exc.problems}, indent=2))
        else:
            click.echo(str(exc), err=True)
        raise SystemExit(2) from None
    data = redacted_dump(config)
    if as_json:
        click.echo(json.dumps({"valid": True, "config": data}, indent=2))
    else:
        click.echo(yaml.safe_dump(data, sort_keys=False).rstrip())
