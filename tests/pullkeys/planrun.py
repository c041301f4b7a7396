"""Running the same full audit under each read plan, and comparing what they found (for the plan tests)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from acrguard.config.pullkeys import ConfigMapSource, PullKeysConfig
from acrguard.pullkeys.audit import PullKeyAuditor
from support import INSTANCE_ID

REQUEST_ID = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}", re.IGNORECASE)
#: (discovery plan, credential report) pairs each world is audited with, besides the automatic choice.
COMBINATIONS = [("per-user", "never"), ("per-user", "always"), ("per-policy", "never"), ("per-policy", "always")]


def configmap(path: Path, keys: list[str]) -> ConfigMapSource:
    """An acr-configuration ConfigMap file naming ``keys``."""
    entries = "".join(f"    - instanceId: {INSTANCE_ID}\n      customAccessKey: {k}\n"
                      f"      customAccessKeySecret: secret-{i}\n" for i, k in enumerate(keys))
    path.write_text(f"data:\n  acr-registry-info: |\n{entries}", encoding="utf-8")
    return ConfigMapSource(path=str(path), cluster="prod")


def audit(cloud, factory, settings: PullKeysConfig, plan: str, report: str) -> dict[str, Any]:
    """One full audit with a fixed read plan, as JSON without its read plan (plus the plan apart)."""
    now = cloud.clock.utcnow()
    result = PullKeyAuditor(factory, settings, instance_ids=[INSTANCE_ID], now=lambda: now, plan=plan,
                            credential_report=report).full_audit()
    data = result.to_dict()
    data["_plan"] = data.pop("read_plan")
    return data


def comparable(data: dict[str, Any]) -> str:
    """A run's JSON without its read plan and with request ids (different on every call) blanked."""
    text = json.dumps({k: v for k, v in data.items() if k != "_plan"}, sort_keys=True, indent=1)
    return REQUEST_ID.sub("<request id>", text)


def assert_same_findings(runs: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Every run's JSON (its read plan and request ids aside) equals the first's."""
    (first_key, first), *others = runs.items()
    expected = comparable(first)
    for key, data in others:
        assert comparable(data) == expected, f"{key} differs from {first_key}"


def run_all(cloud, factory, settings: PullKeysConfig) -> dict[tuple[str, str], dict[str, Any]]:
    """The audit under every combination and the automatic choice."""
    return {combo: audit(cloud, factory, settings, *combo) for combo in [*COMBINATIONS, ("auto", "auto")]}
