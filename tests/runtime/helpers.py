"""What the function tests share (import as ``tests.runtime.helpers``): the config file, the DingTalk channel,
the test cloud section, and one FC-shaped invocation of a function's handler."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from acrguard.functions import function
from acrguard.runtime.local import invoke, make_context
from localcloud import LocalCloud
from support import ACCOUNT, REGION, ROOT_KEY, ROOT_SECRET


def cloud_section(cloud: LocalCloud) -> dict[str, Any]:
    """``cloud:`` for the local cloud: its endpoints, root credentials and fast, short retries."""
    endpoints = cloud.endpoints()
    return {"region": REGION, "endpoint": endpoints["openapi"], "oss_endpoint": endpoints["oss"], "protocol": "http",
            "credentials": {"access_key_id": ROOT_KEY, "access_key_secret": ROOT_SECRET},
            "retry": {"max_attempts": 2, "base_delay_ms": 5, "max_delay_ms": 20}}


def dingtalk_channel(cloud: LocalCloud, token: str) -> dict[str, Any]:
    """An ``alerts.channels`` entry named ``ops`` for the local DingTalk robot ``token``."""
    return {"name": "ops", "type": "dingtalk",
            "url": f"http://{cloud.endpoints()['chat']}/dingtalk/robot/send?access_token={token}"}


def write_config(tmp_path: Path, data: dict[str, Any]) -> Path:
    """``data`` as ``tmp_path/acrguard.yaml`` (what ``ACRGUARD_CONFIG`` points the function at)."""
    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def run_function(job: str, event: bytes, config_path: Path, request_id: str = "req-1") -> Any:
    """One invocation of ``job``'s handler with ``event``'s bytes and an FC-shaped context."""
    spec = function(job)
    return invoke(spec, event, make_context(spec, REGION, ACCOUNT, request_id=request_id), config_path)
