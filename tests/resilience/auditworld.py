"""The pull-key auditor's world for the resilience tests: the pull users of ``tests/pullkeys`` and a ConfigMap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support import INSTANCE_ID, REGION, with_function_roles
from tests.pullkeys.pullworld import KEYS, pull_world
from tests.resilience.harness import chat_channel, cloud_section, write_config

DING = "dingtokenauditresil001"
#: the value of ``customAccessKeySecret`` in the cluster's ConfigMap (a secret that must never show)
CONFIGMAP_SECRET = "CmSecretValueNeverShown0001"


def audit_world(*, secret: str | None = None) -> dict[str, Any]:
    """The pull users (PASS, WARN and FAIL verdicts) and a DingTalk robot."""
    data = pull_world()
    data["chat"] = {"dingtalk": {DING: {"secret": secret} if secret else {}}}
    return with_function_roles(data, assumer=False)  # each function runs as its deployed role


def configmap_text(secret: str = CONFIGMAP_SECRET) -> str:
    """An ``acr-configuration`` ConfigMap whose entry holds ack-puller's AccessKey and its secret."""
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: acr-configuration\n  namespace: kube-system\n"
            "data:\n  service-account: \"default\"\n  watch-namespace: \"all\"\n  acr-registry-info: |\n"
            f"    - instanceId: \"{INSTANCE_ID}\"\n      regionId: \"{REGION}\"\n"
            f"      customAccessKey: \"{KEYS['ack-puller']}\"\n      customAccessKeySecret: \"{secret}\"\n")


def audit_config(cloud: Any, tmp_path: Path, *, attempts: int = 3, secret: str | None = None,
                 cloud_options: dict[str, Any] | None = None, configmap_secret: str = CONFIGMAP_SECRET) -> Path:
    """Discovery on, the ConfigMap of cluster ``prod``, the DingTalk channel, state in SQLite."""
    configmap = tmp_path / "acr-configuration.yaml"
    configmap.write_text(configmap_text(configmap_secret), encoding="utf-8")
    data = {
        "cloud": cloud_section(cloud, attempts=attempts, **(cloud_options or {})),
        "instances": [{"name": "test", "instance_id": INSTANCE_ID}],
        "pull_keys": {"discover": True, "configmaps": [{"path": str(configmap), "cluster": "prod"}],
                      "max_key_age_days": 365},
        "alerts": {"group_interval_s": 1, "repeat_interval_s": 3600,
                   "channels": [chat_channel(cloud, DING, secret=secret)]},
        "state": {"backend": "sqlite", "path": str(tmp_path / "state.db")},
    }
    return write_config(tmp_path / "acrguard.yaml", data)
