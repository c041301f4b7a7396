"""``instances[].whitelist:``: the declared public-endpoint ACL and how strictly to hold it."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from acrguard.config.base import Cidr, Hostname, Strict


class WhitelistEntry(Strict):
    """One declared entry: a CIDR, or a hostname re-resolved every run."""

    cidr: Cidr | None = None
    host: Hostname | None = None
    comment: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _exactly_one(self) -> WhitelistEntry:
        if (self.cidr is None) == (self.host is None):
            raise ValueError("give exactly one of 'cidr' or 'host'")
        return self


class WhitelistConfig(Strict):
    """Policy for the instance's internet endpoint ACL."""

    policy: Literal["enforce", "report"] = "report"
    floor_prefix: int = Field(default=16, ge=0, le=32, description="broadest IPv4 prefix allowed (/16)")
    floor_prefix_v6: int = Field(default=48, ge=0, le=128)
    entries: tuple[WhitelistEntry, ...] = ()
    allowed_unmanaged: tuple[Cidr, ...] = Field(default=(), description="entries others may keep")
    remove_unmanaged_unsafe: bool = Field(default=False,
                                          description="in enforce, remove 0.0.0.0/0 and too-broad entries we "
                                                      "did not create")
    public_endpoint: Literal["enabled", "disabled", "any"] = Field(
        default="any", description="declared state of the internet endpoint")
    manage_endpoint_status: bool = Field(default=False, description="allow UpdateInstanceEndpointStatus")
    nameservers: tuple[str, ...] = ()

    @field_validator("entries")
    @classmethod
    def _no_open_entries(cls, entries: tuple[WhitelistEntry, ...], info: ValidationInfo
                         ) -> tuple[WhitelistEntry, ...]:
        problems = []
        for index, entry in enumerate(entries):
            if entry.cidr is None:
                continue
            network = ipaddress.ip_network(entry.cidr)
            floor = info.data.get("floor_prefix", 16) if network.version == 4 else info.data.get("floor_prefix_v6", 48)
            if network.prefixlen == 0:
                problems.append(f"[{index}] {entry.cidr} opens the registry to the whole internet and is refused")
            elif network.prefixlen < floor:
                problems.append(f"[{index}] {entry.cidr} is broader than the floor /{floor}")
        if problems:
            raise ValueError("; ".join(problems))
        return entries
