"""sysexits.h codes for commands whose 1 and 2 already mean WARN and FAIL, and a click command using them."""

from __future__ import annotations

from typing import Any

import click

EX_USAGE = 64
EX_DATAERR = 65
EX_NOINPUT = 66
EX_UNAVAILABLE = 69
EX_TEMPFAIL = 75
EX_CONFIG = 78


class SysexitsCommand(click.Command):
    """A command whose usage errors exit 64, not click's 2 (which would read as FAIL)."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            exc.exit_code = EX_USAGE
            raise
