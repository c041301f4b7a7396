"""The payload of one shard of an organisation's sweep: ``{"acrguardShard": {...}}``.

The timer invocation of a function splits its sweep into shards (one account x region; one
account for a job whose API is global) and invokes the same function asynchronously with this
payload for each (``acrguard.org.fanout``). The shape is acrguard's own::

    {"acrguardShard": {"version": 1, "sweep": "20260101T000000Z-3f2a", "job": "whitelist_guard",
                       "account": "1234567890123456", "region": "cn-hangzhou"}}

``region`` is empty for a global job's shard. FC's asynchronous invocation delivers at least once
and retries a failed attempt with the same payload, so ``correlation_id`` names the sweep and the
shard: a second delivery of a shard that finished is a duplicate (``events.dedup``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from acrguard.events._fields import Ctx, get_str, lookup

KIND = "shard"
#: the payload's one top-level key
KEY = "acrguardShard"
VERSION = 1
_SWEEP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$")
_ACCOUNT = re.compile(r"^[0-9]{6,32}$")
_REGION = re.compile(r"^([a-z]{2,}(-[a-z0-9]+)+)?$")
_JOB = re.compile(r"^[a-z][a-z_]{1,40}$")


@dataclass(frozen=True)
class ShardEvent:
    """One shard to sweep: which sweep it belongs to, which job runs it, in which account and region."""

    sweep: str
    job: str
    account: str
    region: str = ""

    kind = KIND

    @property
    def key(self) -> str:
        """``<account>/<region>`` (``<account>`` for a global job): the shard's name within its sweep."""
        return f"{self.account}/{self.region}" if self.region else self.account

    @property
    def correlation_id(self) -> str:
        """``shard:<job>:<sweep>:<key>``: one shard of one sweep (its redeliveries share it)."""
        return f"shard:{self.job}:{self.sweep}:{self.key}"

    def payload(self) -> bytes:
        """The bytes to invoke the function with."""
        body = {"version": VERSION, "sweep": self.sweep, "job": self.job, "account": self.account,
                "region": self.region}
        return json.dumps({KEY: body}, separators=(",", ":"), sort_keys=True).encode("utf-8")


def looks_like_shard(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a shard payload (its only key is ``acrguardShard``)."""
    return lookup(obj, KEY)[0] is not None


def parse_shard(obj: Mapping[str, Any], ctx: Ctx) -> ShardEvent:
    """Type a shard payload; every field is checked against its form."""
    key, body = lookup(obj, KEY)
    where = ctx.key(key or KEY)
    if not isinstance(body, Mapping):
        where.fail("expected an object with sweep, job, account and region")
    version = lookup(body, "version")[1]
    if version != VERSION:
        where.key("version").fail(f"expected {VERSION}, found {version!r}")
    fields = {}
    for name, pattern, required in (("sweep", _SWEEP_ID, True), ("job", _JOB, True), ("account", _ACCOUNT, True),
                                    ("region", _REGION, False)):
        value = get_str(body, name, where, required=required, numbers=name == "account") or ""
        if not pattern.match(value):
            where.key(name).fail(f"is not a valid {name}")
        fields[name] = value
    return ShardEvent(**fields)
