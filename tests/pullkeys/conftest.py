"""Seed the ``cloud`` fixture with the pull-user world of ``pullworld`` for every test here."""

from __future__ import annotations

from typing import Any

import pytest

from pullkeys.pullworld import pull_world


@pytest.fixture
def world() -> dict[str, Any]:
    """The pull-user world (a test module may override this fixture)."""
    return pull_world()
