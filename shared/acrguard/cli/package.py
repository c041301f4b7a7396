"""``acrguard package``: build a function's deployable code directory for FC's Python (s.yaml's pre-deploy).

By default the artifact is for FC's ``python3.10`` runtime, whatever Python runs this command: the
dependencies are that Python's wheels and the bytecode is compiled by a Python 3.10 interpreter
found on this machine (``--python``, ``python3.10`` on PATH, uv, pyenv). Without one the command
refuses (exit 69) and names what to install; ``--no-bytecode`` ships without bytecode, on purpose
and with a warning.
"""

from __future__ import annotations

from pathlib import Path

import click

from acrguard.cli.exitcodes import ContractCommand, ExitCode, exit_epilog, fail
from acrguard.functions import FUNCTIONS, function
from acrguard.packaging import FC_PYTHON, PackagingError, build


@click.command("package", cls=ContractCommand, epilog=exit_epilog(ok="built", errors=(ExitCode.UNAVAILABLE,)))
@click.option("--function", "names", multiple=True, help="function to build (default: all)",
              type=click.Choice(sorted(FUNCTIONS)))
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help="directory to build into (one sub-directory per function)")
@click.option("--target-python", default=FC_PYTHON, show_default=True, metavar="3.X",
              help="the Python the function runs on (FC's runtime)")
@click.option("--python", "python", metavar="PATH",
              help="a Python of the target version to compile the bytecode with (default: found on this machine)")
@click.option("--no-bytecode", is_flag=True, help="ship without bytecode (every cold start 3-4x slower)")
@click.option("--zip", "make_zip", is_flag=True, help="also write <function>.zip")
def command(names: tuple[str, ...], output: Path, target_python: str, python: str | None, no_bytecode: bool,
            make_zip: bool) -> None:
    """Build handler + acrguard + pinned dependencies + bytecode for each function."""
    if no_bytecode:
        click.echo(f"warning: --no-bytecode: the artifact has no bytecode; every cold start compiles all of it "
                   f"(3-4x slower). Install Python {target_python} to build it properly.", err=True)
    for name in names or tuple(sorted(FUNCTIONS)):
        spec = function(name)
        try:
            result = build(spec, output / spec.name, target_python=target_python, make_zip=make_zip,
                           compile_bytecode=not no_bytecode, python=python)
        except PackagingError as exc:
            fail(ExitCode.UNAVAILABLE, f"package {spec.name}: {exc}")
        size = f"{result.bytes / 2**20:.1f} MiB in {result.files} files"
        if result.zip_bytes is not None:
            size += f", zipped {result.zip_bytes / 2**20:.1f} MiB"
        compiled = f"bytecode by {result.compiled_with}" if result.compiled_with else "NO bytecode"
        click.echo(f"{spec.fc_name}: {result.directory} (Python {result.python}, {compiled}; {size})")
