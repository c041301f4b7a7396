"""``plan`` writes nothing: no state file, directory or write-ahead log, no export, no cloud write.

Every file under the test's directory (the config's, with its relative state and export paths,
and the working directory) is listed with its size and modification time before and after.
"""

from __future__ import annotations

import pytest

from acrguard.cli.exitcodes import ExitCode
from tests.cli.helpers import routes_data, run, tree, whitelist_data, write
from tests.routes.keeperworld import keeper_world
from tests.routes.keeperworld import writes as route_writes
from tests.whitelist.helpers import writes as acl_writes

EXPORTS = [{"format": "cisco_ios", "destination": "exports/idc.ios", "next_hop": "10.10.0.1"},
           {"format": "hosts", "destination": "exports/registry.hosts"}]


@pytest.fixture
def world():
    return keeper_world(delay=0)


@pytest.fixture
def layout(tmp_path, monkeypatch):
    """``etc/`` holds the config (relative paths in it), ``exports/`` beside it; commands run from ``work/``."""
    (tmp_path / "etc" / "exports").mkdir(parents=True)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    return tmp_path


def test_routes_plan_creates_no_state_and_no_export(cloud, layout):
    """A first ``routes plan`` (no state yet) lists its adds and leaves every file and directory as it was."""
    config = write(layout / "etc" / "acrguard.yaml", routes_data(cloud, exports=EXPORTS))
    before = tree(layout)
    result = run("routes", "plan", "--config", config)
    assert result.exit_code == ExitCode.ATTENTION, result.output
    assert "export cisco_ios -> " in result.output and "would change" in result.output
    assert tree(layout) == before
    assert route_writes(cloud) == []


def test_routes_plan_after_apply_opens_the_state_read_only(cloud, layout):
    """With a state and exports written by ``apply``, ``plan`` changes no byte, time or file (no -wal, no -shm)."""
    config = write(layout / "etc" / "acrguard.yaml", routes_data(cloud, exports=EXPORTS))
    assert run("routes", "apply", "--config", config).exit_code == ExitCode.ATTENTION
    assert (layout / "etc" / ".acrguard" / "state.db").is_file()
    assert (layout / "etc" / "exports" / "idc.ios").is_file()
    mark = cloud.requests.last_seq()
    before = tree(layout)
    result = run("routes", "plan", "--config", config)
    assert result.exit_code == ExitCode.OK, result.output
    assert tree(layout) == before
    assert route_writes(cloud, mark) == []


def test_whitelist_plan_creates_no_state(cloud, layout):
    """``whitelist plan`` before and after an apply leaves every file as it was."""
    config = write(layout / "etc" / "acrguard.yaml", whitelist_data(cloud))
    before = tree(layout)
    assert run("whitelist", "plan", "--config", config).exit_code == ExitCode.ATTENTION
    assert tree(layout) == before
    assert acl_writes(cloud) == []
    assert run("whitelist", "apply", "--config", config).exit_code == ExitCode.ATTENTION
    mark = cloud.requests.last_seq()
    before = tree(layout)
    result = run("whitelist", "plan", "--config", config)
    assert result.exit_code == ExitCode.OK, result.output
    assert tree(layout) == before
    assert acl_writes(cloud, mark) == []
