"""Helpers for the event tests: where the fixtures are and how to load them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_path(name: str) -> Path:
    """The path of fixture ``name`` (with or without ``.json``)."""
    return FIXTURES / (name if name.endswith(".json") else f"{name}.json")


def load_fixture(name: str) -> Any:
    """Fixture ``name`` decoded as JSON (to be modified by a test)."""
    return json.loads(fixture_path(name).read_text())


@pytest.fixture
def fixture_bytes():
    """A function giving a fixture's bytes, as FC would pass them."""
    return lambda name: fixture_path(name).read_bytes()
