"""``acrguard demo``: start the local cloud with the demo world and play acrguard's story on it."""

from __future__ import annotations

import os

import click

from acrguard.cli.exitcodes import ContractCommand, exit_epilog


def _safe_environment() -> None:
    """Talk to nothing but 127.0.0.1: no proxies, no ECS metadata probe."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(name, None)
    os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"


@click.command("demo", cls=ContractCommand, epilog=exit_epilog(
    ok="the story ran (with --keep-running, also when Ctrl-C ends the wait)"))
@click.option("--keep-running", is_flag=True, help="leave the local cloud up afterwards for exploration")
@click.option("--world", type=click.Path(exists=True, dir_okay=False), help="another world file to start from")
def command(keep_running: bool, world: str | None) -> None:
    """Run the demo on the local cloud (nothing leaves 127.0.0.1)."""
    _safe_environment()
    from acrguard.demo.story import run_story

    raise SystemExit(run_story(world=world, keep_running=keep_running, echo=click.echo))
