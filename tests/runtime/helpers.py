"""What the function tests share (import as ``tests.runtime.helpers``): the config file, the DingTalk channel,
the test cloud section, the functions' roles and bucket, and one FC-shaped invocation of a function's handler.

A function runs as it does in FC: its context carries the STS credentials of its role, which has
exactly the policies the repository deploys (``deploy/policies/``), and its config names no
credentials. The tests' own set-up and checks sign as the account's root through the ``factory``
fixture, or read the local cloud's state directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from acrguard.functions import function
from acrguard.runtime.local import invoke, make_context
from localcloud import LocalCloud
from support import ACCOUNT, REGION, fc_credentials, with_function_roles

#: the bucket of the documented layout (docs/deploying.md, step 2: ``acrguard-<something>``)
BUCKET = "acrguard-tests"


def function_world(world: dict[str, Any], *, documents: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """``world`` with each function's role (its deployed policies, or ``documents`` instead) and the bucket."""
    with_function_roles(world, assumer=False, documents=documents)
    buckets = world.setdefault("oss", {}).setdefault("buckets", [])
    if not any(b.get("name") == BUCKET for b in buckets):
        buckets.append({"name": BUCKET, "account": ACCOUNT, "region": REGION})
    return world


def oss_state() -> dict[str, Any]:
    """``state:`` in the tests' bucket, at the documented key (each function keeps its own folder beside it)."""
    return {"backend": "oss", "bucket": BUCKET, "key": "state/acrguard.json", "region": REGION}


def cloud_section(cloud: LocalCloud) -> dict[str, Any]:
    """``cloud:`` for the local cloud: its endpoints and fast, short retries (no credentials: FC gives the role's)."""
    endpoints = cloud.endpoints()
    return {"region": REGION, "endpoint": endpoints["openapi"], "oss_endpoint": endpoints["oss"], "protocol": "http",
            "retry": {"max_attempts": 2, "base_delay_ms": 5, "max_delay_ms": 20}}


def dingtalk_channel(cloud: LocalCloud, token: str) -> dict[str, Any]:
    """An ``alerts.channels`` entry named ``ops`` for the local DingTalk robot ``token``."""
    return {"name": "ops", "type": "dingtalk",
            "url": f"http://{cloud.endpoints()['chat']}/dingtalk/robot/send?access_token={token}"}


def write_config(tmp_path: Path, data: dict[str, Any]) -> Path:
    """``data`` as ``tmp_path/acrguard.yaml`` (what ``ACRGUARD_CONFIG`` points the function at).

    ``cloud.credentials`` is left out: a deployed function signs with its role's credentials.
    """
    cloud = dict(data.get("cloud") or {})
    cloud.pop("credentials", None)
    path = tmp_path / "acrguard.yaml"
    path.write_text(yaml.safe_dump({**data, "cloud": cloud}), encoding="utf-8")
    return path


def run_function(cloud: LocalCloud, job: str, event: bytes, config_path: Path, request_id: str = "req-1") -> Any:
    """One invocation of ``job``'s handler with ``event``'s bytes and an FC-shaped context carrying its role's
    credentials (obtained afresh, as FC does for each invocation)."""
    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8"))
    cloud_config = config.get("cloud") if isinstance(config, dict) else None
    assert not (cloud_config or {}).get("credentials"), "a function signs with its role, not the config's key"
    spec = function(job)
    context = make_context(spec, REGION, ACCOUNT, credentials=fc_credentials(cloud, job), request_id=request_id)
    return invoke(spec, event, context, config_path)
