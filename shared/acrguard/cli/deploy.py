"""``acrguard deploy check``: compare the deployed functions with s.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import click

from acrguard.config import load_config
from acrguard.config.model import AcrguardConfig
from acrguard.errors import AcrguardError, ConfigError


@click.group("deploy")
def command() -> None:
    """Check a deployment."""


@command.command("check")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="config file (cloud: section)")
@click.option("--s-yaml", "s_yaml", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=Path("s.yaml"), show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def check_command(config_path: str | None, s_yaml: Path, as_json: bool) -> None:
    """Read the deployed functions, triggers, async configs and concurrency through the FC API and compare.

    Exit 0 when everything matches, 1 when something differs, 2 for bad input.
    """
    from acrguard.clients import ClientFactory
    from acrguard.deploy.check import check
    from acrguard.deploy.syaml import load

    try:
        config = load_config(config_path) if config_path else AcrguardConfig()
        resources = load(s_yaml)
        report = check(ClientFactory.from_config(config), resources)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(2) from None
    except AcrguardError as exc:
        click.echo(f"deploy check failed: {exc}", err=True)
        raise SystemExit(2) from None
    if as_json:
        click.echo(json.dumps({"ok": report.ok, "checked": report.checked,
                               "findings": [{"function": f.scope, "severity": f.severity.value, "title": f.title,
                                             "fix": f.fix} for f in report.findings]}, indent=2))
    else:
        for name in report.checked:
            problems = [f for f in report.findings if f.scope == name]
            click.echo(f"{name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
            for finding in problems:
                click.echo(f"  [{finding.severity.value}] {finding.title}\n    fix: {finding.fix}")
    raise SystemExit(0 if report.ok else 1)
