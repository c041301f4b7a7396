"""The keeper's IDC exports: rendered from the desired prefixes, written when they change, announced with a diff."""

from __future__ import annotations

import alibabacloud_oss_v2 as oss
import pytest

from acrguard.clients import call_oss
from acrguard.routes.keeper import run_sweep
from acrguard.routes.targets.waiting import Waiter
from support import ACCOUNT, INSTANCE_ID, REGION
from tests.routes.keeperworld import AUTH_HOST, ENI, H, keeper_world, make_config

BUCKET = "idc-exports"
NEW_ENI = "192.168.10.77"


@pytest.fixture
def world():
    """The keeper world plus a bucket for exports kept in OSS."""
    data = keeper_world()
    data["oss"] = {"buckets": [{"name": BUCKET, "account": ACCOUNT, "region": REGION}]}
    return data


@pytest.fixture
def exports(tmp_path) -> list[dict]:
    """A Linux route script, a hosts file and a dnsmasq file kept in OSS."""
    return [{"format": "linux", "destination": str(tmp_path / "acrguard-routes.sh"), "next_hop": "10.0.0.1"},
            {"format": "hosts", "destination": str(tmp_path / "acrguard.hosts")},
            {"format": "dnsmasq", "destination": f"oss://{BUCKET}/idc/acrguard.conf"}]


@pytest.fixture
def sweep(cloud, factory, store, tmp_path, exports):
    """One keeper run (targets: none) at hour ``hours``."""
    waiter = Waiter(timeout_s=60, interval_s=1, sleep=cloud.advance)

    def run(hours: float = 0.0, *, apply: bool = True, **options):
        config = make_config(cloud, str(tmp_path / "state.db"), targets=[], exports=options.pop("exports", exports),
                             **options)
        return run_sweep(config, factory, store, apply=apply, now=hours * H, waiter=waiter)

    return run


def oss_text(factory, key: str) -> str:
    result = call_oss("GetObject", factory.oss().get_object, oss.GetObjectRequest(bucket=BUCKET, key=key))
    return result.body.read().decode()


def notices(result) -> dict[str, object]:
    return {f.labels["format"]: f for f in result.findings if f.rule == "routes.changed.export"}


def test_first_run_writes_every_export_and_announces_it(sweep, factory, tmp_path):
    """Each export is written (file or OSS object) with every prefix or record, and each gets a change notice."""
    result = sweep()
    script = (tmp_path / "acrguard-routes.sh").read_text()
    assert f"ip route replace {ENI}/32 via 10.0.0.1" in script and "ip route replace 100.118.28.0/24" in script
    assert f"{ENI}\ttestreg-registry-vpc.{REGION}.cr.aliyuncs.com" in (tmp_path / "acrguard.hosts").read_text()
    assert f"host-record={AUTH_HOST},100.103.9.188" in oss_text(factory, "idc/acrguard.conf")
    assert set(notices(result)) == {"linux", "hosts", "dnsmasq"}
    assert f"ip route replace {ENI}/32 via 10.0.0.1" in notices(result)["linux"].details


def test_unchanged_exports_are_not_rewritten_nor_announced(sweep, tmp_path):
    """A later run with the same addresses leaves the files alone (only the header time would differ)."""
    sweep()
    script = tmp_path / "acrguard-routes.sh"
    before = script.read_text()
    result = sweep(5)
    assert script.read_text() == before
    assert notices(result) == {} and not any(e.written for e in result.runs[0].exports)


def test_an_address_change_rewrites_the_exports_with_a_paste_ready_diff(cloud, sweep, tmp_path):
    """A new endpoint address appears in the route script, and the notice carries the command and the diff."""
    sweep()
    cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].linked_vpcs[0].ip = NEW_ENI
    cloud.dns.set(f"testreg-registry-vpc.{REGION}.cr.aliyuncs.com", [NEW_ENI])
    result = sweep(1)
    assert f"ip route replace {NEW_ENI}/32 via 10.0.0.1" in (tmp_path / "acrguard-routes.sh").read_text()
    linux = notices(result)["linux"]
    assert f"+ip route replace {NEW_ENI}/32 via 10.0.0.1" in linux.evidence["diff"]
    assert linux.evidence["commands"] == [f"ip route replace {NEW_ENI}/32 via 10.0.0.1"]


def test_plan_shows_the_export_diff_without_writing(sweep, tmp_path):
    """``routes plan`` renders and diffs every export but creates no file."""
    result = sweep(apply=False)
    assert not (tmp_path / "acrguard-routes.sh").exists()
    [linux, *_] = result.runs[0].exports
    assert linux.changed and not linux.written and f"+ip route replace {ENI}/32" in linux.diff
    assert result.planned


def test_a_failing_export_is_reported_and_the_others_are_written(sweep, tmp_path):
    """A destination in a missing directory gives one export-failed finding; the other export is still written."""
    broken = [{"format": "hosts", "destination": str(tmp_path / "missing" / "acrguard.hosts")},
              {"format": "linux", "destination": str(tmp_path / "acrguard-routes.sh"), "next_hop": "10.0.0.1"}]
    result = sweep(exports=broken)
    [failure] = [f for f in result.findings if f.rule == "routes.export-failed"]
    assert failure.labels["format"] == "hosts" and "does not exist" in failure.details
    assert (tmp_path / "acrguard-routes.sh").exists() and result.failed
