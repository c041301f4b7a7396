"""s.yaml's pre-deploy step builds each function's own code, for its runtime, with the CLI's own packager."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from acrguard.functions import FUNCTIONS

REPO = Path(__file__).resolve().parents[2]
DOC = yaml.safe_load((REPO / "s.yaml").read_text(encoding="utf-8"))
RESOURCES = DOC["resources"]


def _package_command(resource: dict) -> list[str]:
    runs = [step["run"] for step in resource.get("actions", {}).get("pre-deploy", [])]
    commands = [shlex.split(run) for run in runs if "acrguard package" in run]
    assert len(commands) == 1, runs
    return commands[0]


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_each_function_is_packaged_for_its_runtime_from_the_venv(name):
    """The step runs `python -m acrguard package` (the README's venv, no python3.10 needed on PATH) for
    this function's code directory and with --target-python equal to the runtime's version."""
    resource = RESOURCES[name]
    props = resource["props"]
    argv = _package_command(resource)
    assert argv[:4] == ["python", "-m", "acrguard", "package"], argv
    function = argv[argv.index("--function") + 1]
    assert function in FUNCTIONS
    assert props["functionName"] == FUNCTIONS[function].fc_name
    output = argv[argv.index("--output") + 1]
    assert props["code"] == f"./{output}/{function}"
    runtime = props["runtime"]
    assert runtime.startswith("python")
    assert argv[argv.index("--target-python") + 1] == runtime.removeprefix("python")
