"""OSS internal VIP ranges per region (shipped as versioned data) and the OSS internal domain.

OSS serves each region's internal endpoint from fixed VIP ranges and moves the VIP anywhere
inside them ("configure the complete ranges", ``../shared/reference/acr-network.md`` §1.5, §4.3),
so the endpoint keeper routes the ranges and uses DNS only as a drift alarm: a resolved address
outside the ranges is a finding and a temporary /32.

The table ships as ``acrguard/data/oss_vip_ranges.json`` with its version, source URL and
retrieval date; ``routes.oss_ranges_file`` points at a replacement in the same format::

    {"format": 1, "version": "...", "source": "https://...", "retrieved": "YYYY-MM-DD",
     "regions": {"cn-hangzhou": {"ranges": ["100.118.28.0/24", ...]}, "cn-zhangjiakou": null}}

A region that is missing or ``null`` is *absent*: callers report it rather than guess.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from acrguard.errors import ConfigError

SHIPPED_NAME = "oss_vip_ranges.json"
SUPPORTED_FORMATS = (1,)
#: Cloud-service VIPs live in the shared address space 100.64.0.0/10 (acr-network.md §1.4).
SERVICE_SPACE = ipaddress.ip_network("100.64.0.0/10")
#: Broadest range a table may contain: a wider one would route far more than OSS.
BROADEST_PREFIX = 16

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")


@dataclass(frozen=True)
class RegionRanges:
    """The published internal VIP ranges of one region."""

    region: str
    ranges: tuple[ipaddress.IPv4Network, ...]
    endpoint: str | None = None

    def contains(self, address: str) -> bool:
        """Whether ``address`` lies inside one of the ranges."""
        ip = ipaddress.ip_address(address)
        return any(ip in network for network in self.ranges)

    @property
    def prefixes(self) -> frozenset[str]:
        """The ranges as CIDR strings."""
        return frozenset(str(network) for network in self.ranges)


@dataclass(frozen=True)
class OssRangeTable:
    """A versioned table of OSS internal VIP ranges; ``origin`` says which file it came from."""

    version: str
    source: str
    retrieved: str
    origin: str
    regions: Mapping[str, RegionRanges | None]

    def for_region(self, region: str) -> RegionRanges | None:
        """The region's ranges, or None when the table does not have them (absent)."""
        return self.regions.get(region)

    @property
    def label(self) -> str:
        """``version`` and provenance in one line (for findings and plans)."""
        return f"OSS VIP ranges {self.version} from {self.source} (retrieved {self.retrieved}; file {self.origin})"


def _problem(problems: list[str], where: str, message: str) -> None:
    problems.append(f"{where}: {message}")


def _parse_region(region: str, body: Any, problems: list[str]) -> RegionRanges | None:
    where = f"regions.{region}"
    if not _REGION.match(region):
        _problem(problems, where, "expected a region id such as cn-hangzhou")
    if body is None:
        return None
    if not isinstance(body, dict):
        _problem(problems, where, "expected an object with 'ranges', or null for an absent region")
        return None
    unknown = sorted(set(body) - {"ranges", "endpoint", "note"})
    if unknown:
        _problem(problems, where, f"unknown key(s) {unknown}; allowed: endpoint, note, ranges")
    raw = body.get("ranges")
    if not isinstance(raw, list) or not raw:
        _problem(problems, f"{where}.ranges", "expected a non-empty list of CIDRs (use null for an absent region)")
        return None
    networks: list[ipaddress.IPv4Network] = []
    for index, value in enumerate(raw):
        at = f"{where}.ranges[{index}]"
        try:
            network = ipaddress.ip_network(value, strict=True)
        except (TypeError, ValueError) as exc:
            _problem(problems, at, f"expected an IPv4 CIDR such as 100.118.28.0/24, got {value!r} ({exc})")
            continue
        if not isinstance(network, ipaddress.IPv4Network):
            _problem(problems, at, f"expected an IPv4 CIDR, got {value!r}")
        elif network.prefixlen < BROADEST_PREFIX:
            _problem(problems, at, f"{network} is broader than /{BROADEST_PREFIX}; refusing to route it")
        elif not network.subnet_of(SERVICE_SPACE):
            _problem(problems, at, f"{network} is outside {SERVICE_SPACE}, where Alibaba Cloud service VIPs live")
        elif network in networks:
            _problem(problems, at, f"{network} is listed twice")
        else:
            networks.append(network)
    endpoint = body.get("endpoint")
    if endpoint is not None and not isinstance(endpoint, str):
        _problem(problems, f"{where}.endpoint", "expected a string")
        endpoint = None
    return RegionRanges(region, tuple(networks), endpoint)


def parse_oss_ranges(data: Any, origin: str) -> OssRangeTable:
    """Validate a parsed table; ``ConfigError`` lists every problem with its path in the file."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ConfigError(origin, ["(top level): expected a JSON object"])
    if data.get("format") not in SUPPORTED_FORMATS:
        _problem(problems, "format", f"expected one of {list(SUPPORTED_FORMATS)}, got {data.get('format')!r}")
    for key in ("version", "source", "retrieved"):
        if not isinstance(data.get(key), str) or not data.get(key):
            _problem(problems, key, "required: a non-empty string (the table's provenance)")
    source = data.get("source")
    if isinstance(source, str) and source and not source.startswith("https://"):
        _problem(problems, "source", f"expected the https:// URL the ranges were copied from, got {source!r}")
    regions_raw = data.get("regions")
    regions: dict[str, RegionRanges | None] = {}
    if not isinstance(regions_raw, dict):
        _problem(problems, "regions", "expected an object mapping region ids to their ranges")
    else:
        for region, body in regions_raw.items():
            regions[region] = _parse_region(str(region), body, problems)
    if problems:
        raise ConfigError(origin, problems)
    return OssRangeTable(str(data["version"]), str(data["source"]), str(data["retrieved"]), origin, regions)


def load_oss_ranges(path: str | Path | None = None) -> OssRangeTable:
    """The shipped table, or the file at ``path`` (``routes.oss_ranges_file``); ``ConfigError`` if invalid."""
    if path is None:
        resource = resources.files("acrguard").joinpath("data", SHIPPED_NAME)
        origin = f"acrguard/data/{SHIPPED_NAME}"
        text = resource.read_text(encoding="utf-8")
    else:
        origin = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(origin, [f"cannot read the OSS ranges file: {exc.strerror or exc}"]) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(origin, [f"not valid JSON: {exc}"]) from None
    return parse_oss_ranges(data, origin)


def oss_internal_domain(instance_id: str, region: str, bucket: str | None = None) -> str:
    """The OSS internal domain that serves the instance's layers.

    Default ``<InstanceId>-registry.oss-<RegionId>-internal.aliyuncs.com``; with a custom bucket
    (chosen at instance creation, invisible to ``GetInstance``) ``<bucket>.oss-<region>-internal.aliyuncs.com``
    (acr-network.md §1.3). ``ValueError`` for a bucket name OSS would not accept.
    """
    if not _REGION.match(region):
        raise ValueError(f"expected a region id such as cn-hangzhou, got {region!r}")
    if bucket is None:
        return f"{instance_id.lower()}-registry.oss-{region}-internal.aliyuncs.com"
    if not _BUCKET.match(bucket):
        raise ValueError(f"oss_bucket {bucket!r} is not a valid OSS bucket name (3-63 lowercase letters, digits "
                         "and hyphens, starting and ending with a letter or digit)")
    return f"{bucket}.oss-{region}-internal.aliyuncs.com"


def split_by_ranges(addresses: Iterable[str], ranges: RegionRanges | None) -> tuple[frozenset[str], frozenset[str]]:
    """``(inside, outside)``: which addresses the ranges cover (all are outside when ranges are absent)."""
    every = frozenset(addresses)
    inside = frozenset(a for a in every if ranges is not None and ranges.contains(a))
    return inside, every - inside
