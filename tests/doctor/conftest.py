"""Fixtures of the doctor tests: the well-formed world, s.yaml with the account filled in, the deployed functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.doctor.doctorworld import deploy, doctor_world, write_s_yaml


@pytest.fixture
def world() -> dict[str, Any]:
    """The well-formed doctor world (override it in a module for another)."""
    return doctor_world()


@pytest.fixture
def s_yaml(tmp_path: Path) -> Path:
    """The repository's s.yaml with the test account."""
    return write_s_yaml(tmp_path)


@pytest.fixture
def deployed(cloud: Any, s_yaml: Path) -> Any:
    """s.yaml's functions deployed in the local FC (the region's FC backend, for tests that change them)."""
    return deploy(cloud, s_yaml)
