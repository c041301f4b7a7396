"""Fixtures for the whitelist guard tests: a config pointed at the local cloud, a state store, ACL helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from acrguard.config import AcrguardConfig, load_config_data
from acrguard.state.sqlite import SqliteStateStore
from localcloud import LocalCloud
from localcloud.products.cr import Instance
from support import ACCOUNT, INSTANCE_ID, REGION
from tests.whitelist.helpers import config_data


@pytest.fixture
def store(tmp_path) -> SqliteStateStore:
    """An empty SQLite state store."""
    return SqliteStateStore(tmp_path / "state.db")


@pytest.fixture
def make_config(cloud: LocalCloud, tmp_path) -> Callable[..., AcrguardConfig]:
    """Build an ``AcrguardConfig`` for the test instance: ``make_config({whitelist}, safety=..., dry_run=...)``."""
    def build(whitelist: dict[str, Any] | None = None, **options: Any) -> AcrguardConfig:
        return load_config_data(config_data(cloud, str(tmp_path / "state.db"), whitelist, **options))
    return build


@pytest.fixture
def instance(cloud: LocalCloud) -> Instance:
    """The emulator's record of the test instance (for seeding and asserting the live whitelist)."""
    return cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID]
