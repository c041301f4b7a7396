"""Check 9, oss-ranges: the region of each routed instance has published OSS ranges in the table used.

This check reads a file only, so it has no "cannot tell": the table either lists the region or not.
"""

from __future__ import annotations

import json

from acrguard.doctor.model import Status
from acrguard.doctor.published_ranges import check_oss_ranges
from tests.doctor.doctorworld import context, doctor_config


def test_hangzhou_has_published_ranges_with_their_provenance(cloud, tmp_path):
    """The shipped table lists four Hangzhou ranges; the evidence shows the version, source and date."""
    result = check_oss_ranges(context(cloud, tmp_path))
    assert result.status is Status.PASS
    assert result.evidence.startswith("cn-hangzhou: 4 ranges (100.114.102.0/24, 100.118.28.0/24, 100.118.31.0/24, "
                                      "100.98.170.0/24) in OSS VIP ranges ")
    assert "from https://help.aliyun.com/zh/oss/user-guide/regions-and-endpoints (retrieved " in result.evidence
    assert result.items[0].data["file"] == "acrguard/data/oss_vip_ranges.json"


def test_a_region_without_published_ranges_fails(cloud, tmp_path):
    """A table that lists the region without ranges (with the note why) fails, naming the override."""
    table = {"format": 1, "version": "test-1", "source": "https://example.com/ranges", "retrieved": "2026-01-01",
             "regions": {"cn-hangzhou": {"ranges": None, "note": "not published yet"}}}
    path = tmp_path / "ranges.json"
    path.write_text(json.dumps(table), encoding="utf-8")
    result = check_oss_ranges(context(cloud, tmp_path, oss_ranges_file=str(path)))
    assert result.status is Status.FAIL
    assert "publishes no VIP ranges for it: not published yet" in result.evidence
    assert "routes.oss_ranges_file" in result.fix


def test_an_unusable_ranges_file_fails_with_its_problems(cloud, tmp_path):
    """A replacement table that does not validate fails with the path of each problem."""
    path = tmp_path / "ranges.json"
    path.write_text(json.dumps({"format": 1, "regions": {}}), encoding="utf-8")
    result = check_oss_ranges(context(cloud, tmp_path, oss_ranges_file=str(path)))
    assert result.status is Status.FAIL
    assert "version: required" in result.evidence


def test_an_instance_in_an_unlisted_region_fails(cloud, tmp_path):
    """A region the shipped table does not list at all fails too."""
    data = doctor_config(cloud, tmp_path)
    data["instances"][0]["region"] = "xx-nowhere-1"
    result = check_oss_ranges(context(cloud, tmp_path, data=data))
    assert result.status is Status.FAIL and "the table does not list xx-nowhere-1" in result.evidence
