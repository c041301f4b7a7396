"""The one exit-code contract of ``python -m acrguard`` (the table is ``docs/exit-codes.md``).

0, 1 and 2 are *answers*: the command ran and says what it found. 64 and above say there is *no
answer*, and why: the command line, an input file, the config, a service, or an interruption.
A script can therefore tell "look at this" (1, 2) from "fix something" (64, 65, 66, 69, 78) and
from "try again later" (75), whatever the command:

====  ===========  ==================================================================================
code  name         meaning
====  ===========  ==================================================================================
0     OK           nothing to change, PASS, clean, accepted, matches
1     ATTENTION    changes planned or made; WARN; findings of medium severity or worse; lint warnings
2     FAIL         a failing verdict: FAIL (audit, policy check), errors (configmap lint)
64    USAGE        the command line is wrong (unknown option, missing argument, bad value)
65    DATAERR      an input file is malformed (not JSON, a malformed policy or event)
66    NOINPUT      an input file is missing or unreadable (the config, a policy, an event, s.yaml)
69    UNAVAILABLE  something could not be read or written, and retrying will not help
70    SOFTWARE     an internal error (a bug: please report it with the traceback)
75    TEMPFAIL     a transient failure (throttling, 5xx, timeout, connection refused): retry later
78    CONFIG       the config is invalid, or no credentials can be found
130   INTERRUPTED  interrupted (Ctrl-C)
====  ===========  ==================================================================================

The names and 64-78 follow BSD ``sysexits.h``; 130 is the shells' 128 + SIGINT.

Every command uses ``ContractCommand``/``ContractGroup`` (usage errors exit 64, Ctrl-C 130, an
escaped acrguard error its code, anything else 70) and ``code_for`` to map its errors; a new
command gets all of it by being declared with ``cls=ContractCommand`` (or inside a
``ContractGroup``) and ``epilog=exit_epilog(...)``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from enum import IntEnum
from typing import Any, NoReturn, TypeVar

import click

from acrguard.errors import (
    AcrguardError,
    BadInputError,
    CloudCallError,
    ConfigError,
    StateConflict,
    StateError,
    TransientCloudError,
)

T = TypeVar("T")

DOC = "docs/exit-codes.md"


class ExitCode(IntEnum):
    """The exit codes of every command (see the module docstring)."""

    OK = 0
    ATTENTION = 1
    FAIL = 2
    USAGE = 64
    DATAERR = 65
    NOINPUT = 66
    UNAVAILABLE = 69
    SOFTWARE = 70
    TEMPFAIL = 75
    CONFIG = 78
    INTERRUPTED = 130


#: One line per code: the rows of the table in ``docs/exit-codes.md`` (a test keeps them equal).
MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "nothing to change, PASS, clean, accepted, matches",
    ExitCode.ATTENTION: "changes planned or made; WARN; findings of medium severity or worse; lint warnings; drift",
    ExitCode.FAIL: "a failing verdict: FAIL (audit, policy check), errors (configmap lint)",
    ExitCode.USAGE: "the command line is wrong (unknown option, missing argument, bad value)",
    ExitCode.DATAERR: "an input file is malformed (not JSON, a malformed policy or event)",
    ExitCode.NOINPUT: "an input file is missing or unreadable (the config, a policy, an event, s.yaml)",
    ExitCode.UNAVAILABLE: "something could not be read or written and retrying will not help (an API refused, "
                          "an export destination cannot be written, a required program is missing)",
    ExitCode.SOFTWARE: "an internal error (a bug: report it with the traceback)",
    ExitCode.TEMPFAIL: "a transient failure (throttling, 5xx, timeout, connection refused): retry later",
    ExitCode.CONFIG: "the config is invalid, or no credentials can be found",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}

#: Short names used in each command's help.
_SHORT: dict[ExitCode, str] = {
    ExitCode.USAGE: "usage", ExitCode.DATAERR: "malformed input", ExitCode.NOINPUT: "missing input",
    ExitCode.UNAVAILABLE: "unavailable", ExitCode.SOFTWARE: "internal error", ExitCode.TEMPFAIL: "retry later",
    ExitCode.CONFIG: "config or credentials", ExitCode.INTERRUPTED: "interrupted",
}


def exit_epilog(*, ok: str, attention: str | None = None, fail: str | None = None,
                errors: Iterable[ExitCode] = ()) -> str:
    """The "Exit codes" paragraph of a command's help: its answers, then the error codes it can end with."""
    answers = [f"0 {ok}"]
    if attention:
        answers.append(f"1 {attention}")
    if fail:
        answers.append(f"2 {fail}")
    codes = sorted({ExitCode.USAGE, *errors, ExitCode.SOFTWARE, ExitCode.INTERRUPTED})
    failures = ", ".join(f"{int(code)} {_SHORT[code]}" for code in codes)
    return f"Exit codes: {'; '.join(answers)}; {failures} (see {DOC})."


def code_for(exc: BaseException) -> ExitCode:
    """The exit code of a run that ended with ``exc``."""
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(exc, ConfigError):
        return ExitCode.NOINPUT if unreadable(exc) else ExitCode.CONFIG
    if isinstance(exc, (TransientCloudError, StateConflict)):
        return ExitCode.TEMPFAIL
    if isinstance(exc, (CloudCallError, StateError)):
        return ExitCode.UNAVAILABLE
    if isinstance(exc, BadInputError):
        return ExitCode.DATAERR
    if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
        return ExitCode.NOINPUT
    return ExitCode.SOFTWARE


def unreadable(exc: ConfigError) -> bool:
    """Whether a config error is about reading the file (66) rather than its content (78)."""
    return bool(getattr(exc, "unreadable", False)) or any(p.startswith("cannot read the file") for p in exc.problems)


def fail(code: ExitCode, message: str) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``."""
    click.echo(message, err=True)
    raise SystemExit(int(code))


def _usage(exc: click.UsageError) -> click.UsageError:
    exc.exit_code = int(ExitCode.USAGE)
    return exc


def _invoke_under_contract(invoke: Callable[[], Any]) -> Any:
    try:
        return invoke()
    except click.UsageError as exc:
        raise _usage(exc) from None
    except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
        raise
    except KeyboardInterrupt:
        fail(ExitCode.INTERRUPTED, "interrupted")
    except AcrguardError as exc:
        fail(code_for(exc), str(exc))
    except Exception:  # a bug: say so, with the traceback, and never exit 1 ("changes")
        click.echo(traceback.format_exc().rstrip(), err=True)
        fail(ExitCode.SOFTWARE, "internal error: please report it with the traceback above")


class _UnderContract:
    """Usage errors exit 64, Ctrl-C 130, escaped errors their code, bugs 70 (mixed into click's classes)."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)  # type: ignore[misc]
        except click.UsageError as exc:
            raise _usage(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        return _invoke_under_contract(lambda: super(_UnderContract, self).invoke(ctx))  # type: ignore[misc]


class ContractCommand(_UnderContract, click.Command):
    """A command under the contract: usage errors exit 64, Ctrl-C 130, escaped errors their code, bugs 70."""


class ContractGroup(_UnderContract, click.Group):
    """A group under the contract; its subcommands and subgroups are too."""

    command_class = ContractCommand
    group_class = type  # subgroups are of this class


def _stop_now(message: str) -> NoReturn:
    """Leave at once with 130: the worker threads of a sweep are not waited for."""
    click.echo(message, err=True)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(int(ExitCode.INTERRUPTED))


def run_interruptible(work: Callable[[], T], *, writes: bool = False) -> T:
    """Run ``work`` in a worker thread so that Ctrl-C ends the command at once, with 130.

    A sweep's thread pool would otherwise finish every queued read (and write) before the
    interrupt reaches the command: seconds, or minutes with a slow cloud. The process exits
    without waiting for them; for a command that ``writes``, the writes in flight may or may
    not have happened, exactly as when FC stops a function at its timeout (every write is
    idempotent, and the VPN ownership ledger is saved before the writes it covers), so the
    message says to run the plan again. An exception of ``work`` (a ``KeyboardInterrupt``
    included) is raised again in the calling thread.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the calling thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="acrguard-command", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        _stop_now("interrupted: writes in flight may or may not have happened; run the plan again to see "
                  "where things stand" if writes else "interrupted")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
