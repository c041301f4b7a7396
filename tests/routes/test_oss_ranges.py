"""OSS internal VIP ranges: the shipped versioned table, override files, and the OSS internal domain."""

from __future__ import annotations

import ipaddress
import json
import re

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
    """The shipped table names its version, the OSS documentation page, the retrieval date and every revision read."""
    shipped = load_oss_ranges()
    assert shipped.version and re.fullmatch(r"\d{4}-\d{2}-\d{2}", shipped.retrieved)
    assert shipped.source == "https://help.aliyun.com/zh/oss/user-guide/regions-and-endpoints"
    assert shipped.origin == "acrguard/data/oss_vip_ranges.json"
    assert shipped.version in shipped.label and shipped.source in shipped.label
    raw = _shipped_json()
    assert raw["published"] and raw["absent"] and raw["outside_service_space"]
    assert raw["sources"] and all(s["url"].startswith("https://") and s["language"] and s["revision"]
                                  for s in raw["sources"])


def _shipped_json() -> dict:
    from importlib import resources

    return json.loads(resources.files("acrguard").joinpath("data", "oss_vip_ranges.json").read_text("utf-8"))


#: every public-cloud region the OSS table publishes ranges for (zh and en revisions read on 2026-12-06)
PUBLISHED_REGIONS = (
    "cn-hangzhou", "cn-shanghai", "cn-nanjing", "cn-fuzhou", "cn-wuhan-lr", "cn-qingdao", "cn-beijing",
    "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu", "cn-shenzhen", "cn-heyuan", "cn-guangzhou", "cn-chengdu",
    "cn-zhongwei", "cn-hongkong", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-3",
    "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ap-southeast-8", "eu-central-1", "eu-west-1",
    "eu-west-2", "us-west-1", "us-east-1", "na-south-1", "me-east-1", "me-central-1", "cn-hangzhou-finance",
    "cn-shanghai-finance-1", "cn-shenzhen-finance-1", "cn-beijing-finance-1",
)


def test_shipped_table_has_every_published_region():
    """Each region the table publishes ranges for is shipped with at least one range."""
    shipped = load_oss_ranges()
    missing = [region for region in PUBLISHED_REGIONS if shipped.for_region(region) is None]
    assert not missing
    assert len(PUBLISHED_REGIONS) >= 30


@pytest.mark.parametrize(("region", "ranges"), [
    ("cn-hangzhou", HANGZHOU),
    ("cn-shanghai", {"100.98.35.0/24", "100.98.110.0/24", "100.98.169.0/24", "100.118.102.0/24"}),
    ("cn-beijing", {"100.118.58.0/24", "100.118.167.0/24", "100.118.170.0/24", "100.118.171.0/24",
                    "100.118.172.0/24", "100.118.173.0/24"}),
    ("cn-zhangjiakou", {"100.118.90.0/24", "100.98.159.0/24", "100.114.0.0/24", "100.114.1.0/24"}),
    ("cn-wulanchabu", {"100.114.11.0/24", "100.114.12.0/24", "100.114.100.0/24", "100.118.214.0/24"}),
    ("ap-northeast-1", {"100.114.211.0/24", "100.114.114.0/25"}),
    ("eu-west-1", {"100.114.114.128/25"}),
    ("na-south-1", {"100.115.112.0/27"}),
    ("me-central-1", {"100.99.121.0/24"}),
])
def test_shipped_table_has_the_published_ranges(region, ranges):
    """The shipped ranges are the ones OSS publishes for the region."""
    assert load_oss_ranges().for_region(region).prefixes == ranges


def test_every_shipped_range_is_a_routable_service_prefix():
    """Every shipped range parses, lies in 100.64.0.0/10 (else the file says so), and no region's ranges overlap."""
    shipped = load_oss_ranges()
    service = ipaddress.ip_network("100.64.0.0/10")
    outside = [str(n) for r in shipped.regions.values() if r for n in r.ranges if not n.subnet_of(service)]
    assert outside == [] and shipped.warnings == ()
    assert "none" in _shipped_json()["outside_service_space"]
    for region in (r for r in shipped.regions.values() if r):
        networks = list(region.ranges)
        assert all(a == b or not a.overlaps(b) for a in networks for b in networks), region.region


def test_ranges_shared_between_regions_are_the_listed_ones():
    """The only range two regions share is the one the file's ``overlaps`` note reports (as published)."""
    shipped = load_oss_ranges()
    owners: dict[str, list[str]] = {}
    for region in (r for r in shipped.regions.values() if r):
        for network in region.ranges:
            owners.setdefault(str(network), []).append(region.region)
    shared = {prefix: sorted(regions) for prefix, regions in owners.items() if len(regions) > 1}
    assert shared == {"100.115.157.0/27": ["ap-southeast-8", "cn-zhongwei"]}
    assert all(prefix in " ".join(_shipped_json()["overlaps"]) for prefix in shared)


@pytest.mark.parametrize(("region", "why"), [
    ("rg-china-mainland", "publishes no VIP ranges for it: no VIP ranges are published"),
    ("cn-north-2-gov-1", "publishes no VIP ranges for it: no VIP ranges are published"),
    ("cn-nowhere", "the table does not list cn-nowhere"),
])
def test_regions_without_data_are_absent_and_say_why(region, why):
    """A region listed without ranges, or not listed, has no ranges (never invented ones) and a reason."""
    shipped = load_oss_ranges()
    assert shipped.for_region(region) is None
    assert why in shipped.absence(region)
    assert shipped.absence("cn-hangzhou") == ""


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
    (table(regions={"cn-hangzhou": {"ranges": ["100.118.28.0/24", "100.118.28.0/24"]}}),
     "regions.cn-hangzhou.ranges[1]: 100.118.28.0/24 is listed twice"),
    (table(regions={"cn-hangzhou": {"ranges": ["100.118.0.0/16", "100.118.28.0/24"]}}),
     "regions.cn-hangzhou.ranges[1]: 100.118.28.0/24 overlaps 100.118.0.0/16 of the same region"),
    (table(regions={"cn-hangzhou": {"ranges": None}}), "regions.cn-hangzhou.note: a region listed without ranges"),
    (table(regions={"cn-hangzhou": {"ranges": ["100.118.28.0/24"], "note": 5}}), "regions.cn-hangzhou.note: expected"),
])
def test_invalid_tables_are_refused_with_the_path(data, problem):
    """Every problem in a ranges file is reported with where it is."""
    with pytest.raises(ConfigError) as caught:
        parse_oss_ranges(data, "ranges.json")
    assert any(problem in line for line in caught.value.problems), caught.value.problems
    assert caught.value.source == "ranges.json"


def test_every_problem_is_listed_at_once():
    """Several mistakes give several lines, not just the first."""
    data = table(version="", regions={"cn-hangzhou": {"ranges": ["100.118.28.1/24", "bad"]}})
    with pytest.raises(ConfigError) as caught:
        parse_oss_ranges(data, "ranges.json")
    assert len(caught.value.problems) == 3


def test_a_published_range_outside_the_service_space_is_kept_and_reported():
    """A range outside 100.64.0.0/10 is kept as published, with a warning, never dropped."""
    loaded = parse_oss_ranges(table(regions={"cn-hangzhou": {"ranges": ["100.118.28.0/24", "10.0.0.0/24"]}}), "f")
    region = loaded.for_region("cn-hangzhou")
    assert region.prefixes == {"100.118.28.0/24", "10.0.0.0/24"}
    assert region.outside_service_space == ("10.0.0.0/24",)
    assert len(loaded.warnings) == 1 and "regions.cn-hangzhou.ranges[1]: 10.0.0.0/24 is outside" in loaded.warnings[0]


def test_a_region_listed_without_ranges_keeps_its_reason():
    """``"ranges": null`` with a note makes the region absent, and the note is why."""
    loaded = parse_oss_ranges(table(regions={"cn-gov": {"ranges": None, "note": "none published"}}), "f")
    assert loaded.for_region("cn-gov") is None
    assert loaded.absence("cn-gov") == "the table lists cn-gov but publishes no VIP ranges for it: none published"


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
