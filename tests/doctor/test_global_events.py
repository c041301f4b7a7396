"""Check 6, global-events-region: ActionTrail's storage region against vars.globalEventsRegion."""

from __future__ import annotations

import pytest

from acrguard.doctor.global_events import check_global_events
from acrguard.doctor.model import Status
from support import ACCOUNT
from tests.doctor.doctorworld import (
    DOCTOR_KEY,
    DOCTOR_SECRET,
    context,
    doctor_world,
    run,
    with_doctor_user,
    write_s_yaml,
)


def singapore_world() -> dict:
    world = doctor_world()
    world["accounts"][ACCOUNT]["global"]["actiontrail"] = {"global_events_storage_region": "ap-southeast-1"}
    return world


def test_the_same_region_passes(cloud, tmp_path, s_yaml):
    """Both cn-hangzhou: PASS."""
    result = run(context(cloud, tmp_path, s_yaml=s_yaml), check_global_events)
    assert result.status is Status.PASS
    assert result.data == {"storage_region": "cn-hangzhou", "globalEventsRegion": "cn-hangzhou"}


@pytest.mark.parametrize("world", [singapore_world()], ids=["singapore"])
def test_another_region_fails_with_both_ways_out(cloud, tmp_path, s_yaml, world):
    """ActionTrail keeps them in Singapore (its default), the auditor listens in Hangzhou: FAIL, with both fixes."""
    result = run(context(cloud, tmp_path, s_yaml=s_yaml), check_global_events)
    assert result.status is Status.FAIL
    assert "stores global events in ap-southeast-1, the pull-key auditor listens in cn-hangzhou" in result.evidence
    assert "set vars.globalEventsRegion: ap-southeast-1" in result.fix
    assert "UpdateGlobalEventsStorageRegion --StorageRegion cn-hangzhou" in result.fix


def test_an_unset_var_cannot_tell(cloud, tmp_path):
    """s.yaml with vars.globalEventsRegion empty: cannot tell, with what to set."""
    path = write_s_yaml(tmp_path, **{"globalEventsRegion: cn-hangzhou": 'globalEventsRegion: ""'})
    result = run(context(cloud, tmp_path, s_yaml=path), check_global_events)
    assert result.status is Status.UNKNOWN and "set vars.globalEventsRegion" in result.fix


@pytest.mark.parametrize("world", [with_doctor_user(doctor_world(),
                                                    without=("actiontrail:GetGlobalEventsStorageRegion",))],
                         ids=["no-actiontrail-read"])
def test_a_refused_read_cannot_tell(cloud, tmp_path, s_yaml, world):
    """Without actiontrail:GetGlobalEventsStorageRegion the doctor cannot tell, and names the action."""
    result = run(context(cloud, tmp_path, s_yaml=s_yaml, key=DOCTOR_KEY, secret=DOCTOR_SECRET), check_global_events)
    assert result.status is Status.UNKNOWN
    assert "Forbidden.RAM" in result.evidence and "actiontrail:GetGlobalEventsStorageRegion" in result.fix
