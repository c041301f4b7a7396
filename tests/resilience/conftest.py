"""Seeds for the resilience tests: a fixed list by default, or ``ACRGUARD_TEST_SEED`` to vary them in CI.

``ACRGUARD_TEST_SEED`` holds one seed or several (``7``, ``7,8,9``), or ``random`` for one fresh
seed per run; the seed is in every test id (``[seed11]``) so a failure can be replayed exactly.
Every test that takes a ``seed`` argument runs once per seed.
"""

from __future__ import annotations

import os
import random

import pytest

#: the seeds used when ACRGUARD_TEST_SEED is not set
DEFAULT_SEEDS = (11, 29, 47)


def configured_seeds(environ: dict[str, str] | None = None) -> list[int]:
    """The seeds named by ``ACRGUARD_TEST_SEED`` (``DEFAULT_SEEDS`` when unset)."""
    raw = (os.environ if environ is None else environ).get("ACRGUARD_TEST_SEED", "").strip()
    if not raw:
        return list(DEFAULT_SEEDS)
    if raw.lower() == "random":
        return [random.SystemRandom().randrange(1, 2**31)]
    try:
        return [int(part) for part in raw.replace(",", " ").split()]
    except ValueError:
        raise pytest.UsageError(f"ACRGUARD_TEST_SEED must be integers separated by commas, or 'random'; got {raw!r}"
                                ) from None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that takes ``seed`` once per configured seed."""
    if "seed" in metafunc.fixturenames:
        metafunc.parametrize("seed", configured_seeds(), ids=lambda seed: f"seed{seed}")
