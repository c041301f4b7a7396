"""Seeded random worlds: every read plan of the audit reaches the same verdicts and findings."""

from __future__ import annotations

from typing import Any

import pytest

from acrguard.config.pullkeys import PullKeysConfig
from pullkeys.planrun import assert_same_findings, audit, configmap, run_all
from pullkeys.randworld import random_world

SEEDS = list(range(8))


@pytest.fixture(params=SEEDS, ids=lambda seed: f"seed{seed}")
def scenario(request) -> tuple[dict[str, Any], dict[str, Any]]:
    """A seeded random world and its audit settings."""
    return random_world(request.param)


@pytest.fixture
def world(scenario) -> dict[str, Any]:
    """The scenario's world seeds the cloud."""
    return scenario[0]


def test_random_worlds_get_the_same_findings_under_every_plan(cloud, factory, scenario, tmp_path):
    """Groups, Deny, NotAction, conditions, versions, System policies, odd keys: every plan, the same findings."""
    _, extra = scenario
    settings = PullKeysConfig(users=tuple(extra["users"]), discover=True,
                              configmaps=(configmap(tmp_path / "cm.yaml", extra["configmap_keys"]),))
    runs = run_all(cloud, factory, settings)
    assert_same_findings(runs)
    assert runs[("per-policy", "never")]["_plan"]["discovery"]["plan"] == "per-policy"
    report = runs[("per-user", "always")]["_plan"]["hygiene"]["report"]
    assert report["used"] is True, report


def test_discovery_alone_gets_the_same_pull_users_without_configmaps(cloud, factory):
    """Discovery only (the timer's default): per user and per policy judge the same users."""
    settings = PullKeysConfig(discover=True)
    runs = {combo: audit(cloud, factory, settings, *combo)
            for combo in (("per-user", "never"), ("per-policy", "never"))}
    assert_same_findings(runs)
