"""``acrguard demo``: start the local cloud with the demo world and play acrguard's story on it.

``--keep-running`` then leaves the local cloud up until Ctrl-C and writes a config for it
(``--write-config PATH``, default ``acrguard-demo.yaml``) with an env file of local-only demo keys
beside it, and prints what to try (``acrguard.demo.try_it``, ``docs/try-it.md``).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from acrguard.cli.exitcodes import ContractCommand, exit_epilog


def _safe_environment() -> None:
    """Talk to nothing but 127.0.0.1: no proxies, no ECS metadata probe."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(name, None)
    os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"


@click.command("demo", cls=ContractCommand, epilog=exit_epilog(
    ok="the story ran (with --keep-running, also when Ctrl-C ends the wait)"))
@click.option("--keep-running", is_flag=True,
              help="after the story, keep the local cloud running (Ctrl-C stops it) and write a config for it")
@click.option("--write-config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="with --keep-running: where the config goes (default acrguard-demo.yaml; its env file of "
                   "local-only demo keys goes beside it, ending in .env)")
@click.option("--world", type=click.Path(exists=True, dir_okay=False), help="another world file to start from")
def command(keep_running: bool, config_path: Path | None, world: str | None) -> None:
    """Run the demo on the local cloud (nothing leaves 127.0.0.1)."""
    from acrguard.demo.try_it import DEFAULT_CONFIG, NotWritable, check_writable

    if config_path is not None and not keep_running:
        raise click.UsageError("--write-config needs --keep-running: the config points at the running local cloud")
    if keep_running:
        try:
            check_writable(config_path or DEFAULT_CONFIG)
        except NotWritable as exc:
            raise click.BadParameter(str(exc), param_hint="--write-config") from None
    _safe_environment()
    from acrguard.demo.story import run_story

    try:
        code = run_story(world=world, keep_running=keep_running, echo=click.echo, config_path=config_path)
    except NotWritable as exc:  # a file appeared at the path while the story ran
        raise click.BadParameter(str(exc), param_hint="--write-config") from None
    raise SystemExit(code)
