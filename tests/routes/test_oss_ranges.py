"""OSS internal VIP ranges: the shipped versioned table, override files, and the OSS internal domain."""

from __future__ import annotations

import ipaddress
import json

import pytest

from acrguard.errors import ConfigError
from acrguard.routes.oss_ranges import (
    load_oss_ranges,
    oss_internal_domain,
    parse_oss_ranges,
    split_by_ranges,
)

HANGZHOU = {"100.118.28.0/24", "100.114.102.0/24", "100.98.170.0/24", "100.118.31.0/24"}


def table(**overrides):
    """A valid table in the file format, with top-level keys replaced by ``overrides``."""
    data = {"format": 1, "version": "test-1", "source": "https://example.com/oss-vips", "retrieved": "2026-01-01",
            "regions": {"cn-hangzhou": {"ranges": sorted(HANGZHOU)}}}
    data.update(overrides)
    return data


def test_shipped_table_carries_its_provenance():
    """The shipped table names its version, the OSS documentation page and the retrieval date."""
    shipped = load_oss_ranges()
    assert shipped.version and shipped.retrieved
    assert shipped.source == "https://help.aliyun.com/zh/oss/internal-endpoints-of-oss-buckets-and-vip-ranges"
    assert shipped.origin == "acrguard/data/oss_vip_ranges.json"
    assert shipped.version in shipped.label and shipped.source in shipped.label


@pytest.mark.parametrize(("region", "ranges"), [
    ("cn-hangzhou", HANGZHOU),
    ("cn-shanghai", {"100.98.35.0/24", "100.98.110.0/24", "100.98.169.0/24", "100.118.102.0/24"}),
    ("cn-beijing", {"100.118.58.0/24", "100.118.167.0/24", "100.118.170.0/24", "100.118.171.0/24",
                    "100.118.172.0/24", "100.118.173.0/24"}),
])
def test_shipped_table_has_the_published_ranges(region, ranges):
    """The shipped ranges are the ones OSS publishes for the region."""
    assert load_oss_ranges().for_region(region).prefixes == ranges


@pytest.mark.parametrize("region", ["cn-zhangjiakou", "eu-central-1", "cn-nowhere"])
def test_regions_without_data_are_absent(region):
    """A region listed as null, or not listed, has no ranges (never invented ones)."""
    assert load_oss_ranges().for_region(region) is None


def test_override_file_replaces_the_shipped_table(tmp_path):
    """routes.oss_ranges_file is read instead of the shipped table, with its own version."""
    path = tmp_path / "ranges.json"
    path.write_text(json.dumps(table(version="2027-01-01", regions={
        "cn-hangzhou": {"ranges": ["100.118.28.0/24"]}, "cn-shenzhen": {"ranges": ["100.100.0.0/16"]}})))
    loaded = load_oss_ranges(path)
    assert loaded.version == "2027-01-01" and loaded.origin == str(path)
    assert loaded.for_region("cn-hangzhou").prefixes == {"100.118.28.0/24"}
    assert loaded.for_region("cn-shenzhen").prefixes == {"100.100.0.0/16"}
    assert loaded.for_region("cn-shanghai") is None


@pytest.mark.parametrize(("data", "problem"), [
    ([], "(top level): expected a JSON object"),
    (table(format=2), "format: expected one of [1]"),
    (table(version=""), "version: required"),
    ({k: v for k, v in table().items() if k != "source"}, "source: required"),
    (table(source="http://example.com"), "source: expected the https:// URL"),
    ({k: v for k, v in table().items() if k != "retrieved"}, "retrieved: required"),
    (table(regions=[]), "regions: expected an object"),
    (table(regions={"Hangzhou": None}), "regions.Hangzhou: expected a region id"),
    (table(regions={"cn-hangzhou": []}), "regions.cn-hangzhou: expected an object"),
    (table(regions={"cn-hangzhou": {"ranges": []}}), "regions.cn-hangzhou.ranges: expected a non-empty list"),
    (table(regions={"cn-hangzhou": {"ranges": ["100.118.28.0/24"], "vips": []}}), "unknown key(s) ['vips']"),
    (table(regions={"cn-hangzhou": {"ranges": ["not-a-cidr"]}}), "regions.cn-hangzhou.ranges[0]: expected an IPv4"),
    (table(regions={"cn-hangzhou": {"ranges": ["100.118.28.1/24"]}}), "regions.cn-hangzhou.ranges[0]: expected"),
    (table(regions={"cn-hangzhou": {"ranges": ["fd00::/64"]}}), "expected an IPv4 CIDR"),
    (table(regions={"cn-hangzhou": {"ranges": ["100.64.0.0/10"]}}), "broader than /16"),
    (table(regions={"cn-hangzhou": {"ranges": ["0.0.0.0/0"]}}), "broader than /16"),
    (table(regions={"cn-hangzhou": {"ranges": ["10.0.0.0/24"]}}), "outside 100.64.0.0/10"),
    (table(regions={"cn-hangzhou": {"ranges": ["100.118.28.0/24", "100.118.28.0/24"]}}),
     "regions.cn-hangzhou.ranges[1]: 100.118.28.0/24 is listed twice"),
])
def test_invalid_tables_are_refused_with_the_path(data, problem):
    """Every problem in a ranges file is reported with where it is."""
    with pytest.raises(ConfigError) as caught:
        parse_oss_ranges(data, "ranges.json")
    assert any(problem in line for line in caught.value.problems), caught.value.problems
    assert caught.value.source == "ranges.json"


def test_every_problem_is_listed_at_once():
    """Several mistakes give several lines, not just the first."""
    data = table(version="", regions={"cn-hangzhou": {"ranges": ["10.0.0.0/24", "bad"]}})
    with pytest.raises(ConfigError) as caught:
        parse_oss_ranges(data, "ranges.json")
    assert len(caught.value.problems) == 3


def test_unreadable_and_non_json_files_are_config_errors(tmp_path):
    """A missing file or a file that is not JSON is a ConfigError naming the file."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_oss_ranges(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON") as caught:
        load_oss_ranges(broken)
    assert caught.value.source == str(broken)


@pytest.mark.parametrize(("instance_id", "region", "bucket", "domain"), [
    ("cri-abc123", "cn-hangzhou", None, "cri-abc123-registry.oss-cn-hangzhou-internal.aliyuncs.com"),
    ("cri-ABC123", "cn-shanghai", None, "cri-abc123-registry.oss-cn-shanghai-internal.aliyuncs.com"),
    ("cri-abc123", "cn-beijing", "my-layers", "my-layers.oss-cn-beijing-internal.aliyuncs.com"),
])
def test_oss_internal_domain(instance_id, region, bucket, domain):
    """The default bucket domain derives from the instance id; a custom bucket replaces it."""
    assert oss_internal_domain(instance_id, region, bucket) == domain


@pytest.mark.parametrize("bucket", ["ab", "My-Bucket", "-layers", "layers-", "lay.ers", "a" * 64])
def test_invalid_bucket_names_are_refused(bucket):
    """A bucket name OSS would not accept is a ValueError naming it."""
    with pytest.raises(ValueError, match="not a valid OSS bucket name"):
        oss_internal_domain("cri-abc123", "cn-hangzhou", bucket)


def test_split_by_ranges_separates_covered_addresses():
    """Addresses inside a range are covered; others are not; with no ranges none are."""
    ranges = load_oss_ranges().for_region("cn-hangzhou")
    inside, outside = split_by_ranges(iter(["100.118.28.7", "100.118.29.7", "100.98.170.255"]), ranges)
    assert inside == {"100.118.28.7", "100.98.170.255"} and outside == {"100.118.29.7"}
    assert split_by_ranges(["100.118.28.7"], None) == (frozenset(), {"100.118.28.7"})
    assert ranges.contains("100.114.102.1") and not ranges.contains("100.114.103.1")
    assert all(isinstance(n, ipaddress.IPv4Network) for n in ranges.ranges)
