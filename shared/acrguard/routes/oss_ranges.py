"""OSS internal VIP ranges per region (shipped as versioned data) and the OSS internal domain.

OSS serves each region's internal endpoint from fixed VIP ranges and moves the VIP anywhere
inside them: "configure the complete ranges, or the network may not connect"
(https://help.aliyun.com/zh/oss/user-guide/regions-and-endpoints, the 内网VIP网段 column; formerly
https://help.aliyun.com/zh/oss/internal-endpoints-of-oss-buckets-and-vip-ranges). So the endpoint
keeper routes the ranges and uses DNS only as a drift alarm: a resolved address outside the ranges
is refused (``acrguard.addresses``: the OSS answer is not routed and the family is frozen for the
run) and reported, so a hostile answer cannot route anything but the published ranges.

The table ships as ``acrguard/data/oss_vip_ranges.json`` with its version, source URL and
retrieval date; ``routes.oss_ranges_file`` points at a replacement in the same format::

    {"format": 1, "version": "...", "source": "https://...", "retrieved": "YYYY-MM-DD",
     "regions": {"cn-hangzhou": {"ranges": ["100.118.28.0/24", ...], "endpoint": "...", "note": "..."},
                 "cn-north-2-gov-1": {"ranges": null, "note": "why none is published"}}}

A region that is missing, ``null``, or listed with ``"ranges": null`` (and a note saying why) is
*absent*: callers report it rather than guess. A published range outside 100.64.0.0/10 is kept as
published and reported (``OssRangeTable.warnings``, ``RegionRanges.outside_service_space``), never
dropped; ranges of one region must not overlap.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from acrguard.errors import ConfigError

SHIPPED_NAME = "oss_vip_ranges.json"
SUPPORTED_FORMATS = (1,)
#: Cloud-service VIPs live in 100.64.0.0/10, the VPC system route for cloud services (CreateRouteEntry pages).
SERVICE_SPACE = ipaddress.ip_network("100.64.0.0/10")
REGION_KEYS = ("endpoint", "name", "note", "ranges", "source")
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
    note: str | None = None

    def contains(self, address: str) -> bool:
        """Whether ``address`` lies inside one of the ranges."""
        ip = ipaddress.ip_address(address)
        return any(ip in network for network in self.ranges)

    @property
    def prefixes(self) -> frozenset[str]:
        """The ranges as CIDR strings."""
        return frozenset(str(network) for network in self.ranges)

    @property
    def outside_service_space(self) -> tuple[str, ...]:
        """Published ranges outside 100.64.0.0/10 (kept as published; CEN cloud-service access refuses them)."""
        return tuple(str(n) for n in self.ranges if not n.subnet_of(SERVICE_SPACE))


@dataclass(frozen=True)
class OssRangeTable:
    """A versioned table of OSS internal VIP ranges; ``origin`` says which file it came from."""

    version: str
    source: str
    retrieved: str
    origin: str
    regions: Mapping[str, RegionRanges | None]
    #: region -> why the table lists it without ranges
    absent_reasons: Mapping[str, str] = field(default_factory=dict)
    #: unusual but published data, kept as published (ranges outside 100.64.0.0/10)
    warnings: tuple[str, ...] = ()

    def for_region(self, region: str) -> RegionRanges | None:
        """The region's ranges, or None when the table does not have them (absent)."""
        return self.regions.get(region)

    def absence(self, region: str) -> str:
        """Why the region has no ranges, in one sentence ("" when it has some)."""
        if self.regions.get(region) is not None:
            return ""
        if region in self.absent_reasons:
            return f"the table lists {region} but publishes no VIP ranges for it: {self.absent_reasons[region]}"
        if region in self.regions:
            return f"the table lists {region} as absent (null)"
        return f"the table does not list {region}"

    @property
    def label(self) -> str:
        """``version`` and provenance in one line (for findings and plans)."""
        return f"OSS VIP ranges {self.version} from {self.source} (retrieved {self.retrieved}; file {self.origin})"


def _problem(problems: list[str], where: str, message: str) -> None:
    problems.append(f"{where}: {message}")


def _parse_region(region: str, body: Any, problems: list[str], warnings: list[str],
                  absent: dict[str, str]) -> RegionRanges | None:
    where = f"regions.{region}"
    if not _REGION.match(region):
        _problem(problems, where, "expected a region id such as cn-hangzhou")
    if body is None:
        return None
    if not isinstance(body, dict):
        _problem(problems, where, "expected an object with 'ranges', or null for an absent region")
        return None
    unknown = sorted(set(body) - set(REGION_KEYS))
    if unknown:
        _problem(problems, where, f"unknown key(s) {unknown}; allowed: {', '.join(REGION_KEYS)}")
    for key in ("endpoint", "name", "note", "source"):
        if body.get(key) is not None and not isinstance(body[key], str):
            _problem(problems, f"{where}.{key}", "expected a string")
    note = body.get("note") if isinstance(body.get("note"), str) else None
    raw = body.get("ranges")
    if raw is None and "ranges" in body:
        if not note:
            _problem(problems, f"{where}.note", "a region listed without ranges needs a note saying why")
        else:
            absent[region] = note
        return None
    if not isinstance(raw, list) or not raw:
        _problem(problems, f"{where}.ranges", "expected a non-empty list of CIDRs (null, with a note, when none is "
                 "published)")
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
        elif network in networks:
            _problem(problems, at, f"{network} is listed twice")
        elif overlapping := [str(n) for n in networks if n.overlaps(network)]:
            _problem(problems, at, f"{network} overlaps {', '.join(overlapping)} of the same region")
        else:
            if not network.subnet_of(SERVICE_SPACE):
                warnings.append(f"{at}: {network} is outside {SERVICE_SPACE}, where Alibaba Cloud service VIPs "
                                "live; kept as published (CEN cloud-service access refuses it)")
            networks.append(network)
    endpoint = body.get("endpoint") if isinstance(body.get("endpoint"), str) else None
    return RegionRanges(region, tuple(networks), endpoint, note)


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
    warnings: list[str] = []
    absent: dict[str, str] = {}
    if not isinstance(regions_raw, dict):
        _problem(problems, "regions", "expected an object mapping region ids to their ranges")
    else:
        for region, body in regions_raw.items():
            regions[region] = _parse_region(str(region), body, problems, warnings, absent)
    if problems:
        raise ConfigError(origin, problems)
    return OssRangeTable(str(data["version"]), str(data["source"]), str(data["retrieved"]), origin, regions,
                         absent, tuple(warnings))


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
    (chosen at instance creation, invisible to ``GetInstance``; ``InstanceStorageName`` in ROS
    ``ALIYUN::CR::Instance``) ``<bucket>.oss-<region>-internal.aliyuncs.com``. ``ValueError`` for a bucket name
    OSS would not accept.
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
