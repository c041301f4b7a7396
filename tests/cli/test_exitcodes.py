"""The exit-code contract: one table (module and docs/exit-codes.md agree), one mapping, every command under it."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from acrguard.cli import cli
from acrguard.cli.exitcodes import (
    MEANINGS,
    ContractCommand,
    ContractGroup,
    ExitCode,
    code_for,
    exit_epilog,
    run_interruptible,
)
from acrguard.credentials import NoCredentialsError
from acrguard.errors import BadInputError, CloudCallError, ConfigError, StateConflict, StateError, TransientCloudError
from tests.cli.helpers import run

DOC = Path(__file__).resolve().parents[2] / "docs" / "exit-codes.md"


def _commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(group)
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append(((*prefix, name), command))
    return found


COMMANDS = _commands()


def test_the_documented_table_is_the_module_table():
    """Every row of docs/exit-codes.md's table is a code of ExitCode with the same name and meaning, and back."""
    rows = re.findall(r"^\| (\d+) \| ([A-Z]+) \| (.+) \|$", DOC.read_text(encoding="utf-8"), re.MULTILINE)
    assert {(int(code), name, meaning) for code, name, meaning in rows} == {
        (int(code), code.name, meaning) for code, meaning in MEANINGS.items()}
    assert set(MEANINGS) == set(ExitCode)


def test_every_command_is_under_the_contract_and_its_help_lists_its_codes():
    """Each command uses ContractCommand, and its help points at the table and names only contract codes."""
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"routes plan", "routes apply", "whitelist plan", "whitelist apply", "audit", "config check",
            "policy check", "configmap lint", "event explain", "invoke", "alert test", "deploy check", "package",
            "demo"} <= names
    for path, command in COMMANDS:
        assert isinstance(command, ContractCommand), path
        help_text = run(*path, "--help").output
        assert "docs/exit-codes.md" in help_text, path
        listed = {int(code) for code in re.findall(r"\b(\d+)\s", help_text.split("Exit codes:", 1)[1])}
        assert listed <= {int(code) for code in ExitCode}, (path, listed)


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=" ".join)
def test_a_usage_error_exits_64_for_every_command(path):
    """An unknown option is a usage error: 64, never click's 2 (which reads as FAIL)."""
    result = run(*path, "--no-such-option")
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "No such option" in result.output


def test_an_unknown_subcommand_exits_64():
    """An unknown command or subcommand is a usage error too."""
    assert run("no-such-command").exit_code == ExitCode.USAGE
    assert run("routes", "no-such-step").exit_code == ExitCode.USAGE


def test_a_bug_exits_70_with_the_traceback_never_1():
    """An unexpected exception is an internal error (70), not "changes" (1)."""
    @click.group(cls=ContractGroup)
    def top() -> None:
        pass

    @top.command("boom")
    def boom() -> None:
        raise RuntimeError("unexpected")

    result = CliRunner().invoke(top, ["boom"])
    assert result.exit_code == ExitCode.SOFTWARE
    assert "RuntimeError: unexpected" in result.output and "internal error" in result.output


@pytest.mark.parametrize(("error", "code"), [
    (ConfigError("acrguard.yaml", ["cloud.region: expected a region id"]), ExitCode.CONFIG),
    (ConfigError("acrguard.yaml", ["cannot read the file: No such file or directory"]), ExitCode.NOINPUT),
    (NoCredentialsError("nothing found"), ExitCode.CONFIG),
    (TransientCloudError("ListInstance", "Throttling.User", "slow down"), ExitCode.TEMPFAIL),
    (TransientCloudError("ListInstance", "NetworkError", "Connection refused"), ExitCode.TEMPFAIL),
    (CloudCallError("ListInstance", "Forbidden.RAM", "denied"), ExitCode.UNAVAILABLE),
    (StateConflict("changed underneath"), ExitCode.TEMPFAIL),
    (StateError("not a database"), ExitCode.UNAVAILABLE),
    (BadInputError("malformed"), ExitCode.DATAERR),
    (FileNotFoundError(2, "No such file"), ExitCode.NOINPUT),
    (KeyboardInterrupt(), ExitCode.INTERRUPTED),
    (RuntimeError("bug"), ExitCode.SOFTWARE),
])
def test_each_error_has_one_code(error, code):
    """The same failure means the same code in every command."""
    assert code_for(error) is code


def test_an_acrguard_error_escaping_a_command_gets_its_code():
    """A command that lets a transient cloud error escape still exits 75 with the message."""
    @click.command(cls=ContractCommand)
    def flaky() -> None:
        raise TransientCloudError("ListInstance", "ServiceUnavailable", "try later")

    result = CliRunner().invoke(flaky, [])
    assert result.exit_code == ExitCode.TEMPFAIL and "ServiceUnavailable" in result.output


def test_the_epilog_lists_answers_then_failures():
    """The help paragraph names the command's answers and its error codes, always usage, 70 and 130."""
    text = exit_epilog(ok="valid", attention="warnings", errors=(ExitCode.NOINPUT,))
    assert text == ("Exit codes: 0 valid; 1 warnings; 64 usage, 66 missing input, 70 internal error, "
                    "130 interrupted (see docs/exit-codes.md).")


def test_run_interruptible_returns_the_value_and_raises_the_error_in_the_caller():
    """The worker's result comes back; its exception (a KeyboardInterrupt too) is raised in the calling thread."""
    assert run_interruptible(lambda: 42) == 42

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_interruptible(interrupted)


def test_each_commands_help_lists_the_codes_its_row_in_the_doc_lists():
    """The per-command table of docs/exit-codes.md and each command's --help name the same codes."""
    text = DOC.read_text(encoding="utf-8").split("## Per command", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    documented = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        answers = {code for code, cell in zip((0, 1, 2), cells[1:4], strict=True) if cell != "—"}
        codes = answers | {int(code) for code in re.findall(r"\b(\d+)\b(?![^(]*\))", cells[4])}
        for name in re.findall(r"`([a-z ]+)`", cells[0]):
            documented[name] = codes
    assert set(documented) == {" ".join(path) for path, _ in COMMANDS}
    for path, _ in COMMANDS:
        help_text = run(*path, "--help").output.split("Exit codes:", 1)[1]
        listed = {int(code) for code in re.findall(r"\b(\d+)\s", help_text)}
        assert listed == documented[" ".join(path)], path
