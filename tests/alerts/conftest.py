"""Fixtures for the alert tests: one local cloud per module with chat robots, a state store, pipelines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from acrguard.alerts import AlertPipeline
from acrguard.config.alerts import AlertsConfig
from acrguard.state.sqlite import SqliteStateStore
from localcloud import LocalCloud
from tests.alerts.helpers import CloudClock, channel, chat_world


@pytest.fixture(scope="module")
def chat_cloud() -> Iterator[LocalCloud]:
    """A local cloud shared by the tests of one module (its state is reset for each test)."""
    with LocalCloud(chat_world(), seed=1234) as running:
        yield running


@pytest.fixture
def cloud(chat_cloud: LocalCloud) -> LocalCloud:
    """The module's cloud with a fresh world (chat sinks, robots, faults); its clock keeps running."""
    chat_cloud.load_world(chat_world())
    return chat_cloud


@pytest.fixture
def clock(cloud: LocalCloud) -> CloudClock:
    """The cloud's clock, for the pipeline."""
    return CloudClock(cloud)


@pytest.fixture
def state_path(tmp_path) -> str:
    """Where the SQLite state lives (each invocation opens it anew)."""
    return str(tmp_path / "state.db")


@pytest.fixture
def store(state_path: str) -> SqliteStateStore:
    """The state store."""
    return SqliteStateStore(state_path)


@pytest.fixture
def alerts_config(cloud: LocalCloud) -> Callable[..., AlertsConfig]:
    """``alerts_config("dingtalk", "wecom", group_interval_s=60)``: channels on the sinks plus options."""
    def build(*kinds: str, channels: list[dict[str, Any]] | None = None, **options: Any) -> AlertsConfig:
        data = [channel(cloud, kind) for kind in kinds] + list(channels or [])
        return AlertsConfig.model_validate({"channels": data, **options})
    return build


@pytest.fixture
def invocation(state_path: str, clock: CloudClock) -> Callable[[AlertsConfig], AlertPipeline]:
    """A pipeline as one function invocation would build it: a new store object on the same state file."""
    def build(config: AlertsConfig) -> AlertPipeline:
        return AlertPipeline(config, SqliteStateStore(state_path), clock=clock)
    return build
