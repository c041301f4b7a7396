"""Every read plan reaches the same findings: per user or per policy, with or without the credential report."""

from __future__ import annotations

from acrguard.config.pullkeys import PullKeysConfig
from pullkeys.planrun import COMBINATIONS, assert_same_findings, configmap, run_all
from pullkeys.pullworld import KEYS


def test_the_pull_world_gets_the_same_findings_under_every_plan(cloud, factory, tmp_path):
    """Configured users, a ConfigMap (owned and unknown keys) and discovery: four plans, one answer."""
    source = configmap(tmp_path / "cm.yaml", [KEYS["ack-puller"], KEYS["stale-2"], "LTAI5tNobodyOwnsThis01"])
    settings = PullKeysConfig(users=("reader", "ghost"), configmaps=(source,), discover=True)
    runs = run_all(cloud, factory, settings)
    assert_same_findings(runs)
    first = runs[COMBINATIONS[0]]
    assert {i["user"]: i["verdict"] for i in first["identities"]} == {
        "ack-puller": "PASS", "wide-puller": "FAIL", "reader": "WARN", "group-admin": "FAIL", "stale": "WARN",
        "ghost": "WARN"}
    assert runs[("per-policy", "always")]["_plan"]["discovery"]["plan"] == "per-policy"
    assert runs[("per-user", "always")]["_plan"]["hygiene"]["report"]["used"] is True
