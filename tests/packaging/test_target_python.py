"""Packaging for the runtime's Python: the bytecode is compiled by an interpreter of the target version, or the
build is refused, naming what to install; an artifact never holds binaries of another Python."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from acrguard.cli.exitcodes import ExitCode
from acrguard.functions import function
from acrguard.packaging import (
    FC_PYTHON,
    PackagingError,
    build,
    check_artifact,
    find_interpreter,
    foreign_binaries,
    interpreter_version,
    running_version,
)
from tests.cli.helpers import run

SPEC = function("pullkey_auditor")
RUNNING = running_version()
RUNNING_TAG = "cpython-" + RUNNING.replace(".", "")
#: a version no machine has, to see the refusal whatever is installed
ABSENT = "3.99"


def _python_310() -> str | None:
    """A Python 3.10 on this machine, if any (PATH or pyenv), found the way ``package`` finds one."""
    try:
        return find_interpreter("3.10").path
    except PackagingError:
        return None


def test_fc_runs_python_3_10_as_s_yaml_says():
    """The default target is the runtime every function of s.yaml declares."""
    import yaml

    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "s.yaml").read_text(encoding="utf-8"))
    runtimes = {r["props"]["runtime"] for r in data["resources"].values() if r.get("component") == "fc3"}
    assert runtimes == {f"python{FC_PYTHON}"}


def test_the_running_interpreter_is_used_for_its_own_version():
    """Building for the running Python compiles with it."""
    found = find_interpreter(RUNNING)
    assert (found.path, found.version) == (sys.executable, RUNNING)


def test_an_explicit_python_must_be_the_target_version():
    """``--python`` of another version is refused, naming both versions."""
    with pytest.raises(PackagingError, match=rf"is Python {RUNNING}, not {ABSENT}"):
        find_interpreter(ABSENT, explicit=sys.executable)
    assert find_interpreter(RUNNING, explicit=sys.executable).how == "--python"


def test_no_interpreter_of_the_target_version_is_a_clear_refusal(tmp_path):
    """Nothing on PATH, no uv, no pyenv: the message says what to install and how to proceed."""
    with pytest.raises(PackagingError) as caught:
        find_interpreter(ABSENT, environ={"PATH": str(tmp_path)})
    message = str(caught.value)
    assert f"needs a Python {ABSENT} interpreter" in message and f"this is Python {RUNNING}" in message
    assert f"uv python install {ABSENT}" in message and f"pyenv install {ABSENT}" in message
    assert "--python PATH" in message and "--no-bytecode" in message


def test_a_broken_shim_on_path_is_not_taken_for_the_version(tmp_path):
    """A ``python3.X`` on PATH that does not run (an uninstalled pyenv shim) is reported, not used."""
    shim = tmp_path / f"python{ABSENT}"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.99: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    with pytest.raises(PackagingError, match="does not run as Python"):
        find_interpreter(ABSENT, environ={"PATH": str(tmp_path)})


def test_the_package_command_refuses_before_building(tmp_path, monkeypatch):
    """``package --target-python`` without such an interpreter exits 69 and builds nothing."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("PYENV_ROOT", raising=False)
    result = run("package", "--function", SPEC.name, "--target-python", ABSENT, "--output", tmp_path / "build")
    assert result.exit_code == ExitCode.UNAVAILABLE
    assert f"needs a Python {ABSENT} interpreter" in result.stderr
    assert not (tmp_path / "build").exists()


def test_a_build_for_the_running_python_has_only_its_bytecode(tmp_path):
    """Every .pyc and extension module is tagged for the target; the handler's library is compiled."""
    result = build(SPEC, tmp_path / SPEC.name, target_python=RUNNING, python=sys.executable)
    assert result.python == RUNNING and result.compiled_with == sys.executable
    assert list((result.directory / "acrguard" / "__pycache__").glob(f"*.{RUNNING_TAG}.pyc"))
    assert foreign_binaries(result.directory, RUNNING) == []


def test_the_package_command_names_the_python_and_the_compiler(tmp_path):
    """The summary line says which Python the artifact is for and which interpreter compiled it."""
    result = run("package", "--function", SPEC.name, "--target-python", RUNNING, "--python", sys.executable,
                 "--output", tmp_path)
    assert result.exit_code == ExitCode.OK, result.output
    assert f"(Python {RUNNING}, bytecode by {sys.executable};" in result.stdout


def test_no_bytecode_is_explicit_and_warned(tmp_path):
    """``--no-bytecode`` ships without bytecode, says so, and the artifact has none."""
    result = run("package", "--function", SPEC.name, "--target-python", RUNNING, "--no-bytecode",
                 "--output", tmp_path)
    assert result.exit_code == ExitCode.OK
    assert "warning: --no-bytecode" in result.stderr and "NO bytecode" in result.stdout
    assert not list((tmp_path / SPEC.name).rglob("*.pyc"))


def test_binaries_of_another_python_are_refused(tmp_path):
    """An artifact holding bytecode or an extension module of another CPython is not shipped."""
    (tmp_path / "acrguard" / "__pycache__").mkdir(parents=True)
    (tmp_path / "acrguard" / "__pycache__" / "x.cpython-310.pyc").write_bytes(b"")
    (tmp_path / "pydantic_core").mkdir()
    (tmp_path / "pydantic_core" / "_pydantic_core.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    assert foreign_binaries(tmp_path, "3.10") == ["pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so"]
    with pytest.raises(PackagingError, match=r"built for another Python than 3\.10"):
        check_artifact(tmp_path, "3.10", bytecode=True)
    with pytest.raises(PackagingError, match=r"no Python 3\.11 bytecode"):
        check_artifact(tmp_path / "pydantic_core", "3.11", bytecode=True)


@pytest.mark.skipif(_python_310() is None, reason="no Python 3.10 on this machine (PATH or pyenv)")
def test_a_python_3_10_found_on_this_machine_compiles_3_10_bytecode(tmp_path):
    """With a 3.10 found (PATH, uv or pyenv), the library is compiled to cpython-310 bytecode by it."""
    from acrguard.packaging import Interpreter, _compile_with

    path = _python_310()
    assert path is not None and interpreter_version(path) == "3.10"
    (tmp_path / "acrguard").mkdir()
    (tmp_path / "acrguard" / "__init__.py").write_text("VALUE = 1\n")
    _compile_with(Interpreter(path, "3.10", "test"), tmp_path)
    assert [p.name for p in (tmp_path / "acrguard" / "__pycache__").iterdir()] == ["__init__.cpython-310.pyc"]
    check_artifact(tmp_path, "3.10", bytecode=True)


@pytest.mark.skipif(not os.path.isdir(os.path.expanduser("~/.pyenv/versions")), reason="no pyenv versions here")
def test_pyenv_versions_are_found_without_a_shim_on_path(tmp_path):
    """An installed pyenv version is found through ``pyenv root`` even when its shim is not on PATH."""
    versions = sorted(p.name for p in Path(os.path.expanduser("~/.pyenv/versions")).iterdir()
                      if p.name.count(".") == 2 and p.name.startswith("3."))
    wanted = next((".".join(v.split(".")[:2]) for v in versions if not v.startswith(RUNNING + ".")), None)
    if wanted is None:
        pytest.skip("pyenv holds only the running version")
    root = os.path.expanduser("~/.pyenv")
    found = find_interpreter(wanted, environ={"PATH": str(tmp_path), "PYENV_ROOT": root})
    assert found.how == "pyenv" and interpreter_version(found.path) == wanted


def test_pins_that_cannot_run_on_the_target_are_named():
    """A pinned distribution whose Requires-Python excludes the target is named before pip runs; none for our own."""
    from acrguard.packaging import unsupported_pins

    assert unsupported_pins(SPEC, RUNNING) == []
    old = unsupported_pins(SPEC, "3.0")
    assert old and all(" requires Python " in line and "==" in line for line in old)
