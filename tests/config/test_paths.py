"""Relative paths in a config file are relative to the file's directory, whatever the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from acrguard.config import load_config, load_config_data
from acrguard.config.paths import anchored, resolve_relative_paths

CONFIG = {
    "instances": [{"name": "prod", "instance_id": "cri-abc123", "routes": {
        "oss_ranges_file": "data/ranges.json",
        "exports": [{"format": "hosts", "destination": "exports/registry.hosts"},
                    {"format": "hosts", "destination": "/srv/exports/registry.hosts"},
                    {"format": "hosts", "destination": "oss://acrguard-prod/exports/registry.hosts"}]}}],
    "pull_keys": {"configmaps": [{"path": "cm/acr-configuration.yaml"}, {"oss": "oss://acrguard-prod/cm.yaml"}]},
}


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    """The config written in ``tmp_path/etc`` and loaded from another working directory."""
    (tmp_path / "etc").mkdir()
    (tmp_path / "elsewhere").mkdir()
    path = tmp_path / "etc" / "acrguard.yaml"
    path.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    monkeypatch.chdir(tmp_path / "elsewhere")
    return load_config(Path("..") / "etc" / "acrguard.yaml"), (tmp_path / "etc").resolve()


def test_the_default_state_path_is_beside_the_config(loaded):
    """``state.path`` (default ``.acrguard/state.db``) is under the config's directory, not the working one."""
    config, etc = loaded
    assert Path(config.state.path).resolve() == etc / ".acrguard" / "state.db"


def test_exports_ranges_and_configmaps_are_anchored(loaded):
    """Local export destinations, the OSS ranges file and ConfigMap files are anchored; OSS ones are not."""
    config, etc = loaded
    routes = config.instances[0].routes
    assert Path(routes.exports[0].destination).resolve() == etc / "exports" / "registry.hosts"
    assert routes.exports[1].destination == "/srv/exports/registry.hosts"
    assert routes.exports[2].destination == "oss://acrguard-prod/exports/registry.hosts"
    assert Path(routes.oss_ranges_file).resolve() == etc / "data" / "ranges.json"
    sources = config.pull_keys.configmaps
    assert Path(sources[0].path).resolve() == etc / "cm" / "acr-configuration.yaml"
    assert (sources[1].path, sources[1].oss) == (None, "oss://acrguard-prod/cm.yaml")


def test_a_config_without_a_file_keeps_its_paths():
    """Data validated without a file (a config read from OSS, or built in code) has no directory to anchor to."""
    assert load_config_data(CONFIG).state.path == ".acrguard/state.db"


@pytest.mark.parametrize(("value", "expected"), [
    ("state.db", "/etc/acrguard/state.db"),
    ("/var/lib/acrguard/state.db", "/var/lib/acrguard/state.db"),
    (":memory:", ":memory:"),
    ("oss://bucket/key", "oss://bucket/key"),
])
def test_anchored(value, expected):
    """Relative values join the base; absolute paths, URLs and SQLite's :memory: stay."""
    assert anchored(value, Path("/etc/acrguard")) == expected


def test_home_is_expanded(monkeypatch):
    """``~`` is the user's home, not a directory named ``~`` beside the config."""
    monkeypatch.setenv("HOME", "/home/ops")
    assert anchored("~/acrguard/state.db", Path("/etc/acrguard")) == "/home/ops/acrguard/state.db"


def test_resolving_keeps_everything_else(loaded):
    """Only paths change: the rest of the config is the same object graph's values."""
    config, etc = loaded
    again = resolve_relative_paths(config, etc)
    assert again.model_dump() == config.model_dump()
