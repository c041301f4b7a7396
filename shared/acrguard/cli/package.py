"""``acrguard package``: build a function's deployable code directory (used by s.yaml's pre-deploy)."""

from __future__ import annotations

from pathlib import Path

import click

from acrguard.functions import FUNCTIONS, function
from acrguard.packaging import PackagingError, build


@click.command("package")
@click.option("--function", "names", multiple=True, help="function to build (default: all)",
              type=click.Choice(sorted(FUNCTIONS)))
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help="directory to build into (one sub-directory per function)")
@click.option("--target-python", help="build for this Python (e.g. 3.10 for FC) instead of the running one")
@click.option("--zip", "make_zip", is_flag=True, help="also write <function>.zip")
def command(names: tuple[str, ...], output: Path, target_python: str | None, make_zip: bool) -> None:
    """Build handler + acrguard + pinned dependencies + bytecode for each function."""
    for name in names or tuple(sorted(FUNCTIONS)):
        spec = function(name)
        try:
            result = build(spec, output / spec.name, target_python=target_python, make_zip=make_zip)
        except PackagingError as exc:
            raise click.ClickException(str(exc)) from None
        size = f"{result.bytes / 2**20:.1f} MiB in {result.files} files"
        if result.zip_bytes is not None:
            size += f", zipped {result.zip_bytes / 2**20:.1f} MiB"
        click.echo(f"{spec.fc_name}: {result.directory} ({size})")
