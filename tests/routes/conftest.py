"""Fixtures of the endpoint keeper's tests: a clock-moving waiter, the SQLite state, one sweep at a given hour.

A test module that needs another variant defines a fixture of the same name, which takes precedence.
"""

from __future__ import annotations

import pytest

from acrguard.routes.keeper import run_sweep
from acrguard.routes.targets.waiting import Waiter
from acrguard.state.sqlite import SqliteStateStore
from tests.routes.keeperworld import H, make_config


@pytest.fixture
def waiter(cloud) -> Waiter:
    """Waiting for asynchronous states moves the local cloud's clock instead of sleeping."""
    return Waiter(timeout_s=60, interval_s=1, sleep=cloud.advance)


@pytest.fixture
def state_path(tmp_path) -> str:
    """The SQLite state file of the test."""
    return str(tmp_path / "state.db")


@pytest.fixture
def store(state_path):
    """The state store on ``state_path``, closed after the test."""
    opened = SqliteStateStore(state_path)
    yield opened
    opened.close()


@pytest.fixture
def sweep(cloud, factory, store, waiter, state_path):
    """One keeper run at hour ``hours`` with a config built from ``options``."""

    def run(hours: float = 0.0, *, apply: bool = True, **options):
        config = make_config(cloud, state_path, **options)
        return run_sweep(config, factory, store, apply=apply, now=hours * H, waiter=waiter)

    return run
