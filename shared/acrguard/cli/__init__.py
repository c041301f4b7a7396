"""``python -m acrguard``: the command line.

Each subcommand lives in its own module in this package and exposes ``command`` (a click
command or group); the modules are discovered here, so adding a subcommand is adding a file.
Every command follows one exit-code contract (``acrguard.cli.exitcodes``, ``docs/exit-codes.md``):
0 ok, 1 attention (changes, WARN, findings), 2 FAIL; 64 usage, 65 malformed input, 66 missing
input, 69 unavailable, 70 internal error, 75 retry later, 78 config or credentials, 130 interrupted.
A new command declares itself with ``cls=ContractCommand`` (or inside a ``ContractGroup``) and
``epilog=exit_epilog(...)``.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from acrguard import __version__
from acrguard.cli.exitcodes import ContractGroup


class _DiscoveredGroup(ContractGroup):
    """A group whose subcommands are the ``command`` attributes of this package's modules."""

    def _modules(self) -> list[str]:
        import acrguard.cli as package

        return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        for module in self._modules():
            cmd = self._load(module)
            if cmd is not None:
                names.add(cmd.name or module)
        return sorted(names)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        found = super().get_command(ctx, name)
        if found is not None:
            return found
        for module in self._modules():
            cmd = self._load(module)
            if cmd is not None and (cmd.name or module) == name:
                return cmd
        return None

    @staticmethod
    def _load(module: str) -> click.Command | None:
        mod = importlib.import_module(f"acrguard.cli.{module}")
        return getattr(mod, "command", None)


@click.group(cls=_DiscoveredGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="acrguard")
def cli() -> None:
    """acrguard keeps an ACR Enterprise Edition instance reachable from your IDC and locked down.

    \b
    Jobs:  routes (endpoint keeper)   whitelist (public ACL guard)   audit (pull keys)
    Tools: config check   policy check   configmap lint   event explain   invoke   demo

    Every job has a plan step that writes nothing and an apply step; `--json` prints machine-readable output.
    Exit codes, the same for every command: see docs/exit-codes.md.
    """


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m acrguard`` and the ``acrguard`` script."""
    try:
        cli.main(args=argv, prog_name="python -m acrguard", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
