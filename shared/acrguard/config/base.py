"""Shared building blocks of the config schema: strict models and network-value types."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from acrguard.config.schema import AfterValidator, BaseModel, ConfigDict


class Strict(BaseModel):
    """A config object: unknown keys are errors, values are immutable after load."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$", re.IGNORECASE)
_RESOURCE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*-[A-Za-z0-9]+$")  # also tr-attach-xxxx
_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"expected an IPv4/IPv6 address or CIDR such as 203.0.113.0/24, got {value!r}") from None
    return str(network)


def _hostname(value: str) -> str:
    if not _HOST.match(value):
        raise ValueError(f"expected a DNS hostname such as egress.example.com, got {value!r}")
    return value.lower().rstrip(".")


def _resource_id(value: str) -> str:
    if not _RESOURCE_ID.match(value):
        raise ValueError(f"expected an Alibaba Cloud resource id such as vtb-bp1abc or cri-abc123, got {value!r}")
    return value


def _region(value: str) -> str:
    if not _REGION.match(value):
        raise ValueError(f"expected a region id such as cn-hangzhou, got {value!r}")
    return value


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"expected an IP address, got {value!r}") from None


Cidr = Annotated[str, AfterValidator(_cidr)]
Hostname = Annotated[str, AfterValidator(_hostname)]
ResourceId = Annotated[str, AfterValidator(_resource_id)]
RegionId = Annotated[str, AfterValidator(_region)]
IpAddress = Annotated[str, AfterValidator(_ip)]
