"""The endpoint keeper's world and config for the resilience tests (every target type, a DingTalk robot)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from support import ACCOUNT, INSTANCE_ID, REGION, with_function_roles
from tests.resilience.harness import chat_channel, cloud_section, write_config
from tests.routes.keeperworld import (
    AUTH_IPS,
    ENI,
    HANGZHOU_RANGES,
    SERVICE_PREFIXES,
    VPN_LOCAL,
    config_data,
    keeper_world,
)

DING = "dingtokenkeeperresil01"
VPC_NAME = f"testreg-registry-vpc.{REGION}.cr.aliyuncs.com"
SHORT_HOLD = {"hold_runs": 1, "hold_hours": 0}
ENI_START = ENI  # the VPC endpoint's address in the world


def routes_world(delay: float = 0, *, secret: str | None = None) -> dict[str, Any]:
    """Every target type (asynchronous states lasting ``delay`` cloud seconds) and the DingTalk robot."""
    data = keeper_world(delay=delay)
    data["chat"] = {"dingtalk": {DING: {"secret": secret} if secret else {}}}
    return with_function_roles(data, assumer=False)  # each function runs as its deployed role


def routes_config(cloud: Any, tmp_path: Path, *, attempts: int = 2, secret: str | None = None,
                  cloud_options: dict[str, Any] | None = None, **options: Any) -> Path:
    """The keeper config of ``tests/routes`` with the short hold, the tests' cloud section and DingTalk."""
    data = config_data(cloud, str(tmp_path / "state.db"), safety=SHORT_HOLD, **options)
    data["cloud"] = cloud_section(cloud, attempts=attempts, **(cloud_options or {}))
    data["alerts"] = {"group_interval_s": 1, "repeat_interval_s": 3600,
                      "channels": [chat_channel(cloud, DING, secret=secret)]}
    return write_config(tmp_path / "acrguard.yaml", data)


def wanted(eni: str) -> dict[str, Counter[str]]:
    """What each target holds once converged while the VPC endpoint's address is ``eni``: each prefix once."""
    every = {f"{eni}/32", *(f"{ip}/32" for ip in AUTH_IPS), *HANGZHOU_RANGES}
    return {"vbr": Counter(every), "tr": Counter(every), "cen": Counter(SERVICE_PREFIXES),
            "vpn": Counter({VPN_LOCAL, *every})}


def move_endpoint(cloud: Any, address: str) -> None:
    """The VPC endpoint's ENI gets a new address (ACR updates its PrivateZone record too)."""
    cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].linked_vpcs[0].ip = address
    cloud.dns.set(VPC_NAME, [address])
