"""``instances[].whitelist:``: the declared public-endpoint ACL and how strictly to hold it."""

from __future__ import annotations

import ipaddress
from typing import Literal

from acrguard.config.base import Cidr, Hostname, IpAddress, Strict
from acrguard.config.schema import Field, ValidationInfo, field_validator, model_validator


class WhitelistEntry(Strict):
    """One declared entry: a CIDR, or a hostname re-resolved every run.

    ``label`` names the entry in its ownership marker (``acrguard:<instance>:<label>``); it
    defaults to the hostname, or to the CIDR with ``/`` written as ``_``.
    """

    cidr: Cidr | None = None
    host: Hostname | None = None
    label: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$",
                              description="marker label; letters, digits, '.', '_' and '-'")
    comment: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _exactly_one(self) -> WhitelistEntry:
        if (self.cidr is None) == (self.host is None):
            raise ValueError("give exactly one of 'cidr' or 'host'")
        return self

    @property
    def key(self) -> str:
        """The label used in the ownership marker."""
        if self.label:
            return self.label
        return self.host if self.host is not None else str(self.cidr).replace("/", "_")


#: the broadest IPv4 floor a config may set: a /8 already admits 16,777,216 addresses; anything broader
#: is not a whitelist (and would let ``0.0.0.0/1`` + ``128.0.0.0/1`` pass as "safe")
MIN_FLOOR_PREFIX = 8


class WhitelistConfig(Strict):
    """Policy for the instance's internet endpoint ACL.

    ``enforce`` adds what is missing and removes acrguard's own (marked) entries that are no longer
    declared; ``report`` only reports. ``0.0.0.0/0`` and entries broader than the floor are refused
    here and reported when found live. ``public_endpoint`` declares the endpoint's state (``any``:
    no opinion); acrguard switches it only with ``manage_endpoint_status``.
    """

    policy: Literal["enforce", "report"] = "report"
    floor_prefix: int = Field(default=16, le=32, description=f"broadest IPv4 prefix allowed (/16); at least "
                                                            f"/{MIN_FLOOR_PREFIX}")
    floor_prefix_v6: int = Field(default=48, ge=0, le=128)
    entries: tuple[WhitelistEntry, ...] = ()
    allowed_unmanaged: tuple[Cidr, ...] = Field(default=(), description="entries others may keep")
    remove_unmanaged_unsafe: bool = Field(default=False,
                                          description="in enforce, remove 0.0.0.0/0 and too-broad entries we "
                                                      "did not create")
    public_endpoint: Literal["enabled", "disabled", "any"] = Field(
        default="any", description="declared state of the internet endpoint")
    manage_endpoint_status: bool = Field(default=False, description="allow UpdateInstanceEndpointStatus")
    nameservers: tuple[IpAddress, ...] = Field(default=(), description="for hostname entries; default: the "
                                               "instance's routes.nameservers, else the VPC resolvers")
    dns_port: int | None = Field(default=None, ge=1, le=65535)
    queries_per_name: int = Field(default=3, ge=1, le=20, description="catch round-robin answers")
    dns_timeout_s: float = Field(default=2.0, gt=0, le=30)

    @field_validator("floor_prefix")
    @classmethod
    def _floor_not_below_8(cls, floor: int) -> int:
        if floor < MIN_FLOOR_PREFIX:
            raise ValueError(f"floor_prefix {floor} would accept entries of up to {2 ** (32 - max(floor, 0)):,} "
                             f"addresses; it must be at least {MIN_FLOOR_PREFIX} (a /{MIN_FLOOR_PREFIX} already "
                             f"admits {2 ** (32 - MIN_FLOOR_PREFIX):,})")
        return floor

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

    @field_validator("allowed_unmanaged")
    @classmethod
    def _no_open_allowance(cls, allowed: tuple[str, ...]) -> tuple[str, ...]:
        opened = [cidr for cidr in allowed if ipaddress.ip_network(cidr).prefixlen == 0]
        if opened:
            raise ValueError(f"{opened[0]} opens the registry to the whole internet and cannot be allowed")
        return allowed

    @model_validator(mode="after")
    def _unique_entries(self) -> WhitelistConfig:
        for what, values in (("label", [e.key for e in self.entries]),
                             ("cidr", [e.cidr for e in self.entries if e.cidr is not None]),
                             ("host", [e.host for e in self.entries if e.host is not None])):
            duplicates = sorted({v for v in values if values.count(v) > 1})
            if duplicates:
                raise ValueError(f"entries: each {what} may appear once, repeated: {duplicates}")
        return self
