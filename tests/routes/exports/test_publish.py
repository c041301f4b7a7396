"""Publishing exports: written only when changed, announced with a diff, failures isolated per export."""

from __future__ import annotations

import pytest

from acrguard.config.routes import ExportConfig
from acrguard.routes.exports import publish, publish_all
from support import ACCOUNT, REGION, base_world

BUCKET = "idc-exports"


@pytest.fixture
def world():
    """The base world with a bucket for exports."""
    data = base_world()
    data["oss"] = {"buckets": [{"name": BUCKET, "account": ACCOUNT, "region": REGION}]}
    return data


def later(make_input, **changes):
    return make_input(generated_at=make_input().generated_at.replace(day=2), **changes)


def test_first_publish_creates_the_file_and_announces_it(tmp_path, data):
    """A first rendering is written and reported as created, with a diff from /dev/null and all commands."""
    config = ExportConfig(format="cisco_ios", destination=str(tmp_path / "ios.txt"), next_hop="10.10.0.1")
    result = publish(config, data, index=0)
    assert (result.changed, result.created, result.written) == (True, True, True)
    assert result.diff.startswith("--- /dev/null\n") and len(result.commands) == 7
    assert (tmp_path / "ios.txt").read_text().startswith("! acrguard IDC export")


def test_an_unchanged_rendering_is_not_written_again(tmp_path, make_input):
    """A later run with the same routes leaves the file (and its old timestamp) alone and reports nothing."""
    config = ExportConfig(format="linux", destination=str(tmp_path / "routes.sh"), next_hop="10.10.0.1")
    publish(config, make_input())
    before = (tmp_path / "routes.sh").stat()
    result = publish(config, later(make_input))
    assert (result.changed, result.written, result.diff, result.commands) == (False, False, None, None)
    after = (tmp_path / "routes.sh").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert "Generated at: 2024-05-01T12:00:00Z" in (tmp_path / "routes.sh").read_text()


def test_a_change_is_written_with_its_diff_and_commands(tmp_path, make_input):
    """A new VPC endpoint address rewrites the file; the result carries the diff and the removal + addition."""
    config = ExportConfig(format="huawei_vrp", destination=str(tmp_path / "vrp.txt"), next_hop="10.10.0.1")
    publish(config, make_input())
    moved = later(make_input, prefixes_by_family={**make_input().prefixes_by_family,
                                                  "vpc_endpoint": ["192.168.10.22/32"]})
    result = publish(config, moved)
    assert (result.changed, result.created, result.written) == (True, False, True)
    assert result.commands == ("undo ip route-static 192.168.10.21 32 10.10.0.1",
                               "ip route-static 192.168.10.22 32 10.10.0.1 description acrguard-vpc_endpoint")
    assert "+ip route-static 192.168.10.22 32 10.10.0.1 description acrguard-vpc_endpoint" in result.diff
    assert "192.168.10.22 32" in (tmp_path / "vrp.txt").read_text()


def test_plan_mode_reports_the_change_without_writing(tmp_path, data):
    """write=False computes the same diff but creates nothing."""
    config = ExportConfig(format="hosts", destination=str(tmp_path / "hosts"))
    result = publish(config, data, write=False)
    assert result.changed and not result.written and result.diff
    assert not (tmp_path / "hosts").exists()


def test_oss_exports_are_written_once_and_then_only_read(cloud, factory, make_input):
    """First run: one PutObject; a later run with only a new time: a GetObject and no PutObject."""
    config = ExportConfig(format="bind", destination=f"oss://{BUCKET}/idc/acrguard.rpz.zone")
    since = cloud.requests.last_seq()
    assert publish(config, make_input(), factory=factory).written
    assert publish(config, later(make_input), factory=factory).changed is False
    calls = [(r.action, r.params.get("Key")) for r in cloud.requests.filter(product="oss", since=since)]
    assert calls == [("GetObject", "idc/acrguard.rpz.zone"), ("PutObject", "idc/acrguard.rpz.zone"),
                     ("GetObject", "idc/acrguard.rpz.zone")]


def test_publish_all_isolates_failures_and_names_the_export(cloud, factory, tmp_path, data):
    """A broken export is reported with its index; the others are still written; an OSS 503 is marked transient."""
    exports = [ExportConfig(format="hosts", destination=str(tmp_path / "missing-dir" / "hosts")),
               ExportConfig(format="dnsmasq", destination=str(tmp_path / "dnsmasq.conf")),
               ExportConfig(format="coredns", destination=f"oss://{BUCKET}/idc/coredns.conf")]
    cloud.inject(product="oss", action="GetObject", code="ServiceUnavailable", status=503)
    results = publish_all(exports, data, factory=factory)
    assert results[0].error.startswith("routes.exports[0] (hosts): ") and "does not exist" in results[0].error
    assert not results[0].transient
    assert results[1].written and (tmp_path / "dnsmasq.conf").exists()
    assert results[2].error.startswith("routes.exports[2] (coredns): ") and results[2].transient
    assert results[1].to_dict()["location"] == str(tmp_path / "dnsmasq.conf")
