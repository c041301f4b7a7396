"""Finding the files a command reads when the command line does not name them."""

from __future__ import annotations

from pathlib import Path

from acrguard.cli.exitcodes import ExitCode, fail


def s_yaml_candidates(config_path: str | None, cwd: Path | None = None) -> list[Path]:
    """Where ``s.yaml`` is looked for: beside the config file (when one is given), then the working directory."""
    here = (cwd or Path.cwd()) / "s.yaml"
    candidates = [Path(config_path).absolute().parent / "s.yaml"] if config_path else []
    return [*candidates, here] if here.absolute() not in [c.absolute() for c in candidates] else candidates


def locate_s_yaml(given: Path | None, config_path: str | None, cwd: Path | None = None) -> Path:
    """``given`` if it is a file; else the first ``s.yaml`` of ``s_yaml_candidates``; else exit 66 saying where."""
    if given is not None:
        if not given.is_file():
            fail(ExitCode.NOINPUT, f"--s-yaml {given}: no such file")
        return given
    candidates = s_yaml_candidates(config_path, cwd)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    fail(ExitCode.NOINPUT, f"no s.yaml found (looked in {looked}); name it with --s-yaml PATH")
