"""Run from another directory, the commands use the state and exports the config's directory names."""

from __future__ import annotations

import pytest

from acrguard.cli.exitcodes import ExitCode
from tests.cli.helpers import routes_data, run, write
from tests.routes.keeperworld import keeper_world, writes


@pytest.fixture
def world():
    return keeper_world(delay=0)


def test_a_plan_from_another_directory_sees_what_apply_remembered(cloud, tmp_path, monkeypatch):
    """``apply`` from the config's directory, then ``plan`` from elsewhere: the same state, so nothing to change.

    With the state taken relative to the working directory, the plan would start from an empty state
    and report acrguard's own IPsec LocalSubnet items as foreign.
    """
    (tmp_path / "etc" / "exports").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    config = write(tmp_path / "etc" / "acrguard.yaml",
                   routes_data(cloud, exports=[{"format": "hosts", "destination": "exports/registry.hosts"}]))
    monkeypatch.chdir(tmp_path / "etc")
    assert run("routes", "apply", "--config", "acrguard.yaml").exit_code == ExitCode.ATTENTION
    monkeypatch.chdir(tmp_path / "elsewhere")
    mark = cloud.requests.last_seq()
    result = run("routes", "plan", "--config", config)
    assert result.exit_code == ExitCode.OK, result.output
    assert "foreign" not in result.output and "No changes." in result.output
    assert writes(cloud, mark) == []
    assert not (tmp_path / "elsewhere" / ".acrguard").exists()
