"""The handler without an organisation: a shard payload changes nothing for a user with one account."""

from __future__ import annotations

from pathlib import Path

from acrguard.config import load_config_data
from acrguard.events.shard import ShardEvent
from acrguard.runtime.context import FcFunction, LocalContext
from acrguard.runtime.handler import run_job


def test_a_shard_payload_without_an_organization_is_ignored(tmp_path: Path):
    """No ``organization:`` section: the payload is ignored with the reason, and no cloud call is made."""
    config = load_config_data({"cloud": {"endpoint": "127.0.0.1:9", "protocol": "http",
                                         "credentials": {"access_key_id": "LTAI5tX", "access_key_secret": "s"}},
                               "state": {"backend": "sqlite", "path": str(tmp_path / "state.db")}})
    context = LocalContext(FcFunction("acrguard-whitelist-guard"), "cn-hangzhou", "1234567890123456")
    payload = ShardEvent("s1", "whitelist_guard", "2900000000000001", "cn-hangzhou").payload()
    result = run_job("whitelist_guard", payload, context, config=config)
    assert result["status"] == "ok" and [e["status"] for e in result["events"]] == ["ignored"]
