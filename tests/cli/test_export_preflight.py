"""An export destination that cannot be written is found by ``plan`` and ``config check``, and stops ``apply`` first."""

from __future__ import annotations

import json

import pytest

from acrguard.cli.exitcodes import ExitCode
from tests.cli.helpers import routes_data, run, write
from tests.routes.keeperworld import keeper_world, writes

BROKEN = [{"format": "hosts", "destination": "missing-dir/registry.hosts"}]


@pytest.fixture
def world():
    return keeper_world(delay=0)


@pytest.fixture
def config(cloud, tmp_path):
    return write(tmp_path / "acrguard.yaml", routes_data(cloud, exports=BROKEN))


def test_plan_reports_the_unwritable_export(cloud, config, tmp_path):
    """The plan shows the export's error and exits 69: apply would fail there."""
    result = run("routes", "plan", "--config", config)
    assert result.exit_code == ExitCode.UNAVAILABLE, result.output
    assert f"directory {tmp_path / 'missing-dir'} does not exist" in result.output
    assert "routes.export-failed" in result.output
    assert writes(cloud) == []


def test_apply_stops_before_any_cloud_write(cloud, config):
    """``apply`` refuses at once (69) instead of changing every route target and then failing on the export."""
    result = run("routes", "apply", "--config", config)
    assert result.exit_code == ExitCode.UNAVAILABLE, result.output
    assert "apply stopped before any write" in result.stderr and "missing-dir" in result.stderr
    assert writes(cloud) == []
    assert cloud.requests.count() == 0


def test_apply_with_dry_run_is_not_stopped(cloud, config):
    """``--dry-run`` writes nothing, so it plans (and reports the export) rather than refusing."""
    result = run("routes", "apply", "--dry-run", "--config", config)
    assert result.exit_code == ExitCode.UNAVAILABLE, result.output
    assert "routes.export-failed" in result.output and writes(cloud) == []


def test_config_check_reports_it(config):
    """``config check`` finds it too, as a problem of a valid config (69), in text and JSON."""
    text = run("config", "check", config)
    assert text.exit_code == ExitCode.UNAVAILABLE
    assert "instances[0].routes.exports[0]" in text.stderr and "does not exist" in text.stderr
    data = json.loads(run("config", "check", config, "--json").stdout)
    assert data["valid"] is True and len(data["problems"]) == 1
