"""Fixtures for the advisor tests: the advisor world, a config builder, a state store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from acrguard.config import AcrguardConfig, load_config_data
from localcloud import LocalCloud
from tests.advisor.helpers import advisor_world, config_data


@pytest.fixture
def world() -> dict[str, Any]:
    """Repositories with large, small and accelerated images on an Advanced and a Basic instance."""
    return advisor_world()


@pytest.fixture
def make_config(cloud: LocalCloud, tmp_path) -> Callable[..., AcrguardConfig]:
    """``make_config({image_advisor of the Advanced instance}, basic={...}, dry_run=...)``."""
    def build(advisor: dict[str, Any] | None = None, **options: Any) -> AcrguardConfig:
        return load_config_data(config_data(cloud, str(tmp_path / "state.db"), advisor, **options))
    return build
