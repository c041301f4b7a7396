"""The whitelist guard's world for the resilience tests: declared CIDR, a hostname entry, foreign entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support import ACCOUNT, INSTANCE_ID, REGION, base_world, with_function_roles
from tests.resilience.harness import chat_channel, cloud_section, dns_settings, write_config

DING = "dingtokenresilience001"
ALICE_KEY, ALICE_SECRET = "LTAI5tAliceResil000001", "alice-resilience-secret-0001"
DECLARED = "198.51.100.0/24"
HOST = "gw.office.example.test"
HOST_IPS = ("47.96.7.10",)  # public: a hostname's answer in a special-purpose range never enters the ACL
ALLOWED = "203.0.113.0/24"  # someone else's entry the config allows
FOREIGN = "192.0.2.0/24"  # someone else's entry the config does not allow: a lasting finding
FOREIGN_TITLE = FOREIGN  # the finding names the entry


def whitelist_world(*, secret: str | None = None) -> dict[str, Any]:
    """The base world: the instance's ACL holds the allowed and the foreign entry; the hostname resolves."""
    data = base_world()
    data["accounts"][ACCOUNT]["global"]["ram"]["users"].append(
        {"name": "alice", "access_keys": [{"id": ALICE_KEY, "secret": ALICE_SECRET}]})
    instance = data["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"][0]
    instance["internet"]["entries"] = [{"entry": ALLOWED, "comment": "office"},
                                       {"entry": FOREIGN, "comment": "legacy"}]
    data["dns"]["records"][HOST] = {"A": list(HOST_IPS)}
    data["chat"] = {"dingtalk": {DING: {"secret": secret} if secret else {}}}
    return with_function_roles(data, assumer=False)  # each function runs as its deployed role


def whitelist_config(cloud: Any, tmp_path: Path, *, state: dict[str, Any] | None = None,
                     cloud_options: dict[str, Any] | None = None, secret: str | None = None,
                     extra_cidrs: tuple[str, ...] = (), **whitelist: Any) -> Path:
    """A config holding the whitelist in ``enforce``: the declared CIDR(s) and the hostname, the allowed entry."""
    data = {
        "cloud": cloud_section(cloud, **(cloud_options or {})),
        "instances": [{"name": "test", "instance_id": INSTANCE_ID, "whitelist": {
            "policy": "enforce", "public_endpoint": "enabled",
            "entries": [{"cidr": DECLARED, "comment": "office"}, *({"cidr": cidr} for cidr in extra_cidrs),
                        {"host": HOST, "comment": "gateway"}],
            "allowed_unmanaged": [ALLOWED], **dns_settings(cloud), **whitelist}}],
        "safety": {"hold_runs": 1, "hold_hours": 0},
        "alerts": {"group_interval_s": 1, "repeat_interval_s": 3600,
                   "channels": [chat_channel(cloud, DING, secret=secret)]},
        "state": state or {"backend": "sqlite", "path": str(tmp_path / "state.db")},
    }
    return write_config(tmp_path / "acrguard.yaml", data)


def desired_acl(host_ips: tuple[str, ...] = HOST_IPS, *extra: str) -> set[str]:
    """What the whitelist should hold once converged (``extra``: entries others added since)."""
    return {DECLARED, ALLOWED, FOREIGN, *(f"{ip}/32" for ip in host_ips), *extra}
