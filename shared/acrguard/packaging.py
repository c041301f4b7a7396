"""Build a function's deployable code directory: handler + ``acrguard`` + pinned dependencies + bytecode.

The artifact is built *for a target Python*: FC's runtime, ``python3.10`` (``FC_PYTHON``; the
``runtime`` of every function in ``s.yaml``), unless told otherwise. Two ways to get the
dependencies:

* ``from the environment`` (the target is the running interpreter): copy the files of each
  installed distribution in the function's dependency closure (from its ``RECORD``), after
  checking each version equals the pin in ``requirements.txt``. Fast and offline.
* ``pip install --target`` for the target Python and ``manylinux2014_x86_64`` wheels, constrained
  by ``requirements.txt`` (any other target): extension modules are then the target's.

Bytecode must be compiled by the target interpreter (a ``.pyc`` is tagged and valid for one
Python version only; without it every cold start compiles everything, 3-4x slower), so a Python
of the target version is needed: ``--python PATH``, the running interpreter, ``python3.X`` on
``PATH``, ``uv python find 3.X``, or a pyenv version (``$(pyenv root)/versions/3.X.*``). Nothing is
downloaded. When none is found the build is refused, naming what to install; shipping without
bytecode takes an explicit ``compile_bytecode=False`` (``--no-bytecode``). Every build is then
checked: no bytecode or extension module tagged for another Python, and bytecode present.
``localcloud``, the tests, the CLI and the demo are never included.
"""

from __future__ import annotations

import compileall
import glob
import importlib.metadata as metadata
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from acrguard.functions import FunctionSpec

REPO = Path(__file__).resolve().parents[2]
LIBRARY = Path(__file__).resolve().parent
EXCLUDED_LIBRARY_PARTS = {"cli", "demo", "doctor", "__pycache__"}

#: The Python of FC's ``python3.10`` runtime, which every function in ``s.yaml`` uses.
FC_PYTHON = "3.10"
_VERSION = re.compile(r"^3\.\d{1,2}$")


class PackagingError(Exception):
    """The artifact cannot be built as asked."""


@dataclass(frozen=True)
class Interpreter:
    """A Python interpreter found on this machine, and its ``major.minor`` version."""

    path: str
    version: str
    how: str  # where it was found, for messages


def running_version() -> str:
    """``major.minor`` of the running interpreter."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def interpreter_version(path: str) -> str | None:
    """``major.minor`` of the interpreter at ``path``, None when it does not run (a broken pyenv shim, say)."""
    try:
        result = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    version = result.stdout.strip()
    return version if result.returncode == 0 and _VERSION.match(version) else None


def _candidates(version: str, environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """(path, how) of the interpreters that may be Python ``version``, in the order they are tried."""
    search = environ.get("PATH", "")
    found: list[tuple[str, str]] = []
    on_path = shutil.which(f"python{version}", path=search)
    if on_path:
        found.append((on_path, f"python{version} on PATH"))
    uv = shutil.which("uv", path=search)
    if uv:
        try:
            result = subprocess.run([uv, "python", "find", version], capture_output=True,
                                    text=True, timeout=60, check=False, env=dict(environ))
            if result.returncode == 0 and result.stdout.strip():
                found.append((result.stdout.strip().splitlines()[-1], "uv python find"))
        except (OSError, subprocess.SubprocessError):
            pass
    pyenv = shutil.which("pyenv", path=search)
    root = environ.get("PYENV_ROOT")
    if pyenv and not root:
        try:
            result = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=30, check=False,
                                    env=dict(environ))
            root = result.stdout.strip() if result.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            root = None
    if root:
        pattern = os.path.join(glob.escape(root), "versions", f"{version}.*", "bin", f"python{version}")
        for path in sorted(glob.glob(pattern), key=_patch_level, reverse=True):
            found.append((path, "pyenv"))
    return found


def _patch_level(path: str) -> tuple[int, ...]:
    match = re.search(r"/versions/(\d+)\.(\d+)\.(\d+)", path)
    return tuple(int(g) for g in match.groups()) if match else (0,)


def find_interpreter(version: str, *, explicit: str | None = None,
                     environ: Mapping[str, str] | None = None) -> Interpreter:
    """A Python ``version`` interpreter to compile the artifact's bytecode with (``PackagingError`` if none).

    ``explicit`` (``--python PATH``) must be that version. Otherwise: the running interpreter,
    ``python<version>`` on ``PATH``, ``uv python find``, then the pyenv versions; each candidate is
    run once to read its real version (a pyenv shim for an uninstalled version fails that).
    """
    if not _VERSION.match(version):
        raise PackagingError(f"--target-python {version!r}: expected a version such as {FC_PYTHON}")
    env = os.environ if environ is None else environ
    if explicit:
        actual = interpreter_version(explicit)
        if actual is None:
            raise PackagingError(f"--python {explicit}: cannot run it as a Python interpreter")
        if actual != version:
            raise PackagingError(f"--python {explicit} is Python {actual}, not {version}: give a Python {version}")
        return Interpreter(explicit, version, "--python")
    if running_version() == version:
        return Interpreter(sys.executable, version, "the running interpreter")
    tried = []
    for path, how in _candidates(version, env):
        if interpreter_version(path) == version:
            return Interpreter(path, version, how)
        tried.append(f"{path} ({how}) does not run as Python {version}")
    looked = "; ".join(tried) if tried else f"no python{version} on PATH, no uv, no pyenv version {version}"
    raise PackagingError(
        f"building for Python {version} (FC's python{version} runtime) needs a Python {version} interpreter to "
        f"compile the bytecode, and none was found ({looked}); this is Python {running_version()}. Install Python "
        f"{version} (e.g. `uv python install {version}`, `pyenv install {version}`, or your system's "
        f"python{version} package) or give --python PATH; --no-bytecode ships without bytecode "
        "(every cold start then compiles everything, 3-4x slower)")


def foreign_binaries(directory: Path, version: str) -> list[str]:
    """Bytecode and extension modules under ``directory`` tagged for another CPython than ``version``."""
    tag = "cpython-" + version.replace(".", "")
    odd = []
    for path in directory.rglob("*"):
        name = path.name
        if name.endswith(".pyc") or (name.endswith(".so") and ".cpython-" in name):
            match = re.search(r"\.(cpython-\d+)", name)
            if match and match.group(1) != tag:
                odd.append(str(path.relative_to(directory)))
    return sorted(odd)


def check_artifact(directory: Path, version: str, *, bytecode: bool) -> None:
    """Refuse an artifact with binaries for another Python, or (``bytecode``) without the target's bytecode."""
    odd = foreign_binaries(directory, version)
    if odd:
        shown = ", ".join(odd[:5]) + (f" and {len(odd) - 5} more" if len(odd) > 5 else "")
        raise PackagingError(f"{directory} holds files built for another Python than {version}: {shown}")
    tag = "cpython-" + version.replace(".", "")
    if bytecode and not any(directory.glob(f"acrguard/__pycache__/*.{tag}.pyc")):
        raise PackagingError(f"{directory} has no Python {version} bytecode for acrguard: the compile step failed")


def _compile_with(interpreter: Interpreter, directory: Path) -> None:
    """Byte-compile ``directory`` with ``interpreter`` (its own ``compileall``, so the tags are its)."""
    if interpreter.path == sys.executable:
        if not compileall.compile_dir(str(directory), quiet=2, workers=os.cpu_count() or 1):
            raise PackagingError(f"byte-compiling {directory} failed")
        return
    result = subprocess.run([interpreter.path, "-m", "compileall", "-q", "-j", "0", str(directory)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PackagingError(f"byte-compiling {directory} with {interpreter.path} (Python {interpreter.version}) "
                             f"failed:\n{(result.stdout + result.stderr).strip()[-2000:]}")


@dataclass(frozen=True)
class BuildResult:
    """What was built."""

    directory: Path
    files: int
    bytes: int
    zip_path: Path | None = None
    zip_bytes: int | None = None
    python: str = ""  # the target version
    compiled_with: str | None = None  # the interpreter that compiled the bytecode (None: no bytecode)


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path | None = None) -> dict[str, str]:
    """``requirements.txt`` as {normalized name: version}."""
    pins: dict[str, str] = {}
    for line in (path or REPO / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_normalize(name)] = version.strip()
    return pins


def dependency_closure(names: tuple[str, ...]) -> list[metadata.Distribution]:
    """The installed distributions ``names`` need, transitively (extras ignored, markers evaluated)."""
    from packaging.requirements import Requirement

    seen: dict[str, metadata.Distribution] = {}
    pending = list(names)
    while pending:
        name = _normalize(pending.pop())
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise PackagingError(f"{name} is not installed; install requirements.txt first") from None
        seen[name] = dist
        for spec in dist.requires or []:
            requirement = Requirement(spec)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            pending.append(requirement.name)
    return sorted(seen.values(), key=lambda d: _normalize(d.metadata["Name"]))


def _copy_distribution(dist: metadata.Distribution, target: Path) -> None:
    for file in dist.files or []:
        parts = Path(str(file)).parts
        if not parts or parts[0] in ("..", "/") or "__pycache__" in parts or str(file).endswith(".pyc"):
            continue
        source = Path(str(dist.locate_file(file)))
        if source.is_file():
            destination = target / file
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def _copy_library(target: Path) -> None:
    def ignore(directory: str, names: list[str]) -> set[str]:
        if Path(directory) == LIBRARY:
            return {n for n in names if n in EXCLUDED_LIBRARY_PARTS}
        return {n for n in names if n == "__pycache__" or n.endswith(".pyc")}

    shutil.copytree(LIBRARY, target / "acrguard", ignore=ignore)


def unsupported_pins(spec: FunctionSpec, python_version: str) -> list[str]:
    """The pinned distributions of ``spec``'s closure whose ``Requires-Python`` excludes ``python_version``.

    Read from the installed distributions (the pins' versions, ``requirements.txt``), so a pin that
    cannot run on FC's Python is named before pip fails with a resolution error.
    """
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    pins = read_pins()
    found = []
    for dist in dependency_closure(spec.distributions):
        name, wanted = _normalize(dist.metadata["Name"]), dist.metadata.get("Requires-Python")
        if not wanted or pins.get(name) not in (None, dist.version):
            continue
        try:
            if not SpecifierSet(wanted).contains(Version(python_version)):
                found.append(f"{dist.metadata['Name']}=={dist.version} requires Python {wanted}")
        except InvalidSpecifier:
            continue
    return found


def _pip_install(spec: FunctionSpec, target: Path, python_version: str) -> None:
    # --no-compile: pip would byte-compile with the running interpreter; the target's compiles later
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", str(target),
               "--only-binary=:all:",
               "--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", python_version,
               "-c", str(REPO / "requirements.txt"), *spec.distributions]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PackagingError(f"pip could not install the dependencies for Python {python_version}:\n"
                             f"{result.stderr.strip()[-2000:]}")


def build(spec: FunctionSpec, output: Path, *, target_python: str | None = None, make_zip: bool = False,
          compile_bytecode: bool = True, python: str | None = None) -> BuildResult:
    """Build ``spec`` into ``output`` (replaced if it exists) for ``target_python`` (default: the running one).

    ``python``: the interpreter to compile with (``--python``); otherwise one is looked for
    (``find_interpreter``), and the build is refused before anything is written when none is found.
    """
    target = target_python or running_version()
    interpreter = find_interpreter(target, explicit=python) if compile_bytecode else None
    handler = REPO / "functions" / spec.name / "index.py"
    if not handler.is_file():
        raise PackagingError(f"{handler} does not exist")
    unsupported = unsupported_pins(spec, target) if target != running_version() else []
    if unsupported:
        raise PackagingError(f"requirements.txt pins distributions that do not run on Python {target}: "
                             f"{'; '.join(unsupported)}; pin versions that support {target}")
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    shutil.copy2(handler, output / "index.py")
    _copy_library(output)
    if target != running_version():
        _pip_install(spec, output, target)
    else:
        pins = read_pins()
        for dist in dependency_closure(spec.distributions):
            name, version = _normalize(dist.metadata["Name"]), dist.version
            if pins.get(name) not in (None, version):
                raise PackagingError(f"{name} {version} is installed but requirements.txt pins {pins[name]}")
            _copy_distribution(dist, output)
    if interpreter is not None:
        _compile_with(interpreter, output)
    check_artifact(output, target, bytecode=interpreter is not None)
    files = [p for p in output.rglob("*") if p.is_file()]
    result = BuildResult(output, len(files), sum(p.stat().st_size for p in files), python=target,
                         compiled_with=interpreter.path if interpreter else None)
    if make_zip:
        zip_path = output.with_suffix(".zip")
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(files):
                archive.write(path, path.relative_to(output))
        result = BuildResult(output, result.files, result.bytes, zip_path, zip_path.stat().st_size, target,
                             result.compiled_with)
    return result
