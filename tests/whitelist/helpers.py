"""Helpers shared by the whitelist guard tests (import as ``tests.whitelist.helpers``)."""

from __future__ import annotations

from typing import Any

from acrguard.routes.targets.waiting import Waiter
from acrguard.whitelist.apply import WRITE_ACTIONS
from localcloud import LocalCloud
from localcloud.products.cr import AclEntry, Instance
from support import INSTANCE_ID, INSTANCE_NAME, REGION, ROOT_KEY, ROOT_SECRET

IDC_HOST = "idc-egress.example.com"


def config_data(cloud: LocalCloud, state_path: str, whitelist: dict[str, Any] | None = None, *,
                safety: dict[str, Any] | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Config data for the test instance, its cloud and DNS pointed at ``cloud``."""
    dns_host, dns_port = cloud.endpoints()["dns"].rsplit(":", 1)
    section = {"nameservers": [dns_host], "dns_port": int(dns_port), "dns_timeout_s": 0.5, "queries_per_name": 1,
               **(whitelist or {})}
    return {
        "cloud": {"region": REGION, "endpoint": cloud.endpoints()["openapi"], "protocol": "http",
                  "credentials": {"access_key_id": ROOT_KEY, "access_key_secret": ROOT_SECRET},
                  "retry": {"max_attempts": 2, "base_delay_ms": 1, "max_delay_ms": 5}},
        "dry_run": dry_run,
        "state": {"path": state_path},
        "safety": {"hold_runs": 1, "hold_hours": 0, **(safety or {})},
        "instances": [{"name": INSTANCE_NAME, "instance_id": INSTANCE_ID, "whitelist": section}],
    }


def seed_acl(instance: Instance, entries: list[tuple[str, str]], *, enable: bool = True) -> None:
    """Put the internet endpoint in a given state, as a seeded world would."""
    instance.internet_enable = enable
    instance.acl = [AclEntry(entry, comment) for entry, comment in entries]


def live(instance: Instance) -> list[tuple[str, str]]:
    """The live whitelist as (entry, comment) pairs."""
    return [(e.entry, e.comment) for e in instance.acl]


def writes(cloud: LocalCloud, since: int = 0) -> list[tuple[str, str]]:
    """Every mutating whitelist call the cloud answered, as (action, entry), oldest first."""
    return [(r.action, r.params.get("Entry", r.params.get("Enable", "")))
            for r in cloud.requests.filter(product="cr", action=WRITE_ACTIONS, since=since)]


def clock_waiter(cloud: LocalCloud, timeout_s: float = 40.0, interval_s: float = 5.0) -> Waiter:
    """A waiter that moves the local cloud's clock instead of sleeping (the guard's default bounds)."""
    return Waiter(timeout_s=timeout_s, interval_s=interval_s, sleep=cloud.advance)
