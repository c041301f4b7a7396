"""Build a function's deployable code directory: handler + ``acrguard`` + pinned dependencies + bytecode.

Two ways to get the dependencies:

* ``from the environment`` (default when building for the running interpreter): copy the files
  of each installed distribution in the function's dependency closure (from its ``RECORD``),
  after checking each version equals the pin in ``requirements.txt``. Fast and offline.
* ``--target-python 3.10`` (for FC's python3.10 runtime from another interpreter): ``pip install
  --target`` for that Python and ``manylinux2014_x86_64`` wheels, constrained by
  ``requirements.txt``.

Bytecode is compiled for the interpreter that builds (ship ``__pycache__``: cold starts pay 3-4x
without it); build with ``python3.10`` for FC so the bytecode matches the runtime. ``localcloud``,
the tests, the CLI and the demo are never included.
"""

from __future__ import annotations

import compileall
import importlib.metadata as metadata
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from acrguard.functions import FunctionSpec

REPO = Path(__file__).resolve().parents[2]
LIBRARY = Path(__file__).resolve().parent
EXCLUDED_LIBRARY_PARTS = {"cli", "demo", "__pycache__"}


class PackagingError(Exception):
    """The artifact cannot be built as asked."""


@dataclass(frozen=True)
class BuildResult:
    """What was built."""

    directory: Path
    files: int
    bytes: int
    zip_path: Path | None = None
    zip_bytes: int | None = None


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


def _pip_install(spec: FunctionSpec, target: Path, python_version: str) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target), "--only-binary=:all:",
               "--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", python_version,
               "-c", str(REPO / "requirements.txt"), *spec.distributions]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PackagingError(f"pip could not install the dependencies for Python {python_version}:\n"
                             f"{result.stderr.strip()[-2000:]}")


def build(spec: FunctionSpec, output: Path, *, target_python: str | None = None, make_zip: bool = False,
          compile_bytecode: bool = True) -> BuildResult:
    """Build ``spec`` into ``output`` (replaced if it exists) and return what was built."""
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    handler = REPO / "functions" / spec.name / "index.py"
    if not handler.is_file():
        raise PackagingError(f"{handler} does not exist")
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    shutil.copy2(handler, output / "index.py")
    _copy_library(output)
    if target_python and target_python != current:
        _pip_install(spec, output, target_python)
    else:
        pins = read_pins()
        for dist in dependency_closure(spec.distributions):
            name, version = _normalize(dist.metadata["Name"]), dist.version
            if pins.get(name) not in (None, version):
                raise PackagingError(f"{name} {version} is installed but requirements.txt pins {pins[name]}")
            _copy_distribution(dist, output)
    compiles = compile_bytecode and (not target_python or target_python == current)
    if compiles and not compileall.compile_dir(str(output), quiet=2, workers=os.cpu_count() or 1):
        raise PackagingError(f"byte-compiling {output} failed")
    files = [p for p in output.rglob("*") if p.is_file()]
    result = BuildResult(output, len(files), sum(p.stat().st_size for p in files))
    if make_zip:
        zip_path = output.with_suffix(".zip")
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(files):
                archive.write(path, path.relative_to(output))
        result = BuildResult(output, result.files, result.bytes, zip_path, zip_path.stat().st_size)
    return result
